"""title keys of titles with a formula are made again: "$\\alpha_s$" keyed as "alpha s" where the
journal's record of the same paper says "αs", so a preprint and its journal version did not match
(keys.title_key reads a formula as text since).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    from academichub.keys import title_key

    works = sa.table("works", sa.column("id", sa.Integer), sa.column("title", sa.Text),
                     sa.column("title_key", sa.String))
    bind = op.get_bind()
    # Every formula has a "$" or a bracket ("\(", "\["); which rows changed is Python's to say.
    rows = bind.execute(sa.select(works.c.id, works.c.title, works.c.title_key)
                        .where(sa.or_(works.c.title.contains("$", autoescape=True),
                                      works.c.title.contains("(", autoescape=True),
                                      works.c.title.contains("[", autoescape=True))))
    changed = [{"i": i, "k": key} for i, title, stored in rows if (key := title_key(title)) != stored]
    if changed:
        bind.execute(sa.update(works).where(works.c.id == sa.bindparam("i")).values(title_key=sa.bindparam("k")),
                     changed)


def downgrade() -> None:
    """Nothing to undo: the old keys were the defect."""
