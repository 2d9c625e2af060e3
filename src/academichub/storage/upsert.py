"""INSERT … ON CONFLICT in the connection's dialect: one statement where a read and then an insert
raced (two processes following the same chip: one of them failed on the unique key with a 500)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def insert(conn: Connection, table: sa.Table):  # type: ignore[no-untyped-def]
    """The dialect's INSERT for `table` (SQLite's and PostgreSQL's both take `on_conflict_do_nothing`
    and `on_conflict_do_update`)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)
