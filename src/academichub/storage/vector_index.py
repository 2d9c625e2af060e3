"""Nearest neighbours over every stored vector of a model: exact while small, an HNSW index when large.

Exact search is a matrix product over all vectors kept in memory (50,000 × 256 floats answer in
a few milliseconds). Past `ann_threshold` vectors, a usearch HNSW index in the data directory
answers instead; it is extended with new works as they are embedded and rebuilt if it no
longer matches the database. Filtered searches over-fetch and filter, falling back to exact
search over the filtered ids when too few survive.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from academichub.storage.vectors import VectorRepo

OVERFETCH = 10


class VectorIndex:
    """All vectors of one model, searchable by cosine."""

    def __init__(self, repo: VectorRepo, model: str, directory: Path, *, ann_threshold: int = 200_000) -> None:
        self.repo = repo
        self.model = model
        self.path = directory / f"{model.replace('/', '_').replace(':', '_')}.usearch"
        self.ann_threshold = ann_threshold
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrix: np.ndarray | None = None
        self._ann = None

    def _refresh(self) -> None:
        version = self.repo.version(self.model)
        if version == self._version:
            return
        ids, matrix = self.repo.load_all(self.model)
        self._ids, self._matrix = np.asarray(ids, dtype=np.int64), matrix
        self._ann = self._build_ann() if len(ids) > self.ann_threshold else None
        self._version = version

    def _build_ann(self):  # type: ignore[no-untyped-def]
        from usearch.index import Index

        index = Index(ndim=self._matrix.shape[1], metric="cos", dtype="f16")
        if self.path.exists():
            index.load(str(self.path))
        known = np.array([k for k in self._ids if k not in index], dtype=np.int64) if len(index) else self._ids
        if len(index) and len(index) + len(known) != len(self._ids):  # stale entries: start again
            index = Index(ndim=self._matrix.shape[1], metric="cos", dtype="f16")
            known = self._ids
        if len(known):
            rows = np.searchsorted(self._ids, known)
            index.add(known, self._matrix[rows])
            self.path.parent.mkdir(parents=True, exist_ok=True)
            index.save(str(self.path))
        return index

    def nearest(self, query: np.ndarray, k: int = 10, *, allowed: set[int] | None = None,
                exclude: set[int] = frozenset()) -> list[tuple[int, float]]:
        """The `k` works most similar to a unit query vector (within `allowed`, if given)."""
        with self._lock:
            self._refresh()
            ids, matrix, ann = self._ids, self._matrix, self._ann
        if matrix is None or not len(ids):
            return []
        query = np.asarray(query, dtype=np.float32)
        if ann is not None:
            found = ann.search(query, (k + len(exclude)) * (OVERFETCH if allowed is not None else 1))
            hits = [(int(key), 1.0 - float(distance)) for key, distance in zip(found.keys, found.distances, strict=True)
                    if int(key) not in exclude and (allowed is None or int(key) in allowed)]
            if len(hits) >= k or allowed is None:
                return hits[:k]
        rows = np.arange(len(ids)) if allowed is None else np.flatnonzero(np.isin(ids, list(allowed)))
        if exclude:
            rows = rows[~np.isin(ids[rows], list(exclude))]
        if not len(rows):
            return []
        scores = matrix[rows] @ query
        top = np.argsort(-scores)[:k]
        return [(int(ids[rows[i]]), float(scores[i])) for i in top]
