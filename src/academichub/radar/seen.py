"""Each radar's claimed works, kept per process and topped up with only the claims made since.

A radar's seen set grows with every batch (thousands of works after a few weeks), and every
换一批 excludes it. Claims are never released and a radar's batches are numbered in the order
they commit, so a process keeps (set, newest batch) and reads the claims of that batch or
later: one indexed read of a few rows instead of the whole history.
"""

from __future__ import annotations

from academichub.radar.lru import Lru
from academichub.storage.feedstate import FeedStateRepo

KEPT = 256  # radars whose seen sets a process keeps


class SeenSets:
    """The works each radar has claimed, as of now."""

    def __init__(self, repo: FeedStateRepo, size: int = KEPT) -> None:
        self.repo = repo
        self._kept = Lru(size)

    def of(self, radar_id: int, *, besides: int | None = None) -> frozenset[int]:
        """The radar's claimed works, except those batch `besides` shows now (when given)."""
        works, since = self._kept.find((radar_id,)) or (frozenset(), 0)
        fresh = self.repo.seen_since(radar_id, since)
        if fresh:
            # The newest batch is read again next time: a re-rank in place adds claims to it.
            works, since = works | {w for w, _ in fresh}, max(since, max(b for _, b in fresh))
            self._kept.keep((radar_id,), (works, since))
        if besides is not None:
            works = works - set(self.repo.showing(besides))
        return works
