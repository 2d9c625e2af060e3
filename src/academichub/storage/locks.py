"""Locks that make read-decide-write sequences safe across requests, threads and processes.

Row locks and advisory locks on PostgreSQL; on SQLite, whose writers already run one at a time
(engine.write_transaction), the row checks still tell a deleted row from a present one, and work
done outside the database is serialised by a file lock beside the database file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from academichub.errors import InputError, NotFoundError
from academichub.storage.schema import radars

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: a lock within the process only
    fcntl = None  # type: ignore[assignment]


def lock_row(conn: Connection, key: sa.Column, value: object) -> bool:
    """Hold the row whose `key` is `value` until this transaction ends, so that writers of what
    hangs on it go one at a time (PostgreSQL; SQLite's writers run one at a time already); whether
    the row is there (one deleted meanwhile is not, and a row hung on it would break its key)."""
    query = sa.select(key).where(key == value)
    return conn.execute(query.with_for_update() if conn.dialect.name == "postgresql" else query).first() is not None


def lock_radar(conn: Connection, radar_id: int) -> None:
    """Hold a radar's row until this transaction ends, or say it is gone: a radar deleted while a
    request on it ran made that request's batch, chip or model fail its foreign key (a 500)."""
    if not lock_row(conn, radars.c.id, radar_id):
        raise NotFoundError(f"radars: no radar {radar_id}")


def refuse_at_limit(conn: Connection, table: sa.Table, limit: int, refusal: str, *where: sa.ColumnElement[bool]) -> None:
    """Refuse (InputError, problem "too-many") a new row when `table` holds `limit` rows matching
    `where` already; call it holding the lock that every insert of such rows takes, so that two
    at once cannot both pass the count."""
    if conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar() >= limit:
        raise InputError(refusal, problem="too-many")


def serialise(conn: Connection, key: int) -> None:
    """Let one transaction at a time past this point for `key` until it ends, where there is no row
    to lock yet (PostgreSQL: an advisory lock; SQLite's write transactions run one at a time)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


_ONE_AT_A_TIME = threading.Lock()  # a store without a file to lock (in memory): one process anyway


@contextmanager
def one_at_a_time(engine: Engine, name: str) -> Iterator[None]:
    """Run a block in one thread of one process at a time per store: for work that reads what is
    due, acts outside the database (mails, posts, an LLM) and then records it done, which two
    schedulers or queue workers doing at once both did (PostgreSQL: a session advisory lock keyed
    by `name`; SQLite: a file lock beside the database named after it). Waiters wait their turn,
    then find done what the first did."""
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # held by the session, no open transaction
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        return
    database = engine.url.database
    if not database or database == ":memory:" or fcntl is None:
        with _ONE_AT_A_TIME:
            yield
        return
    handle = os.open(f"{database}-{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)  # its own descriptor: threads
    try:  # of one process wait for each other too
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock
