"""Ordering a radar's candidates: the reader's scores, rules as boosts or filters, a diverse batch.

Everything here works on arrays over the window's rows of the feature matrix. Without anything
to learn from the order is rule matches, then recency. With a model, a candidate's score is
the fused z-score plus RULE_BOOST per rule weight (so a followed author's paper tops the window
while a followed category only lifts its papers), or, with `rules = "filter"`, only rule
matches are shown. The batch is then picked by maximal marginal relevance so that one topic
cannot fill it, and only the papers picked are explained.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import sqrt

import numpy as np
from scipy.special import erf

from academichub.ranking.learned import DENSE_WEIGHT
from academichub.ranking.matrix import Snapshot
from academichub.ranking.reasons import SHOWN_TERMS, Reason, RuleMatches
from academichub.ranking.scoring import ReaderScores
from academichub.settings import RankingSettings

RULE_BOOST = 2.0  # z units per unit of rule weight
MMR_DEPTH = 5  # MMR picks a batch from this many batches' worth of the best candidates
SAME_PAPER = 0.995  # dense cosine of a paper and itself (another record of the same text)
SIMILAR_SHOWN = 0.4  # dense cosine from which "similar to your saved paper «…»" is given as a reason
TERMS_SHOWN = 0.02  # sparse overlap from which shared terms are given as a reason
TERMS_CONSIDERED = 3 * SHOWN_TERMS  # a reason's candidate terms: some are inside others, some not written as such


@dataclass(frozen=True)
class Ranked:
    """A candidate's place in the feed with its score and reasons."""

    work_id: int
    feed_date: date
    score: float
    reasons: list[Reason]


@dataclass(frozen=True)
class Candidates:
    """A window: work ids, their feed days (ordinals) and rows in the matrix (-1: no features yet)."""

    ids: np.ndarray
    days: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class Explainer:
    """What a card's "why" is drawn from: the reader's own papers and the model's term weights."""

    positives: list[tuple[int | None, str, str]]
    positive_vectors: np.ndarray | None
    term_weights: np.ndarray | None


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
    while len(chosen) < min(limit, top):
        marginal = (1 - diversity) * relevance - diversity * closest
        marginal[chosen] = -np.inf
        best = int(np.argmax(marginal))
        chosen.append(best)
        closest = np.maximum(closest, vectors @ vectors[best])
    return chosen


def _explain(snapshot: Snapshot, explainer: Explainer, row: int, day: int, reasons: list[Reason]) -> list[Reason]:
    """Rule reasons, then the reader's paper this one is most like (or the terms they share)."""
    reasons = list(reasons)
    vectors = explainer.positive_vectors
    if row >= 0 and vectors is not None and snapshot.dense is not None and len(vectors):
        similarities = vectors @ np.asarray(snapshot.dense[row])
        similarities[similarities >= SAME_PAPER] = -1.0  # a paper is never explained by itself (or its twin)
        best = int(np.argmax(similarities))
        if similarities[best] >= SIMILAR_SHOWN:
            _, title, kind = explainer.positives[best]
            reasons.append(Reason("similar_to", title, kind))
            return reasons
    if row >= 0 and explainer.term_weights is not None:
        start, end = snapshot.sparse.indptr[row], snapshot.sparse.indptr[row + 1]
        columns = np.asarray(snapshot.sparse.indices[start:end])
        contributions = np.asarray(snapshot.sparse.data[start:end]) * explainer.term_weights[columns]
        if contributions.sum() >= TERMS_SHOWN * max(1e-9, float(np.abs(explainer.term_weights).max())):
            order = np.argsort(-contributions)[:TERMS_CONSIDERED]
            terms = [snapshot.vocabulary.terms[columns[i]] for i in order if contributions[i] > 0]
            if terms:  # as_written leaves those the paper writes as they read, then SHOWN_TERMS of them, none
                reasons.append(Reason("similar", ", ".join(terms)))  # inside another (not before: a part may stay)
    if not reasons:
        reasons.append(Reason("recent", date.fromordinal(int(day)).isoformat()))
    return reasons


def rank(snapshot: Snapshot, window: Candidates, scores: ReaderScores, rules: RuleMatches,
         explainer: Explainer, settings: RankingSettings, *, exclude: set[int] = frozenset(),
         limit: int = 10, follows_anything: bool = False) -> list[Ranked]:
    """The best `limit` candidates not excluded, diversified, each with at least one reason."""
    keep = ~np.isin(window.ids, np.fromiter(exclude, dtype=np.int64, count=len(exclude))) if exclude \
        else np.ones(len(window.ids), dtype=bool)
    boost = rules.boosts(window.ids)
    matched = boost > 0
    if settings.rules == "filter" and follows_anything:
        keep &= matched
    featured = window.rows >= 0
    model = np.zeros(len(window.ids))
    if scores.informed and featured.any():
        model[featured] = scores.fused(window.rows[featured])
    if scores.learned and settings.min_score:
        spread = sqrt(1 + DENSE_WEIGHT ** 2)
        relevance = 0.5 * (1 + erf(model / spread / sqrt(2)))
        keep &= matched | (relevance >= settings.min_score)
    keys = model + RULE_BOOST * boost if scores.informed else boost
    candidates = np.flatnonzero(keep)
    if not len(candidates) or limit <= 0:
        return []
    depth = min(len(candidates), limit * MMR_DEPTH)
    if depth < len(candidates):  # only the best few (and whatever ties with the last of them) need a full sort
        threshold = -np.partition(-keys[candidates], depth - 1)[depth - 1]
        candidates = candidates[keys[candidates] >= threshold]
    order = candidates[np.lexsort((window.ids[candidates], window.days[candidates], keys[candidates]))[::-1]][:depth]
    rows = window.rows[order]
    vectors = None
    if snapshot.dense is not None and (rows >= 0).all():
        vectors = np.asarray(snapshot.dense[rows])
    picked = diversify(keys[order], vectors, limit, settings.diversity if scores.informed else 0.0)
    result = []
    for p in picked:
        n = order[p]
        work_id = int(window.ids[n])
        reasons = _explain(snapshot, explainer, int(window.rows[n]), int(window.days[n]), rules.reasons(work_id))
        result.append(Ranked(work_id, date.fromordinal(int(window.days[n])), float(keys[n]), reasons))
    return result
