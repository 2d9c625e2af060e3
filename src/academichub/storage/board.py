"""Change counters in shared memory: a process learns that nothing a read depends on changed without asking the database.

A SQLite store lives on one machine, and every process writing it (web, batch process, ingest,
workers) holds the store's writer lock while it commits. Each write transaction names the slots
it touched (`engine.touch`: a radar, a reader, added or changed works); after its commit, still
holding the lock, the writer adds one to each. The slots live in a small file beside the
database (`<database>-board`), mapped into every process, so a reader compares a few integers
in memory with those it saw when it last read the database, and reads again only when one
moved.

That turns the two reads every feed request made on the event loop (the reader's radars and
the radar's feed head) into memory lookups while nothing changed: each statement gave the GIL up
and waited to get it back behind the request threads, and under load the two took 45% of the
loop. Slots are shared by hashing (radar 7 and radar 2,055 share one): a collision only costs a
needless read, never a stale answer. A writer killed between its commit and its bump would leave
a change unannounced, so nothing read is kept longer than MAX_AGE. A PostgreSQL store's
processes may run on several machines: its board is kept by notifications instead
(storage/listened_board.py), with the same interface.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

SLOTS = 4096
WORKS_ADDED = 0  # a work inserted: what periods resolve to may move on
WORKS_CHANGED = 1  # a stored work rewritten: a page showing it changes
AUTHORS = 2  # an answer about, or the ids of, a followed author
_RADARS, _RADAR_SLOTS = 64, 1024
_BATCHES, _BATCH_SLOTS = _RADARS + _RADAR_SLOTS, 1024
_USERS = _BATCHES + _BATCH_SLOTS
_USER_SLOTS = SLOTS - _USERS
_SLOT = struct.Struct("<q")
MAX_AGE = 1.0  # seconds a read is trusted on the board's word alone
T = TypeVar("T")


def radar_slot(radar_id: int) -> int:
    """The slot a radar's settings and subscriptions bump."""
    return _RADARS + radar_id % _RADAR_SLOTS


def batch_slot(radar_id: int) -> int:
    """The slot a radar's recorded batches and claims bump (apart from its settings: a 换一批 must not
    make every process read the radar and its subscriptions again)."""
    return _BATCHES + radar_id % _BATCH_SLOTS


def user_slot(user_id: int) -> int:
    """The slot a reader's radars and feedback bump."""
    return _USERS + user_id % _USER_SLOTS


class ChangeBoard:
    """The counters of one store, mapped from the file beside its database."""

    live = True  # always current: writers bump it themselves (storage.listened_board's may lag or drop)

    def __init__(self, path: str) -> None:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size < SLOTS * _SLOT.size:  # a new file grows, with zeros; never shrinks
                os.ftruncate(descriptor, SLOTS * _SLOT.size)
            self._map = mmap.mmap(descriptor, SLOTS * _SLOT.size)
        finally:
            os.close(descriptor)

    def read(self, slot: int) -> int:
        """A slot's count now."""
        return _SLOT.unpack_from(self._map, slot * _SLOT.size)[0]

    def marks(self, slots: Iterable[int]) -> tuple[int, ...]:
        """The counts of several slots."""
        return tuple(_SLOT.unpack_from(self._map, slot * _SLOT.size)[0] for slot in slots)

    def bump(self, slots: Iterable[int], sequence: int | None = None) -> None:
        """Announce a committed change; the caller holds the store's writer lock (one writer at a time).
        (`sequence` is a PostgreSQL board's: this one is written by every writer itself.)"""
        for slot in slots:
            _SLOT.pack_into(self._map, slot * _SLOT.size, self.read(slot) + 1)


def open_board(database_path: str) -> ChangeBoard | None:
    """The board of the SQLite database at this path, or None when its file cannot be made."""
    try:
        return ChangeBoard(f"{database_path}-board")
    except (OSError, ValueError):  # a read-only directory: every read goes to the database
        return None


class Board(Protocol):
    """What a reader asks of a board: this store's (ChangeBoard) or a PostgreSQL store's (ListenedBoard)."""

    live: bool

    def read(self, slot: int) -> int: ...

    def marks(self, slots: Iterable[int]) -> tuple[int, ...]: ...

    def bump(self, slots: Iterable[int], sequence: int | None = None) -> None: ...


Watch = tuple[Board | None, tuple[int, ...]]  # a board and the slots of it a read depends on


class BoardMemo:
    """Reads kept while the boards' slots they depend on are unchanged (a few hundred at most)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._kept: OrderedDict[Any, tuple[tuple, float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, watches: tuple[Watch, ...], read: Callable[[], T]) -> T:
        """`read()`, or what it returned last for `key` if none of the watched slots moved since (nor
        MAX_AGE passed); always `read()` when a board is missing or not listening."""
        if any(board is None or not board.live for board, _ in watches):
            return read()
        # The marks are taken before the read: a change committed in between makes them differ
        # next time, so the value is read again rather than kept past the change.
        marks, now = tuple(board.marks(slots) for board, slots in watches), time.monotonic()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == marks and now - kept[1] < MAX_AGE:
                self._kept.move_to_end(key)
                return kept[2]
        value = read()
        with self._lock:
            self._kept[key] = (marks, now, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value
