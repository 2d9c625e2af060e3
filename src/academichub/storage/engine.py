"""Database engines for SQLite (the embedded default, in WAL mode) and PostgreSQL, and migrations."""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

try:
    import fcntl
except ImportError:  # Windows: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]

from academichub.errors import StorageError
from academichub.storage import listened_board, upsert
from academichub.storage.board import Board, open_board
from academichub.storage.listened_board import ListenedBoard
from academichub.storage.schema import counters

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 7_202_611  # any constant: serialises migrations of several processes


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


READ_CACHE_KB = 2_048
AUTO_CHECKPOINT_PAGES = 16_384  # 64 MB of WAL: reached only by writes outside write_transaction
CHECKPOINT_CHANGES = 5_000  # rows written through write_transaction between two checkpoints of the WAL
BULK_CACHE_KB = 65_536  # index B-trees of the author and category tables outgrow less during bulk loads


def sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL and the other settings every SQLite connection of the store's is made with."""
    cursor = dbapi_connection.cursor()
    # WAL lets the web server read while an ingest writes; NORMAL is durable enough with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A 2 MB page cache per connection: a process keeps up to POOL_SIZE of them (and as many for the
    # feed's file), and with 64 MB each a web process grew by 17 MB per 1,000 works stored (1.07 GB at
    # 51,698); 8 MB still cost the web and batch processes about 80 MB under the mixed load with an
    # ingest, for no speed (the pages stay in the system's file cache; reads here are by index).
    # A bulk write asks for more on its own connection (storage.bulk.insert).
    cursor.execute(f"PRAGMA cache_size=-{READ_CACHE_KB}")
    # SQLite checkpoints inside the commit that crosses the threshold, while that writer holds the
    # store's write lock; write_transaction checkpoints after releasing it, and this is the backstop.
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTO_CHECKPOINT_PAGES}")
    cursor.close()


POOL_SIZE = 16  # connections kept per process: as many as threads serve requests (compose.REQUEST_THREADS)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get their directory and WAL pragmas."""
    url = normalise_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StorageError(f"storage: invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql") or parsed.get_driver_name() not in ("pysqlite", "psycopg"):
        # SQLAlchemy would load another driver, not installed, or a database the store is not made for.
        raise StorageError(f"storage: unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
                           "use sqlite:///path/to/file.db or postgresql://user@host/database")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30}, pool_size=POOL_SIZE, max_overflow=4)
        sa.event.listen(engine, "connect", sqlite_pragmas)
        return engine
    # Fewer kept on PostgreSQL: several web processes and workers share its connection limit (100).
    engine = sa.create_engine(parsed, pool_size=10, max_overflow=POOL_SIZE - 10)
    sa.event.listen(engine, "checkin", _checked_in)
    sa.event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))
    return engine


# A connection that sat in the pool for a while may have been closed by the server (a restart,
# an idle timeout): it is pinged before use. One in steady use is not: SQLAlchemy's pool_pre_ping
# pinged on every checkout, a round trip per query that cost 15-20% of the requests a loaded
# server answered (bench/load.py on PostgreSQL).
PING_AFTER_IDLE = 10.0  # seconds


def _checked_in(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect: sa.Dialect, dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
        return
    try:
        # The dialect's own ping runs outside a transaction: a plain SELECT left the connection
        # inside one, and the next read's switch to autocommit (`reading`) then failed with
        # "can't change 'autocommit' now" (a 500 on the first request after 10 s of quiet).
        dialect.do_ping(dbapi_connection)
    except Exception as exc:  # the driver's own error types; the pool then connects afresh
        raise sa.exc.DisconnectionError(f"storage: pooled connection lost ({exc})") from exc


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """An error and those it was raised from or while handling."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def connection_lost(exc: BaseException) -> bool:
    """Whether an error (or one it was raised from) is a database connection the server had closed
    (a restart, an idle timeout): the pool has been emptied, and what failed may run again at once."""
    return any(isinstance(e, sa.exc.DBAPIError) and e.connection_invalidated for e in _chain(exc))


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error comes from the database being out of reach or out of service (a lost or
    refused connection, a shutdown, a lock it gave up waiting for), not from the request."""
    # psycopg's own errors (the change board's connections) only exist once it was imported.
    driver = sys.modules.get("psycopg")
    kinds = (sa.exc.OperationalError, driver.OperationalError) if driver else (sa.exc.OperationalError,)
    return connection_lost(exc) or any(isinstance(e, kinds) for e in _chain(exc))


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (safe to call from several processes)."""
    try:
        with engine.connect() as connection:
            if _up_to_date(connection):  # every process opens the store: most find nothing to do
                return
        sqlite = engine.dialect.name == "sqlite"
        # SQLite runs DDL outside a transaction: processes opening a new store at once each created
        # the tables, and all but one stopped with "table users already exists". One migrates at a
        # time under the store's writer lock; the others then find it done.
        with _writer(engine) if sqlite else nullcontext(), engine.connect() as connection:
            if sqlite and _up_to_date(connection):
                return
            if sqlite:
                # SQLite alters a table by copying and dropping it; with foreign keys on, the
                # drop would cascade-delete every author, category and batch row. The pragma
                # only takes effect outside a transaction.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
                if broken:
                    raise StorageError(f"storage: migration left {len(broken)} dangling references")
    except sa.exc.OperationalError as exc:
        raise StorageError(f"storage: cannot reach the database: {exc.orig}") from None


def _up_to_date(connection: Connection) -> bool:
    """Whether the database is at the packaged head revision (then neither Alembic nor SQLite's
    foreign-key check over every table, which read a whole 50,000-work store at each start, runs)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = set(MigrationContext.configure(connection).get_current_heads())
    connection.rollback()
    return current == set(ScriptDirectory.from_config(alembic_config()).get_heads())


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the write lock from its first statement (SQLite: BEGIN IMMEDIATE).

    A deferred SQLite transaction that reads and then writes fails at once with "database is
    locked" when another writer committed in between; taking the lock first makes it wait its turn
    instead, so read-check-write sequences are atomic. PostgreSQL needs nothing here: callers lock
    the rows they decide on (SELECT … FOR UPDATE).
    """
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            conn.info.pop(_TOUCHED, None)
            with conn.begin():
                yield conn
                touched = conn.info.pop(_TOUCHED, ())
                if touched:  # delivered by PostgreSQL when, and only if, this transaction commits
                    sequence = conn.execute(_ANNOUNCE, {"slots": listened_board.slots_text(touched)}).first()[0]
            if touched:  # this process reads its own writes at once, not when its notification arrives
                board_of(engine).bump(touched, sequence)  # type: ignore[union-attr]
        return
    writer = _writer(engine)
    with writer, engine.connect() as conn:
        sqlite = conn.connection.driver_connection
        before = sqlite.total_changes
        conn.info.pop(_TOUCHED, None)  # the DBAPI connection's dict outlives a checkout
        # IMMEDIATE takes every attached file's write lock too: an engine that attaches another
        # file begins deferred, its writer lock (held already) keeps its other writers out.
        conn.exec_driver_sql("BEGIN" if engine in _DEFERRED else "BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            conn.info.pop(_TOUCHED, None)
            raise
        conn.commit()
        touched = conn.info.pop(_TOUCHED, ())
        if writer.board is not None and touched:  # announced after the commit, before the lock is let go
            writer.board.bump(touched)
        due = writer.wrote(sqlite.total_changes - before)
    if due:
        writer.checkpoint_soon(engine)


_TOUCHED = "academichub.touched"
_ANNOUNCE = sa.text(listened_board.ANNOUNCE_SQL)

_DEFERRED: weakref.WeakSet[Engine] = weakref.WeakSet()


def begins_deferred(engine: Engine) -> None:
    """Mark a SQLite engine whose connections attach another database file (see write_transaction)."""
    _DEFERRED.add(engine)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads: on PostgreSQL its statements run outside a transaction (autocommit).

    Each read then costs one round trip instead of three (BEGIN, the statement, ROLLBACK), and
    under READ COMMITTED, PostgreSQL's default, a read-only transaction gave nothing more: every
    statement in it sees a snapshot of its own anyway. Writes go through `write_transaction`.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")  # client-side: no statement is sent
        yield conn


def touch(conn: Connection, *slots: int) -> None:
    """Name the change board's slots this write transaction changes (announced when it commits)."""
    conn.info.setdefault(_TOUCHED, set()).update(slots)


def libpq_url(engine: Engine) -> str:
    """A PostgreSQL engine's URL as psycopg connects with it outside SQLAlchemy (its own connections)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def board_of(engine: Engine) -> Board | None:
    """The change board of a store: a SQLite store's shared file (None for one without a writer lock
    file, whose writers could not be counted one at a time), a PostgreSQL store's listened board."""
    if engine.dialect.name == "sqlite":
        return _writer(engine).board
    with _writers_lock:
        board = _listened.get(engine)
        if board is None or board.pid != os.getpid():  # a forked child inherits no listening thread
            board = _listened[engine] = ListenedBoard(libpq_url(engine))
            weakref.finalize(engine, board.close)
        return board


def listened_of(engine: Engine) -> ListenedBoard | None:
    """A PostgreSQL store's board while it is listening: the one reads must catch up with (SQLite's
    is current at every commit, and one not listening is not trusted anyway)."""
    board = board_of(engine)
    return board if isinstance(board, ListenedBoard) and board.live else None


SYNC_WAIT = 2.0  # seconds a reader waits for its listener before it trusts nothing kept instead


def board_sequence(engine: Engine) -> int | None:
    """The store's board sequence number now (PostgreSQL; None on SQLite, whose board is shared memory)."""
    if engine.dialect.name == "sqlite":
        return None
    with reading(engine) as conn:
        return conn.exec_driver_sql(listened_board.SEQUENCE_SQL).scalar() or 0


def sync_board(engine: Engine) -> None:
    """Make this process's board count every change committed before now, in any process
    (PostgreSQL: see storage/listened_board.py; SQLite's board is current already)."""
    board = listened_of(engine)
    if board is None:
        return
    sequence = board_sequence(engine) or 0
    if not board.caught_up(sequence):
        board.wait(sequence, SYNC_WAIT)


def close_board(engine: Engine) -> None:
    """Stop a PostgreSQL store's listening connection (its store is closing)."""
    with _writers_lock:
        board = _listened.pop(engine, None)
    if board is not None:
        board.close()


class _Writer:
    """Who may write a SQLite store now: a thread lock within the process, a file lock across processes.

    SQLite's own busy handler makes a waiting writer sleep in growing steps (up to 100 ms each) and
    try again: three concurrent 换一批 of one process took half a second, and during a bulk ingest in
    another process a reader's 换一批 waited up to 0.5 s, polling past the ingest's gaps between
    batches. Waiters here sleep in the kernel and wake when the lock is released.
    """

    def __init__(self, database: str | None) -> None:
        self.threads = threading.RLock()
        self._path = f"{database}-writer.lock" if database and database != ":memory:" and fcntl else None
        self.board = open_board(database) if self._path else None
        self._file: int | None = None
        self._depth = 0
        self._changes = 0  # rows written since the last checkpoint
        self._checkpoints = threading.Lock()
        self._checkpointing = False
        self._again = False

    def wrote(self, changes: int) -> bool:
        """Count a committed transaction's rows (lock held); whether the WAL is due a checkpoint."""
        self._changes += changes
        if self._changes < CHECKPOINT_CHANGES:
            return False
        self._changes = 0
        return True

    def checkpoint_soon(self, engine: Engine) -> None:
        """Checkpoint the WAL on a thread of its own, outside the write lock; one at a time.

        With SQLite's automatic checkpoint every 1,000 pages, a bulk load spent a third of its time
        in commits (10.3 s of 36 s for the corpus), all of it holding the lock a reader's 换一批
        waits for. Fewer, larger checkpoints copy a page written many times once (5.5 s in all),
        and on their own thread (the GIL released in SQLite) they overlap the next batch.
        """
        with self._checkpoints:
            if self._checkpointing:
                self._again = True
                return
            self._checkpointing = True
        threading.Thread(target=self._checkpoint, args=(weakref.ref(engine),), name="sqlite-checkpoint",
                         daemon=True).start()

    def _checkpoint(self, engine_ref: weakref.ref[Engine]) -> None:
        while True:
            engine = engine_ref()
            if engine is None:
                return
            try:
                with engine.connect() as conn:  # PASSIVE waits for no reader or writer: what it
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")  # cannot copy now, it copies next time
            except sa.exc.SQLAlchemyError as exc:  # the store was closed and removed meanwhile, or another
                log.debug("storage: WAL checkpoint skipped: %s", exc)  # process holds the checkpoint lock
            del engine
            with self._checkpoints:
                if not self._again:
                    self._checkpointing = False
                    return
                self._again = False

    def __enter__(self) -> None:
        self.threads.acquire()
        try:
            if self._depth == 0 and self._path:
                if self._file is None:
                    self._file = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._file, fcntl.LOCK_EX)
        except OSError:  # the lock file cannot be made (a read-only directory): SQLite's own lock rules
            self._path = None  # and no new attempt at every write; writers are no longer counted one
            self.board = None  # at a time, so readers stop trusting the board
        except BaseException:
            self.threads.release()
            raise
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self.threads.release()


_writers: weakref.WeakKeyDictionary[Engine, _Writer] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()
_listened: weakref.WeakKeyDictionary[Engine, ListenedBoard] = weakref.WeakKeyDictionary()


def _writer(engine: Engine) -> _Writer:
    with _writers_lock:
        writer = _writers.get(engine)
        if writer is None:
            writer = _writers[engine] = _Writer(engine.url.database)
        return writer


def next_stamp(conn: Connection, name: str) -> int:
    """Advance a shared counter inside the caller's transaction and return its new value.

    The updated row stays locked until the caller commits, so two writers' stamps become visible in
    the order they were taken: a reader that saw stamp N never later finds a row stamped below N.
    """
    # One statement: an update that found no row and then an insert let two processes' first
    # stamps both insert (two ingests at once into a new PostgreSQL store: one failed on the key).
    statement = upsert.insert(conn, counters).values(name=name, value=1)
    return int(conn.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": counters.c.value + 1}).returning(counters.c.value)).scalar_one())


def read_counter(conn: Connection, name: str) -> int:
    """A shared counter's current value (0 if never advanced)."""
    return int(conn.execute(sa.select(counters.c.value).where(counters.c.name == name)).scalar() or 0)
