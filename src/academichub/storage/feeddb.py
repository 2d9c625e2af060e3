"""The feed's memory (batches shown, works claimed) in a SQLite database of its own, beside the store's.

SQLite lets one writer at a time change a database file. With the feed's memory in the store's
file, a reader's 换一批 waited for the write lock behind a bulk ingest's transactions: under the
mixed load with a corpus ingest beside it (bench/load.py) the lock was held by the ingest's
200-work parts p50 40 ms, p99 130 ms, and waiting for it was 38% of a 换一批's time. In a file of
its own (`<database>-feed`) the feed has a writer lock of its own, so a claim waits only for
other claims, and an ingest never waits for a claim either.

Every connection of the feed's engine attaches the store's file (as `store`) for reading: the
feed head joins radars, feedback and works, and unqualified table names find the store's tables
there, so the statements are the same as on PostgreSQL, where the feed's tables stay in the one
database (row locks, no file lock: nothing to gain). A SQLite transaction that begins IMMEDIATE
takes the write lock of every attached file; the feed's begin deferred instead, which is safe
because every writer of the feed's file holds its writer lock first (`engine.write_transaction`).

The two files commit separately: a radar's feed state is forgotten before the radar is deleted,
so a crash in between leaves a radar without history, never history without a radar. A store
from before this file has its feed tables moved here when it is first opened. Alembic manages
these tables on PostgreSQL only (migrations/env.py leaves them out on SQLite): a later change to
them must be made in `ensure_schema` too (a new SCHEMA_VERSION).
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.storage.engine import POOL_SIZE, begins_deferred, sqlite_pragmas, write_transaction
from academichub.storage.schema import batch_items, feed_batches, seen_works

FEED_TABLES = (feed_batches, batch_items, seen_works)
FEED_SUFFIX = "-feed"
SCHEMA_VERSION = 1  # PRAGMA user_version of a feed file whose tables are made
ATTACHED_CACHE_KB = 2_048  # the store's pages a feed connection reads (a few rows per head)


def sqlite_file(engine: Engine) -> str | None:
    """The file of a SQLite engine's database (None: PostgreSQL, or an in-memory database)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return database if database and database != ":memory:" else None


def feed_file(store_file: str) -> str:
    """Where the feed's memory of the SQLite store at this path lives."""
    return f"{store_file}{FEED_SUFFIX}"


def _attach_store(store_file: str, dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("ATTACH DATABASE ? AS store", (store_file,))
    cursor.execute(f"PRAGMA store.cache_size=-{ATTACHED_CACHE_KB}")
    cursor.close()


def make_feed_engine(engine: Engine) -> Engine:
    """The engine of the feed's memory: a SQLite file's own, with the store attached; elsewhere the store's."""
    store_file = sqlite_file(engine)
    if store_file is None:
        return engine
    feed = sa.create_engine(f"sqlite:///{feed_file(store_file)}", connect_args={"timeout": 30},
                            pool_size=POOL_SIZE, max_overflow=4)
    sa.event.listen(feed, "connect", sqlite_pragmas)
    sa.event.listen(feed, "connect", functools.partial(_attach_store, store_file))
    begins_deferred(feed)
    ensure_schema(feed, engine)
    return feed


def ensure_schema(feed: Engine, store: Engine | None = None) -> None:
    """Make the feed's tables in its own file if they are not there yet, and move in those a store
    from before this file still holds (without the foreign keys to radars and works: those are in
    the store's file, which SQLite does not let a key name)."""
    with feed.connect() as conn:
        if conn.exec_driver_sql("PRAGMA main.user_version").scalar() < SCHEMA_VERSION:
            for table in FEED_TABLES:
                within = [key for key in table.foreign_key_constraints if key.referred_table in FEED_TABLES]
                conn.execute(sa.schema.CreateTable(table, include_foreign_key_constraints=within, if_not_exists=True))
                for index in table.indexes:
                    conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
            conn.exec_driver_sql(f"PRAGMA main.user_version={SCHEMA_VERSION}")
            conn.commit()
        left = {row[0] for row in conn.exec_driver_sql("SELECT name FROM store.sqlite_master WHERE type = 'table'")}
        left &= {table.name for table in FEED_TABLES}
        if not left or store is None:
            return
        # Copied and committed here first, then dropped there: the two files commit separately,
        # and a crash in between copies again at the next start (OR IGNORE), never loses a claim.
        for table in FEED_TABLES:
            if table.name in left:
                columns = ", ".join(c.name for c in table.columns)
                conn.exec_driver_sql(f"INSERT OR IGNORE INTO main.{table.name} ({columns}) "
                                     f"SELECT {columns} FROM store.{table.name}")
        conn.commit()
    with write_transaction(store) as conn:
        for table in reversed(FEED_TABLES):  # children first
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
