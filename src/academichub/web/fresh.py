"""Reads that never miss a write committed before the request arrived, in any process of a PostgreSQL store.

A web process keeps what it read while its change board says nothing it depends on changed. On
SQLite the board is shared memory, current the moment a writer commits. On PostgreSQL it is kept
by notifications (storage/listened_board.py), which reach this process a moment after the commit:
a page loaded right after a 换一批 recorded by another process (a redirect, an API client's next
call) could still show the previous batch. So each request first learns the store's board
sequence number and, in the rare case this process's listener has not applied it yet, waits on
the event loop until it has.

The sequence is read one read at a time, and every request that arrived before a read started
shares it: a read per request cut replayed feed reads from 7,773 to 1,580 per second
(bench/load.py --scenario feed, one process). The read runs on the event loop itself, over an
asynchronous connection of the loop's own (`Store.async_sequence`): on a thread it waited for the
GIL at every step and took 13.6 ms at the median under the mixed load with an ingest.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from academichub.compose import database_unavailable

POLL = 0.0005  # seconds between looks at the listener's progress
WAIT = 2.0  # seconds at most; then nothing kept is trusted and every read goes to the database once


class FreshReads:
    """Catches this process's PostgreSQL change board up with the store before a request is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._sequence = _SharedRead()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = getattr(scope["app"].state, "academichub", None)
            if state is not None and state.store.board_listened():
                try:
                    await self._catch_up(state.store)
                except Exception as exc:
                    if not database_unavailable(exc):
                        raise
                    # No sequence to wait for: everything kept is read again, and the request goes
                    # on to meet the database itself (run again or answered 503: web/reconnect.py).
                    state.store.distrust_board()
        await self.app(scope, receive, send)

    async def _catch_up(self, store) -> None:  # type: ignore[no-untyped-def]
        """Wait (without blocking the loop) until the board counts every change committed before now."""
        sequence = await self._sequence.read(store)
        deadline = time.monotonic() + WAIT
        while not store.board_caught_up(sequence):
            if time.monotonic() > deadline:
                store.distrust_board()
                return
            await asyncio.sleep(POLL)


class _SharedRead:
    """The board sequence, read one read at a time; a read serves every request that arrived before
    it began (those arriving during it wait for the next). Kept per event loop, with the loop's own
    connection: a test client may run each request on a loop of its own, and a future (like an
    asynchronous connection) belongs to one loop."""

    def __init__(self) -> None:
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopReads] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        _SHARED.add(self)

    async def read(self, store) -> int:  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()
        with self._lock:
            reads = self._loops.get(loop)
            if reads is None:
                reads = self._loops[loop] = _LoopReads(store.async_sequence())
        if reads.next is None:
            reads.next = loop.create_future()
        wanted = reads.next
        if not reads.reading:
            reads.reading = True
            reads.task = loop.create_task(self._run(reads))  # referenced: a bare task may be collected
        return await asyncio.shield(wanted)  # a request that goes away must not cancel the others' read

    async def _run(self, reads: _LoopReads) -> None:
        try:
            while reads.next is not None:
                wanted, reads.next = reads.next, None  # later arrivals wait for a read that starts after them
                try:
                    wanted.set_result(await reads.sequence.read())
                except Exception as exc:  # the database is unreachable: the request fails as any read would
                    wanted.set_exception(exc)
                    wanted.exception()  # retrieved here too: nobody may be waiting for it any more
        finally:
            reads.reading = False

    async def close_loop(self) -> None:
        """Close the running event loop's connection (a later read on it opens another)."""
        with self._lock:
            reads = self._loops.pop(asyncio.get_running_loop(), None)
        if reads is not None:
            await reads.sequence.close()


class _LoopReads:
    """One event loop's pending read of the board sequence."""

    def __init__(self, sequence: Any) -> None:
        self.sequence = sequence  # Store.async_sequence(): its own connection, used on this loop only
        self.next: asyncio.Future[int] | None = None
        self.reading = False
        self.task: asyncio.Task[None] | None = None


_SHARED: weakref.WeakSet[_SharedRead] = weakref.WeakSet()


async def close_reads() -> None:
    """Close the connections the running event loop's sequence reads hold (at the app's shutdown)."""
    for shared in list(_SHARED):
        await shared.close_loop()
