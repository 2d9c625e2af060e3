"""a run's records that are not papers (correction notices, data sets, books) are counted apart
from the records that could not be read: a Nature feed's four author corrections flagged the
stream as rejecting records on every run, and a file of notices was asked whether it was in the
format named.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('source_runs') as batch:
        batch.add_column(sa.Column('left_out', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('left_out_reasons', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('source_runs') as batch:
        batch.drop_column('left_out_reasons')
        batch.drop_column('left_out')
