"""Stored match keys made again by a migration, when `keys` changes how a title is keyed."""

from __future__ import annotations

import sqlalchemy as sa


def rekey_titles(bind: sa.Connection, *fragments: str) -> int:
    """Key again the titles that hold any of `fragments` (what the change can touch), writing only
    the keys that differ; how many did."""
    from academichub.keys import title_key

    works = sa.table("works", sa.column("id", sa.Integer), sa.column("title", sa.Text),
                     sa.column("title_key", sa.String))
    rows = bind.execute(sa.select(works.c.id, works.c.title, works.c.title_key)
                        .where(sa.or_(*(works.c.title.contains(f, autoescape=True) for f in fragments))))
    changed = [{"i": i, "k": key} for i, title, stored in rows if (key := title_key(title)) != stored]
    if changed:
        bind.execute(sa.update(works).where(works.c.id == sa.bindparam("i")).values(title_key=sa.bindparam("k")),
                     changed)
    return len(changed)
