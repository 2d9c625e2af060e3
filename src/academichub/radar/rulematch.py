"""Which papers of a window a radar's rules match, found by indexed lookups rather than a scan.

Each subscription first narrows the window to a superset of its matches with the database
(authors by name key and ORCID, categories, venues) or the full-text index (keywords), and the
exact rule (`ranking.rules.RuleSet.match`) then runs on those few papers only, so a 50,000-paper
window costs a handful of queries instead of 50,000 rule checks.
"""

from __future__ import annotations

import logging
from datetime import date

import numpy as np

from academichub.radar.authors import lookup_keys
from academichub.ranking.rules import Reason, RuleSet, keyword_query
from academichub.search.query import All, Any_, Node, Not, Term, to_tantivy
from academichub.storage.store import Store

log = logging.getLogger(__name__)


def narrowing(node: Node) -> str | None:
    """A full-text query whose hits include every paper the keyword matches (None: cannot narrow)."""
    if isinstance(node, Term):
        return None if node.field in ("author", "cat") else to_tantivy(node)
    if isinstance(node, Not):
        return None
    parts = [narrowing(n) for n in node.nodes]
    if isinstance(node, All):
        known = [p for p in parts if p]
        return " ".join(f"+({p})" for p in known) if known else None
    if isinstance(node, Any_) and all(parts):
        return " OR ".join(f"({p})" for p in parts)
    return None


def _keyword_ids(store: Store, value: str, start: date | None, end: date | None, window_size: int) -> set[int] | None:
    node = keyword_query(value)
    query = narrowing(node) if node is not None else None
    if query is None:
        return None
    try:
        hits = store.index.search(query, limit=max(1, window_size), date_from=start, date_to=end)
    except Exception:  # a query tantivy refuses: fall back to checking the whole window
        log.warning("rules: keyword %r could not be narrowed by the index", value)
        return None
    return {work_id for work_id, _ in hits.hits}


def match_window(store: Store, rules: RuleSet, ids: np.ndarray, start: date | None,
                 end: date | None) -> dict[int, list[Reason]]:
    """Rule reasons of every paper of the window (ids between two dates) that a rule matches."""
    if not rules.any or not len(ids):
        return {}
    found: set[int] = set()
    everything = False
    categories = [s.value_key for s in rules.subscriptions if s.kind == "category"]
    venues = [s.value_key for s in rules.subscriptions if s.kind == "venue"]
    found.update(store.works.ids_in_categories(categories, start, end))
    found.update(store.works.ids_in_venues(venues, start, end))
    for sub in rules.subscriptions:
        if sub.kind == "author":
            record = rules.authors.get(sub.id)
            keys = lookup_keys(record) if record is not None else {sub.value_key}
            found.update(store.works.ids_by_author_keys(keys, start, end))
            if record is not None and record.orcid:
                found.update(store.works.ids_with_orcid(record.orcid, start, end))
            if record is not None:
                found.update(record.decisions)
        elif sub.kind == "keyword":
            hits = _keyword_ids(store, sub.value, start, end, len(ids))
            if hits is None:
                everything = True
            else:
                found.update(hits)
    wanted = ids if everything else np.intersect1d(ids, np.fromiter(found, dtype=np.int64, count=len(found)))
    result = {}
    for candidate in store.works.candidates(wanted.tolist()):
        reasons = rules.match(candidate)
        if reasons:
            result[candidate.id] = reasons
    return result
