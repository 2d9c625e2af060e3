"""first-author keys that are a name suffix ("jr" of "Martin Luther King Jr.") are made again from
the first author's name: the key is the family name before the suffix since (keys.family_key), so
a journal's "Martin Luther King" finds the preprint by title and first author.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    from academichub.keys import NAME_SUFFIXES, family_key
    from academichub.storage.work_writes import FAMILY_KEY_LENGTH

    works = sa.table("works", sa.column("id", sa.Integer), sa.column("first_author_key", sa.String))
    authors = sa.table("work_authors", sa.column("work_id", sa.Integer), sa.column("position", sa.Integer),
                       sa.column("name_key", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(works.c.id, authors.c.name_key)
                        .join(authors, sa.and_(authors.c.work_id == works.c.id, authors.c.position == 0))
                        .where(works.c.first_author_key.in_(sorted(NAME_SUFFIXES)))).all()
    changed = [{"i": work_id, "k": family_key(name_key)[:FAMILY_KEY_LENGTH]} for work_id, name_key in rows]
    if changed:
        bind.execute(sa.update(works).where(works.c.id == sa.bindparam("i"))
                     .values(first_author_key=sa.bindparam("k")), changed)


def downgrade() -> None:
    """Nothing to undo: the old keys were the defect."""
