"""title keys of titles ending in a parenthesis and a full stop ("… (Extended Version).") are made
again: the key kept the parenthesis, which the same title without the stop drops, so a journal's
record and its preprint did not match (keys.title_key drops the closing stop first since).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    from academichub.keys import title_key

    works = sa.table("works", sa.column("id", sa.Integer), sa.column("title", sa.Text),
                     sa.column("title_key", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(works.c.id, works.c.title, works.c.title_key).where(works.c.title.like("%)%")))
    changed = [{"i": i, "k": key} for i, title, stored in rows if (key := title_key(title)) != stored]
    if changed:
        bind.execute(sa.update(works).where(works.c.id == sa.bindparam("i")).values(title_key=sa.bindparam("k")),
                     changed)


def downgrade() -> None:
    """Nothing to undo: the old keys were the defect."""
