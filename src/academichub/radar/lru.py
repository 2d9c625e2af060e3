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

    def get_or(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The entry of `key`, made (and kept) if missing; two threads may both make it, which is harmless."""
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = make()
        with self.lock:
            self[key] = value
            while len(self) > self.size:
                self.popitem(last=False)
        return value
