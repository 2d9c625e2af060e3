"""store identity: one row naming the database, which the search index records as what it mirrors
(the database URL it recorded before changed with every copied home, dump or template copy, and
made each of them rebuild a current index)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    table = op.create_table(
        'store_identity',
        sa.Column('id', sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_store_identity')),
    )
    op.bulk_insert(table, [{'id': uuid.uuid4().hex}])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('store_identity')
