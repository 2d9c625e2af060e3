"""Which papers of a window a radar's rules match, found by indexed lookups rather than a scan.

Each subscription first narrows the window to a superset of its matches with the database
(authors by name key and ORCID, categories, venues) or the full-text index (keywords), and the
exact rule (`radar.rules.RuleSet.match`) then runs on those few papers only, so a 50,000-paper
window costs a handful of queries instead of 50,000 rule checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import numpy as np

from academichub.radar.authors import lookup_keys
from academichub.radar.rules import RuleSet, keyword_query
from academichub.ranking.reasons import Reason, RuleMatches
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


def keyword_has_papers(store: Store, value: str) -> bool | None:
    """Whether any stored work may match a keyword (None when the index cannot say): a keyword in
    Chinese over English papers, or misspelt, matched nothing and the feed said nothing of it."""
    found = _keyword_ids(store, value, None, None, 1)  # the feed's own narrowing, over every date
    return None if found is None else bool(found)


def every_match(store: Store, kind: str, value_key: str, among: np.ndarray | None = None) -> np.ndarray:
    """Ids (ascending) of every stored work (or of those `among`) a category or venue subscription
    matches, of any date."""
    lookup = store.works.ids_in_categories if kind == "category" else store.works.ids_in_venues
    return lookup([value_key], among=among)


def match_window(store: Store, rules: RuleSet, ids: np.ndarray, start: date | None, end: date | None, *,
                 matches: Callable[[str, str], np.ndarray] | None = None) -> RuleMatches:
    """Which papers of the window (ids between two dates) the radar's rules match, and why.

    Categories and venues are matched exactly by the database (an archive covers its subjects, as
    the rule says), so their papers are never loaded (`matches`: `every_match`, or a cache of it
    that radars following the same category share) and are kept whole, of any date: the ranking
    looks the window's papers up in them. Authors and keywords are narrowed by lookups and then
    checked by the exact rule on the window's papers found.
    """
    matches = matches or (lambda kind, value_key: every_match(store, kind, value_key))
    if not rules.any or not len(ids):
        return RuleMatches.empty()
    order = {id(sub): n for n, sub in enumerate(rules.subscriptions)}
    bulk = []
    for sub in rules.subscriptions:
        if sub.kind in ("category", "venue"):
            found_ids = matches(sub.kind, sub.value_key)
            bulk.append((order[id(sub)], Reason(sub.kind, sub.value), found_ids))
    found: dict[int, list[tuple[int, Reason]]] = {}
    checked = [s for s in rules.subscriptions if s.kind in ("author", "keyword")]
    if checked:
        exact = RuleSet(checked, rules.authors)
        position = {(s.kind, s.value): order[id(s)] for s in checked}
        for candidate in store.works.candidates(_narrowed(store, exact, ids, start, end).tolist()):
            for reason in exact.match(candidate):
                kind = "author" if reason.kind == "author?" else reason.kind
                found.setdefault(candidate.id, []).append((position.get((kind, reason.value), 0), reason))
    return RuleMatches(bulk, found)


def _within(window: np.ndarray, ids: list[int]) -> np.ndarray:
    return np.intersect1d(window, np.asarray(ids, dtype=np.int64)) if ids else np.zeros(0, dtype=np.int64)


def _narrowed(store: Store, rules: RuleSet, ids: np.ndarray, start: date | None, end: date | None) -> np.ndarray:
    """The window's papers that may match an author or keyword rule (a superset, by indexed lookups)."""
    found: set[int] = set()
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
            if hits is None:  # a keyword the index cannot narrow: every paper of the window is checked
                return ids
            found.update(hits)
    return _within(ids, sorted(found))
