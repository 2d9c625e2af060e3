"""A reader's model at request time: the stored weights, plus cheap updates for what changed since.

The stored model (weights trained in the background) scores every row of the feature matrix with
two matrix-vector products. Likes and saves newer than the model are folded in at once (their
rows pull similar papers up), dismissals push their neighbours down, so feedback shows on the
very next batch while the full retrain runs elsewhere and replaces all of this when it is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from academichub.ranking.learned import DENSE_WEIGHT, FAR_Z, NEAR_Z, Linear, zscore
from academichub.ranking.matrix import Snapshot

FOLD = 0.7  # z units a freshly liked paper's similarity adds, until the retrain weighs it properly


@dataclass
class ReaderScores:
    """Raw per-row scores of one reader over the whole matrix, z-scored per window on use."""

    linear: Linear | None
    sparse: np.ndarray | None = None  # X · w + b
    dense: np.ndarray | None = None  # D · v + c
    fold_sparse: np.ndarray | None = None  # X · Σ newly liked rows
    fold_dense: np.ndarray | None = None
    dislike_sparse: np.ndarray | None = None  # n × k similarities to disliked papers
    dislike_dense: np.ndarray | None = None
    dislike_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    directions: _Directions | None = None  # what they were computed from (to score appended rows alike)
    lineage: int = 0  # of the snapshot they cover, and its size
    size: int = 0

    def extended(self, tail: ReaderScores) -> ReaderScores:
        """These scores followed by the scores of rows appended to the matrix since."""
        def joined(head: np.ndarray | None, rest: np.ndarray | None) -> np.ndarray | None:
            return None if head is None or rest is None else np.concatenate([head, rest])

        return ReaderScores(self.linear, joined(self.sparse, tail.sparse), joined(self.dense, tail.dense),
                            joined(self.fold_sparse, tail.fold_sparse), joined(self.fold_dense, tail.fold_dense),
                            joined(self.dislike_sparse, tail.dislike_sparse),
                            joined(self.dislike_dense, tail.dislike_dense), self.dislike_weights, tail.directions,
                            tail.lineage, tail.size)

    @property
    def learned(self) -> bool:
        """Whether anything liked stands behind the scores."""
        return ((self.linear is not None and self.linear.mode != "empty") or self.fold_sparse is not None
                or self.fold_dense is not None)

    @property
    def informed(self) -> bool:
        """Whether the scores know anything of the reader (likes or dislikes)."""
        return self.learned or len(self.dislike_weights) > 0

    def fused(self, rows: np.ndarray) -> np.ndarray:
        """The fused z-score of these matrix rows (higher is better)."""
        total = np.zeros(len(rows))
        if self.sparse is not None:
            total += zscore(self.sparse[rows])
            if self.dense is not None:
                total += DENSE_WEIGHT * zscore(self.dense[rows])
        weight = FOLD if self.sparse is not None else 1.0
        if self.fold_sparse is not None:
            total += weight * zscore(self.fold_sparse[rows])
        if self.fold_dense is not None:
            total += weight * DENSE_WEIGHT * zscore(self.fold_dense[rows])
        if len(self.dislike_weights):
            total -= self._penalty(rows)
        return total

    def _penalty(self, rows: np.ndarray) -> np.ndarray:
        views = [self.dislike_sparse[rows]]
        if self.dislike_dense is not None:
            views.append(self.dislike_dense[rows])
        standardised = [(v - v.mean(axis=0)) / (v.std(axis=0) + 1e-9) for v in views]
        closeness = np.clip((sum(standardised) / len(standardised) - NEAR_Z) / (FAR_Z - NEAR_Z), 0, 1)
        return (closeness * self.dislike_weights).max(axis=1)


def _sum_rows(snapshot: Snapshot, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    sparse = np.asarray(snapshot.sparse[rows].sum(axis=0)).ravel()
    dense = np.asarray(snapshot.dense[rows]).sum(axis=0) if snapshot.dense is not None else None
    return sparse, dense


@dataclass
class _Directions:
    """What every row is scored against: the model's weights and the vectors of liked and disliked rows."""

    linear: Linear | None
    sparse_weights: np.ndarray | None = None
    dense_weights: np.ndarray | None = None
    fold_sparse: np.ndarray | None = None  # Σ newly liked rows (plus keywords)
    fold_dense: np.ndarray | None = None
    dislike_sparse: sp.csr_matrix | None = None  # the disliked rows themselves
    dislike_dense: np.ndarray | None = None
    dislike_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    found: tuple = ()  # the matrix rows they were read from: an appended snapshot keeps them

    def apply(self, snapshot: Snapshot, start: int = 0) -> ReaderScores:
        """Scores of the snapshot's rows from `start` on."""
        matrix = snapshot.sparse[start:] if start else snapshot.sparse
        dense = None if snapshot.dense is None else (snapshot.dense[start:] if start else snapshot.dense)
        scores = ReaderScores(self.linear, dislike_weights=self.dislike_weights)
        if self.sparse_weights is not None:
            scores.sparse = np.asarray(matrix @ self.sparse_weights).ravel() + self.linear.sparse_bias
            if self.dense_weights is not None and dense is not None:
                scores.dense = np.asarray(dense @ self.dense_weights) + self.linear.dense_bias
        if self.fold_sparse is not None:
            scores.fold_sparse = np.asarray(matrix @ self.fold_sparse).ravel()
        if self.fold_dense is not None and dense is not None:
            scores.fold_dense = np.asarray(dense @ self.fold_dense)
        if self.dislike_sparse is not None:
            scores.dislike_sparse = np.asarray((matrix @ self.dislike_sparse.T).todense())
            scores.dislike_dense = np.asarray(dense @ self.dislike_dense.T) if self.dislike_dense is not None else None
        scores.directions = self
        scores.lineage, scores.size = snapshot.lineage, snapshot.size
        return scores


def _directions(snapshot: Snapshot, linear: Linear | None, fold_ids: list[int], dislikes: list[tuple[int, float]],
                extra_dense: np.ndarray | None, extra_sparse: np.ndarray | None) -> _Directions:
    matrix, dense = snapshot.sparse, snapshot.dense
    found = _Directions(linear)
    if linear is not None and linear.sparse is not None and len(linear.sparse) == matrix.shape[1]:
        found.sparse_weights = linear.sparse
        if linear.dense is not None and dense is not None and len(linear.dense) == dense.shape[1]:
            found.dense_weights = linear.dense
    fold_rows = snapshot.rows(fold_ids)
    fold_rows = fold_rows[fold_rows >= 0]
    if len(fold_rows):
        found.fold_sparse, found.fold_dense = _sum_rows(snapshot, fold_rows)
    if extra_sparse is not None and len(extra_sparse) == matrix.shape[1]:
        extra = extra_sparse.astype(np.float32)
        found.fold_sparse = extra if found.fold_sparse is None else found.fold_sparse + extra
    if extra_dense is not None and dense is not None and len(extra_dense) == dense.shape[1]:
        extra = extra_dense.astype(np.float32)
        found.fold_dense = extra if found.fold_dense is None else found.fold_dense + extra
    disliked = [(r, w) for r, (_, w) in zip(snapshot.rows([i for i, _ in dislikes]), dislikes, strict=True) if r >= 0]
    if disliked:
        rows = np.array([r for r, _ in disliked])
        found.dislike_weights = np.array([w for _, w in disliked])
        found.dislike_sparse = matrix[rows]
        found.dislike_dense = np.asarray(dense[rows]) if dense is not None else None
    found.found = (tuple(fold_rows.tolist()), tuple(r for r, _ in disliked), dense is not None)
    return found


def score_all(snapshot: Snapshot, linear: Linear | None, *, fold_ids: list[int], dislikes: list[tuple[int, float]],
              extra_dense: np.ndarray | None = None, extra_sparse: np.ndarray | None = None,
              previous: ReaderScores | None = None) -> ReaderScores:
    """Every row's raw scores under a stored model, newly liked works (and vectors) and dislikes.

    With `previous` (the same inputs' scores over an earlier snapshot of this one's lineage), only
    the rows appended since are scored: a bulk ingest grows the matrix every second or so, and
    rescoring every row of every reader each time cost most of a 换一批 during it."""
    directions = _directions(snapshot, linear, fold_ids, dislikes, extra_dense, extra_sparse)
    if (previous is None or previous.directions is None or not snapshot.lineage
            or previous.lineage != snapshot.lineage or previous.size > snapshot.size
            or previous.directions.found != directions.found):
        return directions.apply(snapshot)
    return previous.extended(directions.apply(snapshot, previous.size))
