"""a partial index of the works whose comment mentions a withdrawal: the feed never recommends a
withdrawn preprint, and finding them read every row of the works table (about 0.1 s at 51,698).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None
HINT = sa.text("lower(comment) LIKE '%withdrawn%'")


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_works_withdrawn", "works", ["id"], sqlite_where=HINT, postgresql_where=HINT)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_works_withdrawn", table_name="works")
