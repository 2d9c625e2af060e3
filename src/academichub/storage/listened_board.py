"""The change board of a PostgreSQL store: counters in this process, moved by the store's notifications.

A PostgreSQL store's processes may run on several machines, so they share no memory; they share
the database. Each write transaction that names slots (`engine.touch`) takes the next board
sequence number (a counter row, locked only from that statement to its commit, so numbers commit
in order) and sends it with the slots by `pg_notify`; PostgreSQL delivers a notification only when
(and only if) its transaction commits, in commit order, to every session listening on the channel.
Each process keeps one listening connection per store on a thread of its own, adds one to the
named counters as notifications arrive and remembers the highest number it applied.

A reader that must not miss a write committed by another process just before (a page loaded after
a 换一批 that another process recorded) calls `engine.sync_board` first: one primary-key read of the
sequence, then, rarely, a wait of a millisecond or so until this process's listener has applied
it. While the listening connection is down nothing is trusted (`live` is false: every read goes to
the database); when it is back every counter moves, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable

from academichub.storage.board import SLOTS

log = logging.getLogger(__name__)
# One channel per schema (channels are per database): two stores in one database, as the tests
# keep them, do not move each other's counters. Every session of a store has the same schema.
CHANNEL_SQL = "'academichub_board_' || md5(current_schema())"
ALL = "*"  # a payload naming every slot (a transaction that touched too many to list)
MAX_PAYLOAD = 7_000  # characters; PostgreSQL refuses payloads of 8,000 bytes or more
RECONNECT_AFTER = 1.0  # seconds between attempts to listen again
POLL = 0.5  # seconds a wait for notifications lasts before the thread checks whether to stop
SEQUENCE_NAME = "board"  # its row in the counters table
SEQUENCE_SQL = f"SELECT value FROM counters WHERE name = '{SEQUENCE_NAME}'"
# Taken by a writer just before its commit: the row stays locked only for the commit itself.
NEXT_SEQUENCE_SQL = (f"INSERT INTO counters (name, value) VALUES ('{SEQUENCE_NAME}', 1) ON CONFLICT (name) "
                     "DO UPDATE SET value = counters.value + 1 RETURNING value")


# One statement takes the next number and sends the notification (`payload`'s text, made by the
# server around the number it just took): the board's row is locked from here to the commit, and a
# second round trip under that lock was a second wait for every writer queued behind it.
ANNOUNCE_SQL = (f"WITH next AS ({NEXT_SEQUENCE_SQL}) "
                f"SELECT value, pg_notify({CHANNEL_SQL}, value || ':' || :slots) FROM next")


def slots_text(slots: Iterable[int]) -> str:
    """The slots part of a notification: the slots in order, or ALL when they would not fit."""
    text = ",".join(str(slot) for slot in sorted(set(slots)))
    return text if len(text) <= MAX_PAYLOAD else ALL


def payload(sequence: int, slots: Iterable[int]) -> str:
    """The notification text: the board sequence number of the transaction and the slots it touched."""
    return f"{sequence}:{slots_text(slots)}"


def parse(text: str) -> tuple[int, range | list[int]]:
    """A notification's sequence number and slots (every slot for ALL or for text that is not ours:
    moving everything costs reads, never staleness)."""
    number, _, listed = text.partition(":")
    try:
        sequence = int(number)
        if listed == ALL:
            return sequence, range(SLOTS)
        if not listed:
            return sequence, []
        return sequence, [slot for slot in map(int, listed.split(",")) if 0 <= slot < SLOTS]
    except ValueError:
        return 0, range(SLOTS)


class ListenedBoard:
    """A store's change counters in this process, kept current by a thread listening on its store's channel."""

    def __init__(self, conninfo: str) -> None:
        self._counts = [0] * SLOTS
        self._lock = threading.Condition()  # a bump is a read and a write: two at once must not lose one
        self._applied = 0  # the highest board sequence number whose slots are counted here
        self._own: set[int] = set()  # sequence numbers this process counted at its commit, not yet heard back
        self._conninfo = conninfo
        self._stop = threading.Event()
        self._live = False
        self.backend_pid: int | None = None  # the listening session's, for pg_stat_activity
        self.pid = os.getpid()  # the process whose thread listens (a forked child makes its own board)
        self._thread = threading.Thread(target=self._listen, name="board-listener", daemon=True)
        self._thread.start()

    @property
    def live(self) -> bool:
        """Whether the counters are kept current now (listening, and in the process whose thread listens:
        a forked child's copy of a board hears nothing)."""
        return self._live and self.pid == os.getpid()

    def read(self, slot: int) -> int:
        """A slot's count now."""
        return self._counts[slot]

    def marks(self, slots: Iterable[int]) -> tuple[int, ...]:
        """The counts of several slots."""
        counts = self._counts
        return tuple(counts[slot] for slot in slots)

    def bump(self, slots: Iterable[int], sequence: int | None = None) -> None:
        """Move these slots' counters: a change this process committed as board `sequence` (its
        notification, when it comes back here, then moves nothing again), or every slot."""
        with self._lock:
            if sequence is not None:
                if sequence <= self._applied:
                    return  # its notification came back first and moved them
                self._own.add(sequence)
            for slot in slots:
                self._counts[slot] += 1

    def caught_up(self, sequence: int) -> bool:
        """Whether every change up to this board sequence number is counted here (and still will be)."""
        return self.live and self._applied >= sequence

    def wait(self, sequence: int, timeout: float) -> bool:
        """Wait until changes up to `sequence` are counted here; False (and every slot moved, so
        nothing kept is trusted) if the listener does not get there in time."""
        with self._lock:
            if self._lock.wait_for(lambda: self.caught_up(sequence), timeout):
                return True
        self.bump(range(SLOTS))
        return False

    def wait_live(self, timeout: float) -> bool:
        """Wait until the listening connection is up (tests and benchmarks); whether it is."""
        deadline = time.monotonic() + timeout
        while not self.live and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.live

    def close(self) -> None:
        """Stop listening (the thread ends within POLL seconds); nothing read is trusted after."""
        self._live = False
        self._stop.set()

    def _listening(self, floor: int) -> None:
        """The connection listens again, and the store's sequence was `floor` after it did: whatever
        committed while nobody listened is unknown, so every slot moves."""
        with self._lock:
            self._counts = [count + 1 for count in self._counts]
            self._own.clear()  # their notifications may have been lost with the connection
            self._applied = max(self._applied, floor)
            self._live = True
            self._lock.notify_all()

    def _heard(self, sequence: int, slots: Iterable[int], floor: int) -> None:
        """Count a notification (not one of this process's own commits, counted already, nor one at
        or below `floor`, counted when every slot moved; 0 is a payload not ours: counted)."""
        with self._lock:
            if sequence in self._own:
                self._own.discard(sequence)
            elif sequence > floor or not sequence:
                for slot in slots:
                    self._counts[slot] += 1
            self._applied = max(self._applied, sequence)
            self._lock.notify_all()

    def _listen(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    channel = conn.execute(f"SELECT {CHANNEL_SQL}").fetchone()[0]  # type: ignore[index]
                    conn.execute(f"LISTEN {channel}")
                    self.backend_pid = conn.info.backend_pid
                    start = conn.execute(SEQUENCE_SQL).fetchone()  # read after LISTEN: every later commit is heard
                    floor = start[0] if start else 0
                    self._listening(floor)
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=POLL):
                            self._heard(*parse(note.payload), floor)
            except Exception as exc:  # psycopg's errors (the server restarted, the database was dropped)
                log.debug("storage: change board not listening: %s", exc)
            finally:
                self._live = False
            self._stop.wait(RECONNECT_AFTER)


class AsyncSequence:
    """The board sequence read on the caller's event loop, over a connection of its own (autocommit).

    Read on a thread, each request's catch-up waited for that thread to get the GIL back from the
    busy event loop at every step of the read (Python hands it over every 5 ms): under the mixed
    load with an ingest, 13.6 ms at the median and 92 ms at p99 per request. Read here, the loop
    itself waits on the socket. One instance belongs to one event loop; `close` it on that loop.
    """

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._conn = None  # psycopg.AsyncConnection, opened on first use

    async def read(self) -> int:
        """The store's board sequence number now; a connection found broken (the server restarted,
        an idle connection was cut) is replaced once, as the pool replaces its own."""
        import psycopg

        await self._connect()
        try:
            return await self._query()
        except psycopg.OperationalError:  # a second failure fails the request, as any read would
            await self._connect()
            return await self._query()

    async def _connect(self) -> None:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def _query(self) -> int:
        import psycopg

        try:
            cursor = await self._conn.execute(SEQUENCE_SQL)
            row = await cursor.fetchone()
        except psycopg.Error:  # the connection is not used again
            await self.close()
            raise
        return row[0] if row else 0

    @property
    def backend_pid(self) -> int | None:
        """The server process of its connection, while it has one (for diagnostics and tests)."""
        return self._conn.info.backend_pid if self._conn is not None and not self._conn.closed else None

    async def close(self) -> None:
        """Close the connection (a later read opens another)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            await conn.close()
