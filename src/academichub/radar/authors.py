"""Followed authors as records: name variants, evidence from their papers, and confident matches.

"Jianxiang He" also appears as "He Jianxiang" (Chinese names are written both ways), as
"Jian-Xiang He" and, in some sources, as "J. He" — a name shared by many people. A full-name
variant (accents and case folded) or the author's ORCID iD matches outright; an initials-only
variant matches only with evidence from the author's known papers (shared co-authors, usual
categories) or the reader's answer to "是这位 … 吗?", which is asked once and remembered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from academichub.errors import InputError
from academichub.keys import name_key
from academichub.model.accounts import Radar, Subscription
from academichub.storage.store import Store

SURE = 0.8  # at or above: a match
ASK = 0.4  # between ASK and SURE: ask the reader once
COAUTHOR_EVIDENCE = 0.3
CATEGORY_EVIDENCE = 0.2


def _parts(key: str) -> tuple[str, str]:
    """(given names joined, family) of a name key: "jian xiang he" -> ("jianxiang", "he")."""
    tokens = key.split()
    return ("".join(tokens[:-1]), tokens[-1]) if len(tokens) > 1 else ("", key)


def full_variants(key: str) -> set[str]:
    """Keys that surely name this person: as written, hyphens joined, family name first."""
    tokens = key.split()
    if len(tokens) < 2:
        return {key}
    given, family = "".join(tokens[:-1]), tokens[-1]
    swapped_family, swapped_given = tokens[0], "".join(tokens[1:])
    return {key, f"{given} {family}", f"{family} {given}", f"{swapped_given} {swapped_family}"}


def initials_of(key: str) -> set[str]:
    """Initials-only spellings that may be this person ("j he", "h j")."""
    tokens = key.split()
    if len(tokens) < 2:
        return set()
    given, family = tokens[:-1], tokens[-1]
    return {f"{given[0][0]} {family}", f"{''.join(t[0] for t in given)} {family}",
            f"{' '.join(t[0] for t in given)} {family}"}


@dataclass
class AuthorRecord:
    """What is known of a followed author: names, co-authors and categories seen with them."""

    subscription: Subscription
    variants: set[str]
    initials: set[str]
    coauthors: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    decisions: dict[int, bool] = field(default_factory=dict)
    orcid: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # co-author key -> printed name
    papers: list[int] = field(default_factory=list)  # stored works surely by this author, newest ids first

    @classmethod
    def for_subscription(cls, subscription: Subscription) -> AuthorRecord:
        """A record with the name variants of a subscription."""
        key = subscription.value_key
        return cls(subscription, full_variants(key), initials_of(key) - full_variants(key))

    def learn(self, people: tuple[tuple[str, str, str | None], ...], categories: tuple[str, ...]) -> None:
        """Add a surely-matched paper's co-authors, categories (and the author's ORCID) to the evidence."""
        for key, name, orcid in people:
            if key in self.variants:
                self.orcid = self.orcid or orcid
            else:
                self.coauthors[key] += 1
                self.names.setdefault(key, name)
        self.categories.update(categories)


@dataclass(frozen=True)
class AuthorMatch:
    """How sure a paper is by the followed author, and why."""

    confidence: float
    evidence: tuple[str, ...] = ()

    @property
    def sure(self) -> bool:
        """A match to show as one."""
        return self.confidence >= SURE

    @property
    def ask(self) -> bool:
        """A possible match to ask the reader about."""
        return ASK <= self.confidence < SURE


def match(record: AuthorRecord, work_id: int, author_keys: frozenset[str], categories: tuple[str, ...],
          people: tuple[tuple[str, str, str | None], ...] = ()) -> AuthorMatch | None:
    """Whether a paper is by the followed author, with the evidence (None: not at all)."""
    if work_id in record.decisions:
        return AuthorMatch(1.0, ("confirmed by you",)) if record.decisions[work_id] else None
    if record.orcid and any(orcid == record.orcid for _, _, orcid in people):
        return AuthorMatch(1.0, (f"ORCID {record.orcid}",))
    if author_keys & record.variants:
        return AuthorMatch(1.0)
    if not author_keys & record.initials:
        return None
    confidence, evidence = 0.2, []
    shared = [k for k in author_keys if record.coauthors.get(k)]
    if shared:
        confidence += min(2, len(shared)) * COAUTHOR_EVIDENCE
        evidence.append("co-authors: " + ", ".join(record.names.get(k, k) for k in sorted(shared)[:3]))
    usual = [c for c in categories if record.categories.get(c)]
    if usual:
        confidence += CATEGORY_EVIDENCE
        evidence.append("categories: " + ", ".join(usual[:3]))
    return AuthorMatch(round(confidence, 2), tuple(evidence)) if confidence >= ASK else None


def lookup_keys(record: AuthorRecord) -> set[str]:
    """Every author key a paper of this person may carry (to find candidates by)."""
    return record.variants | record.initials


EVIDENCE_PAPERS = 200  # most recent sure papers an author's co-authors and categories are learnt from


def records_for(store: Store, subscriptions: list[Subscription]) -> dict[int, AuthorRecord]:
    """The records of a radar's followed authors, with evidence from their stored papers."""
    authors = [s for s in subscriptions if s.kind == "author"]
    decisions = store.authors.decisions([s.id for s in authors])
    profiles = store.authors.profiles([s.id for s in authors])
    records = {}
    for sub in authors:
        record = AuthorRecord.for_subscription(sub)
        record.decisions = decisions.get(sub.id, {})
        record.orcid = (profiles.get(sub.id) or (None, None))[0]
        sure = sorted(store.works.ids_by_author_keys(record.variants, None, None), reverse=True)
        confirmed = [w for w, same in record.decisions.items() if same]
        for candidate in store.works.candidates(sorted(set(sure[:EVIDENCE_PAPERS]) | set(confirmed))):
            record.learn(candidate.people, candidate.categories)
        record.papers = sure + [w for w in confirmed if w not in set(sure)]
        records[sub.id] = record
    return records


def author_decision(store: Store, radar: Radar, author: str, paper_id: str, same: bool) -> None:
    """Record the reader's answer to "是这位 … 吗?" for one paper of a followed author."""
    key = name_key(author)
    sub = next((s for s in store.accounts.subscriptions(radar.id) if s.kind == "author" and s.value_key == key), None)
    if sub is None:
        raise InputError(f"authors: the radar does not follow {author!r}")
    store.authors.decide(sub.id, store.works.require(paper_id, "authors").id, same)
