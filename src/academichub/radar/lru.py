"""A small thread-safe least-recently-used map: the per-process caches of the feed and its readers."""

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
