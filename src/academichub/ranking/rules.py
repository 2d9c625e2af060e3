"""Rule matches between a work and a radar's subscriptions, each with the reason it gives.

Keywords are queries in the syntax of `search.query` (phrases, AND/OR/NOT, fields); followed
authors are records (`radar.authors`) that match a paper with a confidence, so a possible
but unproven match ("J. He") becomes a question for the reader rather than a claim.
"""

from __future__ import annotations

import numpy as np

from dataclasses import dataclass, field

from academichub.radar.authors import AuthorRecord
from academichub.radar.authors import match as author_match
from academichub.search.query import Document, Node, matches, parse
from academichub.storage.accounts import Subscription
from academichub.storage.works import Candidate

# Weights order the feed: a followed author outranks a keyword, which outranks a category.
WEIGHTS = {"author": 4.0, "keyword": 2.0, "venue": 1.5, "category": 1.0, "author?": 1.0}


@dataclass(frozen=True)
class Reason:
    """Why a card is shown: a kind, the followed value (or a title), and optional evidence."""

    kind: str
    value: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        """Structured form for the API and the stored batch."""
        data = {"kind": self.kind, "value": self.value}
        if self.detail:
            data["detail"] = self.detail
        return data


def _category_matches(followed: str, categories: tuple[str, ...]) -> bool:
    # Following an archive ("astro-ph") matches its subjects ("astro-ph.GA").
    return any(c.casefold() == followed or c.casefold().startswith(followed + ".") for c in categories)


def keyword_query(value: str) -> Node | None:
    """The parsed query of a keyword subscription (None if it was stored before it had to parse)."""
    try:
        return parse(value)
    except ValueError:
        return None


@dataclass
class RuleSet:
    """A radar's subscriptions, ready to match candidates."""

    subscriptions: list[Subscription]
    authors: dict[int, AuthorRecord] = field(default_factory=dict)  # by subscription id

    def __post_init__(self) -> None:
        self._queries = {s.id: keyword_query(s.value) for s in self.subscriptions if s.kind == "keyword"}

    @property
    def any(self) -> bool:
        """Whether the radar follows anything at all."""
        return bool(self.subscriptions)

    def match(self, work: Candidate) -> list[Reason]:
        """All subscriptions this work satisfies, strongest first."""
        reasons: list[Reason] = []
        document = None
        for sub in self.subscriptions:
            if sub.kind == "author":
                reasons += self._author(sub, work)
            elif sub.kind == "keyword":
                query = self._queries.get(sub.id)
                document = document or Document(work.title, work.abstract, work.author_keys, work.categories)
                if query is not None and matches(query, document):
                    reasons.append(Reason("keyword", sub.value))
            elif sub.kind == "category" and _category_matches(sub.value_key, work.categories):
                reasons.append(Reason("category", sub.value))
            elif sub.kind == "venue" and work.venue and work.venue.casefold() == sub.value_key:
                reasons.append(Reason("venue", sub.value))
        reasons.sort(key=lambda r: -WEIGHTS[r.kind])
        return reasons

    def _author(self, sub: Subscription, work: Candidate) -> list[Reason]:
        record = self.authors.get(sub.id)
        if record is None:  # no record built (e.g. a bare rule check): exact key only
            return [Reason("author", sub.value)] if sub.value_key in work.author_keys else []
        found = author_match(record, work.id, work.author_keys, work.categories, work.people)
        if found is None:
            return []
        evidence = "; ".join(found.evidence)
        if found.sure:
            return [Reason("author", sub.value, evidence)]
        return [Reason("author?", sub.value, evidence)] if found.ask else []


class RuleMatches:
    """The papers a radar's rules match in a window, as arrays: a boost per paper, reasons on demand.

    Categories and venues match thousands of papers of a large window; they are kept as one sorted
    id array per subscription (no object per paper), the few author and keyword matches as lists.
    """

    def __init__(self, bulk: list[tuple[int, Reason, np.ndarray]], checked: dict[int, list[tuple[int, Reason]]]) -> None:
        self._bulk = [(position, reason, np.unique(ids)) for position, reason, ids in bulk]
        self._checked = checked
        parts = [ids for _, _, ids in self._bulk] + [np.fromiter(checked, dtype=np.int64, count=len(checked))]
        self.ids = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        self.scores = np.zeros(len(self.ids))
        for _, reason, ids in self._bulk:
            self.scores[np.searchsorted(self.ids, ids)] += WEIGHTS[reason.kind]
        for work_id, pairs in checked.items():
            self.scores[np.searchsorted(self.ids, work_id)] += rule_score([r for _, r in pairs])

    @classmethod
    def empty(cls) -> RuleMatches:
        """No rule matches anything."""
        return cls([], {})

    def __len__(self) -> int:
        return len(self.ids)

    def reasons(self, work_id: int) -> list[Reason]:
        """The rules this paper matches, as RuleSet.match orders them (strongest, then as followed)."""
        pairs = list(self._checked.get(work_id, []))
        for position, reason, ids in self._bulk:
            at = np.searchsorted(ids, work_id)
            if at < len(ids) and ids[at] == work_id:
                pairs.append((position, reason))
        return [r for _, r in sorted(pairs, key=lambda p: (-WEIGHTS[p[1].kind], p[0]))]

    def boosts(self, ids: np.ndarray) -> np.ndarray:
        """The summed rule weights of these papers (0 where no rule matches)."""
        boost = np.zeros(len(ids))
        if len(self.ids):
            at = np.clip(np.searchsorted(self.ids, ids), 0, len(self.ids) - 1)
            hit = self.ids[at] == ids
            boost[hit] = self.scores[at[hit]]
        return boost

    def as_dict(self) -> dict[int, list[Reason]]:
        """Every matched paper with its reasons (for checks; a large window makes this slow)."""
        return {int(work_id): self.reasons(int(work_id)) for work_id in self.ids}


def rule_score(reasons: list[Reason]) -> float:
    """Sum of the weights of matched rules."""
    return sum(WEIGHTS.get(r.kind, 0.0) for r in reasons)
