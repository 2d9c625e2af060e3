"""Rule matches between a work and a radar's subscriptions, each with the reason it gives.

Keywords are queries in the syntax of `search.query` (phrases, AND/OR/NOT, fields); followed
authors are records (`radar.authors`) that match a paper with a confidence, so a possible
but unproven match ("J. He") becomes a question for the reader rather than a claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from academichub.errors import InputError
from academichub.keys import venue_key
from academichub.model.accounts import Subscription
from academichub.model.works import Candidate
from academichub.radar.authors import AuthorRecord
from academichub.radar.authors import match as author_match
from academichub.ranking.reasons import WEIGHTS, Reason
from academichub.search.query import Node, matches, parse
from academichub.search.query import document as as_document


def _category_matches(followed: str, categories: tuple[str, ...]) -> bool:
    # Following an archive ("astro-ph") matches its subjects ("astro-ph.GA").
    return any(c.casefold() == followed or c.casefold().startswith(followed + ".") for c in categories)


def keyword_query(value: str) -> Node | None:
    """The parsed query of a keyword subscription (None if it was stored before it had to parse, or
    before a limit it breaks: it then matches nothing, and the radar's other rules still serve)."""
    try:
        return parse(value)
    except (ValueError, InputError):
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
                document = document or as_document(work.title, work.abstract, work.author_keys, work.categories)
                if query is not None and matches(query, document):
                    reasons.append(Reason("keyword", sub.value))
            elif sub.kind == "category" and _category_matches(sub.value_key, work.categories):
                reasons.append(Reason("category", sub.value))
            elif sub.kind == "venue" and work.venue and venue_key(work.venue) == venue_key(sub.value_key):
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
