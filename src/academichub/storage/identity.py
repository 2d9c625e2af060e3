"""The store's identity: a name made once with its schema, for what mirrors the database."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from academichub.storage.schema import store_identity

log = logging.getLogger(__name__)


def read_identity(engine: sa.Engine) -> str | None:
    """This database's name (migration 0010 makes it; a copy of the database carries it), or None
    when its table was emptied or filled by hand."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(store_identity.c.id).limit(2)).scalars().all()
    if len(found) != 1:
        log.warning("storage: store_identity should hold one row; the search index follows the database URL")
        return None
    return found[0]
