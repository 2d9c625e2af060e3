"""Ordering a radar's candidates: rule matches first, then text similarity, then recency."""

from __future__ import annotations

from dataclasses import dataclass

from academichub.ranking import similarity
from academichub.ranking.rules import Reason, match, rule_score
from academichub.storage.accounts import Subscription
from academichub.storage.works import StoredWork


@dataclass(frozen=True)
class Ranked:
    """A candidate's place in the feed with its score and reasons."""

    work: StoredWork
    score: float
    reasons: list[Reason]


def _text(work: StoredWork) -> str:
    return f"{work.paper.title}. {work.paper.abstract}"


def rank(candidates: list[StoredWork], subscriptions: list[Subscription],
         profile: list[str]) -> list[Ranked]:
    """Score and sort candidates; every result carries at least one reason."""
    sims = similarity.score([_text(w) for w in candidates], profile)
    ranked = []
    for work, sim in zip(candidates, sims, strict=True):
        reasons = match(work, subscriptions)
        rules = rule_score(reasons)
        if sim.terms:
            reasons.append(Reason("similar", ", ".join(sim.terms)))
        if not reasons:
            reasons.append(Reason("recent", work.feed_date.isoformat()))
        ranked.append((rules > 0, rules, sim.score, work.feed_date, work.id,
                       Ranked(work, rules + sim.score, reasons)))
    ranked.sort(key=lambda r: r[:5], reverse=True)
    return [r[-1] for r in ranked]
