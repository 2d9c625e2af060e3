"""Search over stored works: full-text (tantivy), semantic (embeddings) or both fused, with filters.

Hybrid search fuses the two result lists by reciprocal rank fusion (score = Σ 1 / (60 + rank)),
which needs no calibration between BM25 and cosine scores. The query syntax is
`search.query`'s; a semantic hit must still respect the query's exclusions (NOT / -word).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from academichub.embedding.base import Embedder
from academichub.embedding.stored import try_vectors_for
from academichub.errors import InputError
from academichub.keys import paper_reference
from academichub.model.works import StoredWork
from academichub.search.query import (
    All,
    Node,
    Not,
    document,
    matches,
    parse,
    positive_text,
    to_tantivy,
)
from academichub.sources.registry import cli_names
from academichub.storage.store import Store

MAX_QUERY = 500
MAX_LIMIT = 100
MAX_RESULT_WINDOW = 10_000  # deepest hit a search reaches through its offset (Elasticsearch's default)
RRF_K = 60
DEPTH = 200  # nearest papers the semantic half considers
# The semantic half adds a paper only when its cosine to the query is at least SEMANTIC_FLOOR and
# within SEMANTIC_SPREAD of the best one: nearest neighbours always exist, matches do not. On the
# sample with wordllama, "machine unlearning" peaks at 0.50 and its last relevant paper sits at
# 0.31 among unrelated ones; "protein folding" peaks at 0.27 with one relevant paper, which the
# full text finds; the text of a topic the store covers ("galaxy formation") stays above 0.5.
SEMANTIC_FLOOR = 0.35
SEMANTIC_SPREAD = 0.8
MODES = ("hybrid", "text", "semantic")  # a result's mode is one of these, or "id" for a paper named by its identifier


@dataclass(frozen=True)
class SearchResult:
    """One page of search results."""

    query: str
    total: int
    offset: int
    hits: list[tuple[StoredWork, float]]
    mode: str = "text"

    def to_json(self) -> dict[str, Any]:
        """The API form."""
        return {
            "query": self.query, "total": self.total, "offset": self.offset, "mode": self.mode,
            "items": [{
                "id": w.public_id, "title": w.paper.title, "authors": [a.name for a in w.paper.authors],
                "source_label": w.label, "date": w.feed_date.isoformat(), "abstract": w.paper.abstract,
                "score": round(score, 4),
            } for w, score in self.hits],
        }


@dataclass(frozen=True)
class Filters:
    """What a search is restricted to."""

    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    source: str | None = None
    venue: str | None = None

    @property
    def any(self) -> bool:
        """Whether anything is filtered."""
        return any(v is not None for v in (self.date_from, self.date_to, self.category, self.source, self.venue))

    def index_filters(self) -> dict[str, Any]:
        """Keyword arguments of the full-text index's search."""
        return {"date_from": self.date_from, "date_to": self.date_to, "category": self.category,
                "source": self.source, "venue": self.venue}


def _exclusions(node: Node) -> list[Node]:
    """The top-level NOT parts of a query."""
    if isinstance(node, Not):
        return [node]
    if isinstance(node, All):
        return [n for n in node.nodes if isinstance(n, Not)]
    return []


def _semantic(store: Store, embedder: Embedder, query: str, node: Node, filters: Filters) -> list[int]:
    text = positive_text(query)
    if not text.strip():
        return []
    vector = embedder.embed([text])[0]
    allowed = set(store.works.ids_filtered(start=filters.date_from, end=filters.date_to, category=filters.category,
                                           source=filters.source, venue=filters.venue)) if filters.any else None
    nearest = store.vector_index(embedder.tag).nearest(vector, DEPTH, allowed=allowed)
    floor = max(SEMANTIC_FLOOR, SEMANTIC_SPREAD * nearest[0][1]) if nearest else 0.0
    hits = [i for i, similarity in nearest if similarity >= floor]
    exclusions = _exclusions(node)
    if exclusions and hits:
        kept = {c.id for c in store.works.candidates(hits)
                if all(matches(n, document(c.title, c.abstract, c.author_keys, c.categories)) for n in exclusions)}
        hits = [i for i in hits if i in kept]
    return hits


def fuse(*ranked_lists: list[int]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked id lists, best first."""
    scores: dict[int, float] = {}
    for ranked in ranked_lists:
        for rank, work_id in enumerate(ranked, start=1):
            scores[work_id] = scores.get(work_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def search(store: Store, query: str, *, limit: int = 20, offset: int = 0, date_from: date | None = None,
           date_to: date | None = None, category: str | None = None, source: str | None = None,
           venue: str | None = None, embedder: Embedder | None = None, mode: str = "hybrid") -> SearchResult:
    """Best matches for `query` (see search.query for the syntax) within the filters."""
    query = (query or "").strip()
    if not query:
        raise InputError("search: empty query")
    if len(query) > MAX_QUERY:
        raise InputError(f"search: query longer than {MAX_QUERY} characters", problem="too-long")
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_RESULT_WINDOW:
        # The index collects offset + limit hits in memory: an offset of 2^32 aborted the process.
        raise InputError(f"search: limit must be 1..{MAX_LIMIT} and offset 0..{MAX_RESULT_WINDOW}")
    if mode not in MODES:
        raise InputError(f"search: unknown mode {mode!r}; use {', '.join(MODES)}", problem="mode")
    if date_from and date_to and date_from > date_to:  # as the feed's period says: not "0 results"
        raise InputError(f"search: the range ends ({date_to}) before it starts ({date_from})", problem="range-order")
    wanted_source = (source or "").strip().casefold() or None
    if wanted_source and wanted_source not in cli_names():  # a typo matched nothing: "0 results"
        raise InputError(f"search: unknown source {source!r}; use {', '.join(cli_names())}", problem="source")
    named = _named_paper(store, query)
    if named is not None:  # the paper an identifier names, whatever the filters of a topic search say
        return _result(store, query, 1, offset, [(named, 1.0)] if offset == 0 else [], "id")
    node = parse(query)
    filters = Filters(date_from, date_to, category or None, wanted_source, venue or None)
    if embedder is None or mode == "text":
        found = store.search(to_tantivy(node), limit=limit, offset=offset, **filters.index_filters())
        return _result(store, query, found.total, offset, found.hits, "text")
    semantic = _semantic(store, embedder, query, node, filters)
    if mode == "semantic":
        fused = [(work_id, 1.0 / (RRF_K + rank)) for rank, work_id in enumerate(semantic, start=1)]
        return _result(store, query, len(fused), offset, fused[offset:offset + limit], mode)
    # Every text match a page can reach is fused (a few milliseconds for thousands), so every page
    # is cut from the same ranking: no paper shows twice across pages, and the count is exact.
    text = store.search(to_tantivy(node), limit=MAX_RESULT_WINDOW + MAX_LIMIT, offset=0, **filters.index_filters())
    fused = fuse([i for i, _ in text.hits], semantic)
    total = len(fused) + text.total - len(text.hits)  # matches past the reachable window are counted, not fused
    return _result(store, query, total, offset, fused[offset:offset + limit], mode)


def _named_paper(store: Store, query: str) -> int | None:
    """The stored work a query names by an identifier (arXiv id, DOI, PMID, OpenAlex id, their URLs):
    pasted into the box, "2509.13435" matched no words and answered "0 results"."""
    if len(query.split()) != 1 or paper_reference(query) is None:
        return None
    return store.works.id_for_public(query)


def _result(store: Store, query: str, total: int, offset: int, hits: list[tuple[int, float]],
            mode: str) -> SearchResult:
    works = {w.id: w for w in store.works.get_many([i for i, _ in hits])}
    return SearchResult(query, total, offset, [(works[i], score) for i, score in hits if i in works], mode)


def similar(store: Store, embedder: Embedder | None, paper_id: str, *, limit: int = 10) -> tuple[StoredWork, list[StoredWork]]:
    """"Papers like this one": the stored works nearest to a paper's embedding."""
    work = store.works.require(paper_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"similar: limit must be 1..{MAX_LIMIT}")
    vectors = try_vectors_for(store, embedder, [work.id])
    if vectors is None or embedder is None:
        return work, []
    nearest = store.vector_index(embedder.tag).nearest(vectors[0], limit, exclude={work.id})
    return work, store.works.get_many([i for i, _ in nearest])
