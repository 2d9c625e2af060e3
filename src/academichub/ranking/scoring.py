"""A reader's model at request time: the stored weights, plus cheap updates for what changed since.

The stored model (weights trained in the background) scores every row of the feature matrix with
two matrix-vector products. Likes and saves newer than the model are folded in at once (their
rows pull similar papers up), dismissals push their neighbours down, so feedback shows on the
very next batch while the full retrain runs elsewhere and replaces all of this when it is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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


def score_all(snapshot: Snapshot, linear: Linear | None, *, fold_ids: list[int], dislikes: list[tuple[int, float]],
              extra_dense: np.ndarray | None = None, extra_sparse: np.ndarray | None = None) -> ReaderScores:
    """Every row's raw scores under a stored model, newly liked works (and vectors) and dislikes."""
    scores = ReaderScores(linear)
    matrix, dense = snapshot.sparse, snapshot.dense
    if linear is not None and linear.sparse is not None and len(linear.sparse) == matrix.shape[1]:
        scores.sparse = np.asarray(matrix @ linear.sparse).ravel() + linear.sparse_bias
        if linear.dense is not None and dense is not None and len(linear.dense) == dense.shape[1]:
            scores.dense = np.asarray(dense @ linear.dense) + linear.dense_bias
    fold_rows = snapshot.rows(fold_ids)
    fold_rows = fold_rows[fold_rows >= 0]
    if len(fold_rows):
        direction, dense_direction = _sum_rows(snapshot, fold_rows)
        scores.fold_sparse = np.asarray(matrix @ direction).ravel()
        scores.fold_dense = np.asarray(dense @ dense_direction) if dense_direction is not None else None
    if extra_sparse is not None and len(extra_sparse) == matrix.shape[1]:
        extra = np.asarray(matrix @ extra_sparse.astype(np.float32)).ravel()
        scores.fold_sparse = extra if scores.fold_sparse is None else scores.fold_sparse + extra
    if extra_dense is not None and dense is not None and len(extra_dense) == dense.shape[1]:
        extra = np.asarray(dense @ extra_dense.astype(np.float32))
        scores.fold_dense = extra if scores.fold_dense is None else scores.fold_dense + extra
    found = [(r, w) for r, (_, w) in zip(snapshot.rows([i for i, _ in dislikes]), dislikes, strict=True) if r >= 0]
    if found:
        rows = np.array([r for r, _ in found])
        scores.dislike_weights = np.array([w for _, w in found])
        scores.dislike_sparse = np.asarray((matrix @ matrix[rows].T).todense())
        scores.dislike_dense = np.asarray(dense @ np.asarray(dense[rows]).T) if dense is not None else None
    return scores
