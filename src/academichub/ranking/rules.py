"""Rule matches between a work and a radar's subscriptions, each with the reason it gives."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from academichub.storage.accounts import Subscription
from academichub.storage.works import Candidate

# Weights order the feed: a followed author outranks a keyword, which outranks a category.
WEIGHTS = {"author": 4.0, "keyword": 2.0, "venue": 1.5, "category": 1.0}


@dataclass(frozen=True)
class Reason:
    """Why a card is shown: a rule kind and the followed value (or the evidence)."""

    kind: str
    value: str

    def to_json(self) -> dict[str, str]:
        """Structured form for the API."""
        return {"kind": self.kind, "value": self.value}


@lru_cache(maxsize=1024)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Whole-word, case-insensitive match of a keyword or phrase, allowing a plural ending."""
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?:s|es)?(?!\w)", re.IGNORECASE)


def _category_matches(followed: str, categories: tuple[str, ...]) -> bool:
    # Following an archive ("astro-ph") matches its subjects ("astro-ph.GA").
    return any(c.casefold() == followed or c.casefold().startswith(followed + ".") for c in categories)


def match(work: Candidate, subscriptions: list[Subscription]) -> list[Reason]:
    """All subscriptions this work satisfies, strongest first."""
    reasons: list[Reason] = []
    for sub in subscriptions:
        if sub.kind == "author" and sub.value_key in work.author_keys:
            reasons.append(Reason("author", sub.value))
        elif sub.kind == "keyword" and keyword_pattern(sub.value).search(work.text):
            reasons.append(Reason("keyword", sub.value))
        elif sub.kind == "category" and _category_matches(sub.value_key, work.categories):
            reasons.append(Reason("category", sub.value))
        elif sub.kind == "venue" and work.venue and work.venue.casefold() == sub.value_key:
            reasons.append(Reason("venue", sub.value))
    reasons.sort(key=lambda r: -WEIGHTS[r.kind])
    return reasons


def rule_score(reasons: list[Reason]) -> float:
    """Sum of the weights of matched rules."""
    return sum(WEIGHTS.get(r.kind, 0.0) for r in reasons)
