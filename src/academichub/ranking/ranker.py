"""Ordering a radar's candidates: the reader's model, rules as boosts or filters, a diverse batch.

Without anything to learn from (no subscriptions, library or feedback) the order is rule
matches, then recency. With a trained model, a candidate's score is the model's fused z-score
plus RULE_BOOST per rule weight (so a followed author's paper tops the window while a followed
category only lifts its papers), or, with `rules = "filter"`, only rule matches are shown.
The batch is then picked by maximal marginal relevance so that one topic cannot fill it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import erf, sqrt

import numpy as np

from academichub.ranking.learned import UserModel
from academichub.ranking.rules import Reason, RuleSet, rule_score
from academichub.ranking.window import Window
from academichub.settings import RankingSettings

RULE_BOOST = 2.0  # z units per unit of rule weight
MMR_DEPTH = 5  # MMR picks a batch from this many batches' worth of the best candidates
SIMILAR_SHOWN = 0.4  # dense cosine from which "similar to your saved paper «…»" is given as a reason
TERMS_SHOWN = 0.02  # sparse overlap from which shared terms are given as a reason


@dataclass(frozen=True)
class Ranked:
    """A candidate's place in the feed with its score and reasons."""

    work_id: int
    feed_date: date
    score: float
    reasons: list[Reason]


@dataclass
class Scored:
    """One reader's model and its scores over a window (computed once, reused by every batch)."""

    model: UserModel
    scores: np.ndarray

    @classmethod
    def of(cls, model: UserModel, window: Window) -> Scored:
        """Score every candidate of the window."""
        return cls(model, model.score(window.sparse, window.dense))

    @property
    def trained(self) -> bool:
        """Whether the model has anything to go on (something liked or disliked)."""
        return self.model.informed

    @property
    def learned(self) -> bool:
        """Whether the model learnt what the reader likes (it has positives)."""
        return self.model.mode != "empty"

    def relevance(self, row: int) -> float:
        """A score on a 0–1 scale (0.5 is an average paper of the window), for `min_score`."""
        spread = sqrt(1 + self.model.dense_weight ** 2)
        return 0.5 * (1 + erf(float(self.scores[row]) / spread / sqrt(2)))


def diversify(keys: np.ndarray, vectors: np.ndarray | None, limit: int, diversity: float) -> list[int]:
    """Indices of `limit` items by maximal marginal relevance (items sorted best first)."""
    if diversity <= 0 or vectors is None or len(keys) <= limit or limit <= 0:
        return list(range(min(limit, len(keys))))
    top = min(len(keys), limit * MMR_DEPTH)
    vectors = vectors[:top]
    # Relevance by rank (1 for the best, falling linearly): scores mix model z-scores and rule boosts,
    # whose scale says little; their order is what the batch must respect.
    relevance = 1.0 - np.arange(top) / top
    chosen = [0]
    closest = vectors @ vectors[0]
    while len(chosen) < limit:
        marginal = (1 - diversity) * relevance - diversity * closest
        marginal[chosen] = -np.inf
        best = int(np.argmax(marginal))
        chosen.append(best)
        closest = np.maximum(closest, vectors @ vectors[best])
    return chosen


def _explain(window: Window, scored: Scored, row: int, reasons: list[Reason]) -> list[Reason]:
    """Rule reasons, then the reader's paper this one is most like (or the terms they share)."""
    reasons = list(reasons)
    model = scored.model
    dense = window.dense
    nearest = model.nearest_positive(dense[row]) if dense is not None else None
    if nearest is not None and nearest[1] >= SIMILAR_SHOWN:
        reasons.append(Reason("similar_to", nearest[0].title, nearest[0].kind))
    elif model.sparse_profile is not None and window.sparse[row] @ model.sparse_profile >= TERMS_SHOWN:
        terms = window.shared_terms(row, model.sparse_profile)
        if terms:
            reasons.append(Reason("similar", ", ".join(terms)))
    if not reasons:
        reasons.append(Reason("recent", window.candidates[row].feed_date.isoformat()))
    return reasons


def rank(window: Window, rules: RuleSet, scored: Scored, settings: RankingSettings, *,
         exclude: set[int] = frozenset(), limit: int | None = None) -> list[Ranked]:
    """The best `limit` candidates not excluded, diversified, each with at least one reason."""
    entries = []
    for row, candidate in enumerate(window.candidates):
        if candidate.id in exclude:
            continue
        reasons = rules.match(candidate)
        if settings.rules == "filter" and rules.any and not reasons:
            continue
        if scored.learned and settings.min_score and not reasons and scored.relevance(row) < settings.min_score:
            continue
        boost = rule_score(reasons)
        key = float(scored.scores[row]) + RULE_BOOST * boost if scored.trained else boost
        entries.append((key, candidate.feed_date, candidate.id, row, reasons))
    entries.sort(key=lambda e: (e[0], e[1], e[2]), reverse=True)
    limit = len(entries) if limit is None else limit
    dense = window.dense
    vectors = dense[[e[3] for e in entries[: limit * MMR_DEPTH]]] if dense is not None and entries else None
    picked = diversify(np.array([e[0] for e in entries[: limit * MMR_DEPTH]]), vectors, limit,
                       settings.diversity if scored.trained else 0.0)
    return [Ranked(entries[i][2], entries[i][1], entries[i][0], _explain(window, scored, entries[i][3], entries[i][4]))
            for i in picked]
