"""Ordering a radar's candidates: rule matches first, then text similarity, then recency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from academichub.ranking.rules import Reason, match, rule_score
from academichub.ranking.similarity import MIN_SHOWN, TextModel
from academichub.storage.accounts import Subscription
from academichub.storage.works import Candidate


@dataclass(frozen=True)
class Window:
    """A period's candidates and their text model (cached while the store does not change)."""

    candidates: list[Candidate]
    model: TextModel

    @classmethod
    def build(cls, candidates: list[Candidate]) -> Window:
        """Fit the text model of these candidates."""
        return cls(candidates, TextModel([c.text for c in candidates]))


@dataclass(frozen=True)
class Ranked:
    """A candidate's place in the feed with its score and reasons."""

    work_id: int
    feed_date: date
    score: float
    reasons: list[Reason]


def rank(window: Window, subscriptions: list[Subscription], profile: list[str], *,
         exclude: set[int] = frozenset(), limit: int | None = None) -> list[Ranked]:
    """The best `limit` candidates not excluded, each with at least one reason."""
    vector = window.model.profile_vector(profile)
    sims = window.model.scores(vector)
    scored = []
    for row, candidate in enumerate(window.candidates):
        if candidate.id in exclude:
            continue
        reasons = match(candidate, subscriptions)
        rules = rule_score(reasons)
        scored.append(((rules > 0, rules, sims[row], candidate.feed_date, candidate.id), row, reasons))
    scored.sort(key=lambda item: item[0], reverse=True)
    result = []
    for (_, rules, sim, feed_date, work_id), row, reasons in scored[:limit]:
        # Only shown cards get their similarity explained: the term breakdown is the costly part.
        if vector is not None and sim >= MIN_SHOWN:
            reasons.append(Reason("similar", ", ".join(window.model.shared_terms(row, vector))))
        if not reasons:
            reasons.append(Reason("recent", feed_date.isoformat()))
        result.append(Ranked(work_id, feed_date, rules + float(sim), reasons))
    return result
