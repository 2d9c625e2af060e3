"""What a feed request reads again and again, kept per process and checked against the store each time.

A reader's feedback and library matches change only when they act, and a card's stored work only
when an ingest corrects it; reading them in full for every 换一批 (hundreds of rows: a library
of a thousand papers is a thousand) was most of its database time. Here one read of the reader's
versions (feedback and library: count and newest id, ids never reused) and one of the store's
newest change tell whether what a process holds is still what is stored; only what changed is
read again. Every process checks for itself, so a change made anywhere is seen on the next request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from academichub.model.feedback import Feedback
from academichub.model.works import StoredWork
from academichub.radar.lru import Lru
from academichub.storage.store import Store

READERS = 256  # readers whose feedback and library a process keeps
CARDS = 4096  # stored works kept for cards (a few kB each)


@dataclass(frozen=True)
class Known:
    """A reader's feedback (oldest first) and the works their library matched, at their versions."""

    versions: tuple[tuple[int, int], tuple[int, int]]  # (feedback, library), each (count, newest id)
    feedback: tuple[Feedback, ...]
    library: frozenset[int]

    def actions_on(self, work_ids: Sequence[int]) -> dict[int, set[str]]:
        """The actions the reader took on each of these works."""
        wanted = set(work_ids)
        given: dict[int, set[str]] = {}
        for item in self.feedback:
            if item.work_id in wanted:
                given.setdefault(item.work_id, set()).add(item.action)
        return given


class KnownReaders:
    """Each reader's `Known`, read again only when its versions moved."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept = Lru(READERS)

    def of(self, user_id: int) -> Known:
        """The reader's feedback and library as stored now."""
        versions = self.store.feedback.reader_versions(user_id)
        kept = self._kept.find((user_id,))
        if kept is not None and kept.versions == versions:
            return kept
        feedback = (kept.feedback if kept is not None and kept.versions[0] == versions[0]
                    else tuple(self.store.feedback.all(user_id)))
        library = (kept.library if kept is not None and kept.versions[1] == versions[1]
                   else frozenset(self.store.library.work_ids(user_id)))
        known = Known(versions, feedback, library)
        self._kept.keep((user_id,), known)
        return known


class CardWorks:
    """Stored works for cards: kept ones are used while the store's newest change is the one they
    were read (or checked) under; after a change, a kept work is used if its own `updated_at` is."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept = Lru(CARDS)

    def get(self, ids: Sequence[int]) -> dict[int, StoredWork]:
        """The stored works of these ids (missing ones left out)."""
        now = self.store.works.max_updated_at()
        kept = {i: entry for i in ids if (entry := self._kept.find((i,))) is not None}
        doubtful = [i for i, (_, checked) in kept.items() if checked != now]
        if doubtful:  # the store changed since: a kept work still counts if it did not
            current = self.store.works.updated_at_of(doubtful)
            for i in doubtful:
                work = kept[i][0]
                if current.get(i) == work.updated_at:
                    kept[i] = (work, now)
                    self._kept.keep((i,), kept[i])
                else:
                    del kept[i]
        found = {i: work for i, (work, _) in kept.items()}
        missing = [i for i in ids if i not in found]
        for work in self.store.works.get_many(missing) if missing else ():
            found[work.id] = work
            self._kept.keep((work.id,), (work, now))
        return found
