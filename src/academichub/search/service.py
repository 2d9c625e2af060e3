"""Full-text search over stored works, hydrated from the database, with filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from academichub.errors import InputError
from academichub.storage.store import Store
from academichub.storage.works import StoredWork

MAX_QUERY = 500
MAX_LIMIT = 100


@dataclass(frozen=True)
class SearchResult:
    """One page of search results."""

    query: str
    total: int
    offset: int
    hits: list[tuple[StoredWork, float]]

    def to_json(self) -> dict[str, Any]:
        """The API form."""
        return {
            "query": self.query, "total": self.total, "offset": self.offset,
            "items": [{
                "id": w.public_id, "title": w.paper.title, "authors": [a.name for a in w.paper.authors],
                "source_label": w.label, "date": w.feed_date.isoformat(), "abstract": w.paper.abstract,
                "score": round(score, 4),
            } for w, score in self.hits],
        }


def search(store: Store, query: str, *, limit: int = 20, offset: int = 0, date_from: date | None = None,
           date_to: date | None = None, category: str | None = None) -> SearchResult:
    """Best matches for `query` (words, "phrases", field:term) within the filters."""
    query = (query or "").strip()
    if not query:
        raise InputError("search: empty query")
    if len(query) > MAX_QUERY:
        raise InputError(f"search: query longer than {MAX_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InputError(f"search: limit must be 1..{MAX_LIMIT} and offset ≥ 0")
    found = store.search(query, limit=limit, offset=offset, date_from=date_from, date_to=date_to,
                         category=category)
    works = {w.id: w for w in store.works.get_many([i for i, _ in found.hits])}
    hits = [(works[i], score) for i, score in found.hits if i in works]
    return SearchResult(query, found.total, offset, hits)
