"""The per-user model: what a reader reads (library, likes, saves) against what they pass over.

Two views of every paper are scored and fused. The sparse view is arxiv-sanity-lite's: TF-IDF
of unigrams and bigrams and a linear SVM that contrasts the reader's positives with every
other paper of the pool (the window being ranked plus a random background of the corpus) and
with their dismissals. The dense view is a logistic regression on the embeddings, positives
against the background and dismissals. The score is z(sparse) + DENSE_WEIGHT * z(dense); the
evaluation harness found the fusion better than either view alone on both time-split
protocols (README, "Ranking quality"). With fewer than `min_positives` positives the model is a
recency-weighted centroid of the positives in both views (cold start). Fitting over a
1,000-paper library and a 50,000-paper window takes about a second and is cached until the
reader's feedback, library or subscriptions change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # scikit-learn is imported where a model is fitted: a CLI call that ranks nothing skips it
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    from academichub.tfidf import Vectorizer

DENSE_WEIGHT = 0.6  # the harness's best weight of the dense view (0.3, 0.4 and 0.6 were measured)
SVM_C = 0.05  # the harness preferred it to arxiv-sanity-lite's 0.01 on both protocols
LR_C = 1.0
NEGATIVE_WEIGHTS = {"random": 1.0, "pool": 1.0, "dismiss": 2.0, "less": 4.0}
MAX_POOL_NEGATIVES = 20_000  # a larger window is subsampled: the SVM's cost grows with its rows
# "Less like this" is about a topic: papers unusually close to a disliked one (their similarity to
# it, standardised over the ranked papers, above NEAR_Z) lose up to the dislike's weight in z units
# (fully at FAR_Z), whatever the model learned, so the effect is immediate. NEAR_Z was 1.0 with
# a 20,000-term vocabulary; the 100,000-term one spreads the sparse similarities (rare terms weigh
# more), and at 1.0 "less like this" on a video paper no longer halved the video papers on top.
NEAR_Z, FAR_Z = 0.75, 3.0


@dataclass(frozen=True)
class Example:
    """One training paper: its dense vector, text, weight, what it is and (if stored) its work id."""

    vector: np.ndarray | None
    text: str
    weight: float = 1.0
    title: str = ""
    kind: str = "library"  # library | like | save | follow | keyword | dismiss | less
    work_id: int | None = None
    sparse: sp.csr_matrix | None = None  # its stored TF-IDF row, when known (else `text` is transformed)


@dataclass
class Pool:
    """The papers a reader's positives are contrasted with: the window first, then a random background."""

    ids: list[int]
    sparse: sp.csr_matrix
    dense: np.ndarray | None
    window_size: int

    @property
    def background(self) -> slice:
        """Rows of the random background."""
        return slice(self.window_size, len(self.ids))


@dataclass(frozen=True)
class Linear:
    """A reader's model as weights: score = z(sparse · w + b) + dense_weight · z(dense · v + c)."""

    mode: str  # empty | centroid | classifier
    sparse: np.ndarray | None
    sparse_bias: float
    dense: np.ndarray | None
    dense_bias: float


def recency_weight(when: date | None, today: date, half_life_days: float, floor: float = 0.2) -> float:
    """Exponential decay by age: a positive `half_life_days` old counts half (never below `floor`)."""
    if when is None:
        return 0.5
    age = max(0, (today - when).days)
    return max(floor, 0.5 ** (age / half_life_days))


def zscore(values: np.ndarray) -> np.ndarray:
    """Standardised scores, so that two views on different scales can be added."""
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-12 else values - values.mean()


def _stack_dense(examples: list[Example], dim: int) -> np.ndarray:
    return np.vstack([e.vector if e.vector is not None else np.zeros(dim, np.float32) for e in examples])


class UserModel:
    """Scores the pool's window for one reader; explains a score by the nearest positive."""

    def __init__(self, vectorizer: Vectorizer | None, *, dense_weight: float = DENSE_WEIGHT, seed: int = 0) -> None:
        self.vectorizer = vectorizer
        self.dense_weight = dense_weight
        self.seed = seed
        self.mode = "empty"
        self._sparse_model: LinearSVC | None = None
        self._dense_model: LogisticRegression | None = None
        self._centroids: tuple[np.ndarray, np.ndarray | None] | None = None
        self._positives: list[Example] = []
        self._positive_matrix: np.ndarray | None = None
        self._dislikes: tuple[np.ndarray | None, sp.csr_matrix, np.ndarray] | None = None
        self.sparse_profile: np.ndarray | None = None  # weighted mean TF-IDF of the positives

    def fit(self, positives: list[Example], dislikes: list[Example], pool: Pool, *, min_positives: int) -> UserModel:
        """Train on the reader's examples: classifiers when there are enough positives, else centroids."""
        self._positives = [p for p in positives if p.weight > 0]
        dim = pool.dense.shape[1] if pool.dense is not None and pool.dense.size else 0
        if dislikes:  # applies in every mode, even before there is anything liked
            dense = np.vstack([e.vector for e in dislikes]) if dim and all(e.vector is not None for e in dislikes) \
                else None
            self._dislikes = (dense, self._sparse(dislikes), np.array([e.weight for e in dislikes]))
        if not self._positives:
            self.mode = "empty"
            return self
        self._positive_matrix = _stack_dense(self._positives, dim) if dim else None
        sparse_pos = self._sparse(self._positives)
        weights = np.array([e.weight for e in self._positives], dtype=np.float64)
        self.sparse_profile = np.asarray(sparse_pos.T @ weights).ravel() / weights.sum()
        if len(self._positives) < min_positives:
            self.mode = "centroid"
            dense_centroid = (weights @ self._positive_matrix) / weights.sum() if dim else None
            self._centroids = (self.sparse_profile, dense_centroid)
            return self
        self.mode = "classifier"
        self._fit_sparse(sparse_pos, weights, dislikes, pool)
        if dim:
            self._fit_dense(weights, dislikes, pool, dim)
        return self

    def _sparse(self, examples: list[Example]) -> sp.csr_matrix:
        """The examples' TF-IDF rows: stored ones as given, the others transformed from their text."""
        texts = [e.text for e in examples if e.sparse is None]
        fresh = iter(self.vectorizer.transform(texts).tocsr()) if texts else iter(())
        return sp.vstack([e.sparse if e.sparse is not None else next(fresh) for e in examples], format="csr")

    def linear(self) -> Linear:
        """The model as linear weights over the two views, which is all that scoring needs."""
        if self.mode == "classifier":
            dense = self._dense_model
            return Linear(self.mode, self._sparse_model.coef_.ravel().astype(np.float32),
                          float(self._sparse_model.intercept_[0]),
                          None if dense is None else dense.coef_.ravel().astype(np.float32),
                          0.0 if dense is None else float(dense.intercept_[0]))
        if self.mode == "centroid":
            sparse, dense = self._centroids
            return Linear(self.mode, np.asarray(sparse, dtype=np.float32), 0.0,
                          None if dense is None else np.asarray(dense, dtype=np.float32), 0.0)
        return Linear("empty", None, 0.0, None, 0.0)

    @property
    def positives(self) -> list[Example]:
        """The positives the model was fitted on (weight above zero)."""
        return self._positives

    def _pool_negatives(self, pool: Pool) -> np.ndarray:
        """Pool rows used as negatives: every row but the positives (sampled if the pool is huge)."""
        taken = {e.work_id for e in self._positives if e.work_id is not None}
        rows = np.array([r for r, i in enumerate(pool.ids) if i not in taken], dtype=np.int64)
        if len(rows) > MAX_POOL_NEGATIVES:
            rows = np.sort(np.random.default_rng(self.seed).choice(rows, MAX_POOL_NEGATIVES, replace=False))
        return rows

    def _fit_sparse(self, sparse_pos: sp.csr_matrix, weights: np.ndarray, dislikes: list[Example], pool: Pool) -> None:
        rows = self._pool_negatives(pool)
        parts = [sparse_pos, pool.sparse[rows]]
        sample_weight = [weights, np.full(len(rows), NEGATIVE_WEIGHTS["pool"])]
        if dislikes:
            parts.append(self._sparse(dislikes))
            sample_weight.append(np.array([e.weight for e in dislikes]))
        features = sp.vstack(parts).tocsr()
        labels = np.r_[np.ones(len(self._positives)), np.zeros(features.shape[0] - len(self._positives))]
        from sklearn.svm import LinearSVC

        self._sparse_model = LinearSVC(C=SVM_C, class_weight="balanced", max_iter=10000, tol=1e-4)
        self._sparse_model.fit(features, labels, sample_weight=np.concatenate(sample_weight))

    def _fit_dense(self, weights: np.ndarray, dislikes: list[Example], pool: Pool, dim: int) -> None:
        taken = {e.work_id for e in self._positives if e.work_id is not None}
        background = [r for r in range(pool.window_size, len(pool.ids)) if pool.ids[r] not in taken]
        if not background:  # no corpus outside the window: contrast with the window itself
            background = [r for r in range(pool.window_size) if pool.ids[r] not in taken]
        parts = [self._positive_matrix, pool.dense[background]]
        sample_weight = [weights, np.full(len(background), NEGATIVE_WEIGHTS["random"])]
        if dislikes:
            parts.append(_stack_dense(dislikes, dim))
            sample_weight.append(np.array([e.weight for e in dislikes]))
        features = np.vstack(parts)
        labels = np.r_[np.ones(len(self._positives)), np.zeros(len(features) - len(self._positives))]
        from sklearn.linear_model import LogisticRegression

        self._dense_model = LogisticRegression(C=LR_C, class_weight="balanced", max_iter=1000)
        self._dense_model.fit(features, labels, sample_weight=np.concatenate(sample_weight))

    def score(self, sparse: sp.csr_matrix, dense: np.ndarray | None) -> np.ndarray:
        """Relevance of each paper (a fused z-score; higher is better); zeros without positives."""
        if self.mode == "empty":
            return -self._penalty(sparse, dense) if self._dislikes is not None else np.zeros(sparse.shape[0])
        if self.mode == "classifier":
            sparse_scores = self._sparse_model.decision_function(sparse)
            dense_scores = (self._dense_model.decision_function(dense)
                            if self._dense_model is not None and dense is not None else None)
        else:
            sparse_centroid, dense_centroid = self._centroids
            sparse_scores = np.asarray(sparse @ sparse_centroid).ravel()
            dense_scores = dense @ dense_centroid if dense is not None and dense_centroid is not None else None
        fused = zscore(np.asarray(sparse_scores, dtype=np.float64))
        if dense_scores is not None:
            fused = fused + self.dense_weight * zscore(np.asarray(dense_scores, dtype=np.float64))
        if self._dislikes is not None:
            fused = fused - self._penalty(sparse, dense)
        return fused

    @property
    def informed(self) -> bool:
        """Whether the model knows anything of the reader (positives or dislikes)."""
        return self.mode != "empty" or self._dislikes is not None

    def _penalty(self, sparse: sp.csr_matrix, dense: np.ndarray | None) -> np.ndarray:
        """How far each paper sinks for being unusually close to a disliked one (both views)."""
        dense_dislikes, sparse_dislikes, weights = self._dislikes
        views = [np.asarray((sparse @ sparse_dislikes.T).todense())]
        if dense is not None and dense_dislikes is not None:
            views.append(dense @ dense_dislikes.T)
        standardised = [(v - v.mean(axis=0)) / (v.std(axis=0) + 1e-9) for v in views]
        closeness = np.clip((sum(standardised) / len(standardised) - NEAR_Z) / (FAR_Z - NEAR_Z), 0, 1)
        return (closeness * weights).max(axis=1)

    def nearest_positive(self, dense: np.ndarray | None) -> tuple[Example, float] | None:
        """The reader's positive paper most similar to one paper (cosine of dense vectors)."""
        if dense is None or self._positive_matrix is None:
            return None
        papers = [i for i, e in enumerate(self._positives) if e.kind not in ("keyword", "follow")]
        if not papers:
            return None
        similarities = self._positive_matrix[papers] @ dense
        best = int(np.argmax(similarities))
        return self._positives[papers[best]], float(similarities[best])
