"""Id sets a process keeps over the works table, brought up to date by the works changed since.

A period's window (ids and feed days) and the works of a followed category or venue are read
whole once; when the store's newest change moves on, only the works stored or changed since the
last one are read and merged in. A bulk ingest changes the store every second or so, and reading
every window again each time cost a third of a web process's time during one (bench/load.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from academichub.radar.lru import Lru, Versioned
from academichub.storage.store import Store

FULL_EVERY = 512  # steps before a set is read whole again: a guard against a clock that went back
Changed = tuple[np.ndarray, np.ndarray]  # (ids ascending, feed day ordinals or -1) of changed works
Advance = Callable[[Any, Changed], Any]


class KeptCurrent:
    """Values by key, each made once per watermark: from scratch, or by `advance` from the newest one kept."""

    def __init__(self, store: Store, size: int) -> None:
        self.store = store
        self._values = Versioned(size)  # key -> (steps since read whole, value), per watermark
        self._changes = Lru(8)  # (since, watermark) -> Changed, shared by every key

    def get(self, key: tuple, watermark: Any, build: Callable[[], Any], advance: Advance | None = None) -> Any:
        """The value of `key` as of `watermark` (the works table's newest change, None when empty)."""
        def make(base: tuple[Any, tuple[int, Any]] | None) -> tuple[int, Any]:
            if advance is not None and base is not None and None not in (base[0], watermark) \
                    and base[1][0] < FULL_EVERY and base[0] <= watermark:
                since, (steps, value) = base
                return steps + 1, advance(value, self._changed(since, watermark))
            return 0, build()

        return self._values.get(key, watermark, make)[1]

    def _changed(self, since: Any, watermark: Any) -> Changed:
        # Read after `watermark` was: it holds every change up to it (and perhaps a few after,
        # which the next step reads again: merging a change twice gives the same set).
        return self._changes.get_or((since, watermark), lambda: self.store.works.changed_since(since))


def _inside(days: np.ndarray, start: date | None, end: date | None) -> np.ndarray:
    keep = days >= 0
    if start:
        keep &= days >= start.toordinal()
    if end:
        keep &= days <= end.toordinal()
    return keep


def advance_window(start: date | None, end: date | None) -> Advance:
    """How a window (ids, days) between two dates takes in changed works: new ones inside the
    dates added, changed ones placed again by their (perhaps new) date."""
    def advance(window: tuple[np.ndarray, np.ndarray], changed: Changed) -> tuple[np.ndarray, np.ndarray]:
        ids, days = window
        changed_ids, changed_days = changed
        if not len(changed_ids):
            return window
        inside = _inside(changed_days, start, end)
        if not len(ids) or changed_ids[0] > ids[-1]:  # only works newer than all: appended in order
            return np.concatenate([ids, changed_ids[inside]]), np.concatenate([days, changed_days[inside]])
        keep = ~np.isin(ids, changed_ids)
        merged_ids = np.concatenate([ids[keep], changed_ids[inside]])
        merged_days = np.concatenate([days[keep], changed_days[inside]])
        order = np.argsort(merged_ids, kind="stable")
        return merged_ids[order], merged_days[order]

    return advance


def advance_members(members_among: Callable[[np.ndarray], np.ndarray]) -> Advance:
    """How the ascending ids of a followed field's works take in changed works (`members_among`:
    which of some ids belong, asked of the database like the whole set)."""
    def advance(members: np.ndarray, changed: Changed) -> np.ndarray:
        changed_ids = changed[0]
        if not len(changed_ids):
            return members
        found = members_among(changed_ids)
        if not len(members) or changed_ids[0] > members[-1]:
            return np.concatenate([members, found])
        return np.union1d(members[~np.isin(members, changed_ids)], found)

    return advance
