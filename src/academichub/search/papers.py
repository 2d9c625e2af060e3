"""Stored papers as pages, exports, feeds and health read them: by public id, by work id, and
how many there are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from academichub.model.works import StoredWork
from academichub.storage.store import Store


def paper(store: Store, public_id: str) -> StoredWork:
    """One stored paper by its public id (arXiv id, DOI …); an unknown one is not found."""
    return store.works.require(public_id, "papers")


def papers(store: Store, public_ids: Sequence[str], component: str = "papers") -> list[StoredWork]:
    """Stored papers by public id, in the order asked; an unknown one is not found (named by `component`)."""
    return store.works.require_many(public_ids, component)


def by_work_id(store: Store, work_ids: Sequence[int]) -> dict[int, StoredWork]:
    """Stored papers by work id (ids no longer stored are left out)."""
    return {w.id: w for w in store.works.get_many(work_ids)}


def holdings(store: Store) -> tuple[int, date | None]:
    """How many works the store holds, and its newest announcement day."""
    days = store.works.latest_feed_dates(1)
    return store.works.count(), days[0] if days else None
