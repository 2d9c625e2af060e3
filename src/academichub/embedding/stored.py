"""Dense vectors of stored works (for ranking, search and briefings), embedding and storing any still missing."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from academichub.embedding.base import Embedder
from academichub.errors import AcademicHubError
from academichub.storage.store import Store

log = logging.getLogger(__name__)


def vectors_for(store: Store, embedder: Embedder, ids: Sequence[int]) -> np.ndarray:
    """One unit row per id, in order; works the embedding job has not reached yet are embedded now."""
    found_ids, matrix = store.vectors.load(embedder.tag, ids)
    vectors = dict(zip(found_ids, matrix, strict=True)) if found_ids else {}
    missing = [i for i in ids if i not in vectors]
    if missing:
        candidates = store.works.candidates(missing)
        fresh = embedder.embed([c.text for c in candidates])
        store.vectors.save(embedder.tag, [c.id for c in candidates], fresh)
        vectors.update(zip((c.id for c in candidates), fresh, strict=True))
    if not vectors:
        return np.zeros((len(ids), embedder.dim), dtype=np.float32)
    dim = len(next(iter(vectors.values())))
    blank = np.zeros(dim, dtype=np.float32)
    return np.vstack([vectors.get(i, blank) for i in ids]) if ids else np.zeros((0, dim), dtype=np.float32)


def try_vectors_for(store: Store, embedder: Embedder | None, ids: Sequence[int]) -> np.ndarray | None:
    """`vectors_for`, or None without a model or when it cannot run (ranking goes on sparse-only)."""
    if embedder is None:
        return None
    try:
        return vectors_for(store, embedder, ids)
    except AcademicHubError as exc:
        log.warning("ranking without embeddings: %s", exc)
        return None
