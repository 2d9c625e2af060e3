"""Small thread-safe least-recently-used maps: the per-process caches of the feed and its readers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class Lru(OrderedDict):
    """Keeps the `size` most recently used entries; `get_or` builds a missing one outside the lock."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()
        self._building: dict[tuple, threading.Event] = {}

    def find(self, key: tuple) -> Any:
        """The entry of `key` (now the most recently used), or None."""
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        return None

    def keep(self, key: tuple, value: Any) -> None:
        """Store an entry, dropping the least recently used beyond `size`."""
        with self.lock:
            self[key] = value
            while len(self) > self.size:
                self.popitem(last=False)

    def get_or(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The entry of `key`, made (and kept) if missing. One thread makes it while the others that
        want it wait: after a store change every request misses at once, and each making its own
        copy of a 50,000-paper window multiplied the work by the threads."""
        while True:
            with self.lock:
                if key in self:
                    self.move_to_end(key)
                    return self[key]
                building = self._building.get(key)
                if building is None:
                    building = self._building[key] = threading.Event()
                    break
            building.wait()  # then look again: made, or its maker failed and this thread tries
        try:
            value = make()
            self.keep(key, value)
            return value
        finally:
            with self.lock:
                self._building.pop(key, None)
            building.set()


class Versioned:
    """Values by key, each made once per version of what they depend on, from the newest one kept.

    `make` gets the (version, value) kept last for the key, or None, and may extend it rather than
    start over (a window takes in the works changed since; scores over a grown matrix score the
    new rows only). A value made for an older version that lands last is still a correct base:
    every extension reads what changed since the base's own version.
    """

    def __init__(self, size: int) -> None:
        self._made = Lru(size)  # (key, version) -> value: one thread makes each, the others wait for it
        self._latest = Lru(size)  # key -> (version, value): what the next version starts from

    def get(self, key: tuple, version: Any, make: Callable[[tuple[Any, Any] | None], Any]) -> Any:
        """The value of `key` at `version`."""
        def made() -> Any:
            value = make(self._latest.find(key))
            self._latest.keep(key, (version, value))
            return value

        return self._made.get_or((key, version), made)
