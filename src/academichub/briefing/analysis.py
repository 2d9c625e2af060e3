"""Across fields and over time: bridging papers, multi-field themes, travelling methods, rising topics."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from academichub.briefing.fields import fields_of
from academichub.briefing.model import BriefPaper, Trend
from academichub.briefing.themes import stop_words
from academichub.radar.periods import Period
from academichub.storage.store import Store

TREND_SAMPLE = 5000  # papers per period read for topic counts (a random sample beyond that)
MIN_TREND_COUNT = 3
COMPARABLE = 0.25  # the previous period needs this share of the current one's papers to compare with


@dataclass
class Travel:
    """A phrase used by papers of several fields in this set (and where it was used before)."""

    phrase: str
    fields: dict[str, list[int]]  # field -> paper numbers using the phrase now
    before: dict[str, int]  # field -> papers of the previous period using it


def previous_period(period: Period, store: Store | None = None) -> Period | None:
    """The period of the same length just before this one (for a day: the previous announcement day)."""
    if period.start is None or period.end is None:
        return None
    if period.spec == "day" and store is not None:
        day = store.works.feed_date_before(period.start)
        return Period("previous", day, day) if day else None
    length = (period.end - period.start).days + 1
    return Period("previous", period.start - timedelta(days=length), period.start - timedelta(days=1))


def contains(text: str, phrase: str) -> bool:
    """Whether a phrase occurs in a text as whole words."""
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


def travelling(papers: list[BriefPaper], phrases: list[str], store: Store, period: Period,
               *, limit: int = 3) -> list[Travel]:
    """Phrases shared by papers of two or more fields, with their field counts in the previous period."""
    found = []
    phrases = [p for p in phrases if " " in p] or list(phrases)  # a shared phrase says more than a shared word
    for phrase in dict.fromkeys(phrases):
        by_field: dict[str, list[int]] = {}
        for paper in papers:
            if contains(f"{paper.title} {paper.abstract}".lower(), phrase):
                by_field.setdefault(paper.fields[0], []).append(paper.n)
        if len(by_field) >= 2:
            found.append(Travel(phrase, by_field, {}))
    found.sort(key=lambda t: (-len(t.fields), -sum(map(len, t.fields.values()))))
    found = found[:limit]
    before = previous_period(period, store)
    if found and before:
        for candidate in _sample(store, before):
            text = candidate.text.lower()
            for travel in found:
                if contains(text, travel.phrase):
                    field = fields_of(candidate.categories, candidate.venue)[0]
                    travel.before[field] = travel.before.get(field, 0) + 1
    return found


def _sample(store: Store, period: Period):  # type: ignore[no-untyped-def]
    ids = store.works.ids_in_window(period.start, period.end)
    if len(ids) > TREND_SAMPLE:
        ids = random.Random(0).sample(ids, TREND_SAMPLE)
    return store.works.candidates(ids)


URLISH = ["https", "http", "github", "com", "www", "org", "available", "code", "publicly", "io"]


def trends(store: Store, period: Period, categories: set[str], *, limit: int = 4) -> list[Trend]:
    """Topics and categories of the briefing's categories whose paper counts changed most since the
    previous period of the same length (raw counts: the periods are equally long)."""
    before = previous_period(period, store)
    if before is None:
        return []

    def relevant(papers) -> list:  # type: ignore[no-untyped-def]
        return [c for c in papers if c.categories and c.categories[0] in categories]

    now_papers, before_papers = relevant(_sample(store, period)), relevant(_sample(store, before))
    if not now_papers or len(before_papers) < COMPARABLE * len(now_papers):
        return []  # a thin previous period (a holiday, a partial harvest) would make every topic "rise"
    found: list[Trend] = []
    now_cats = Counter(c.categories[0] for c in now_papers if c.categories)
    before_cats = Counter(c.categories[0] for c in before_papers if c.categories)
    found += _changes(now_cats, before_cats, "category", limit)
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(ngram_range=(2, 3), stop_words=[*stop_words(), *URLISH], binary=True, min_df=MIN_TREND_COUNT,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9-]{2,}\b")
    try:
        vectorizer.fit([c.text for c in now_papers + before_papers])
    except ValueError:
        return found
    names = vectorizer.get_feature_names_out()
    now_counts = Counter(dict(zip(names, vectorizer.transform([c.text for c in now_papers]).sum(axis=0).A1.tolist(),
                                  strict=True)))
    before_counts = Counter(dict(zip(names, vectorizer.transform([c.text for c in before_papers]).sum(axis=0).A1.tolist(),
                                     strict=True)))
    return found + _changes(now_counts, before_counts, "topic", limit)


def _changes(now: Counter, before: Counter, kind: str, limit: int) -> list[Trend]:
    """The largest rises and falls in paper counts."""
    terms = {t for t in now | before if now[t] + before[t] >= MIN_TREND_COUNT * 2}
    change = {t: now[t] - before[t] for t in terms}
    rising = sorted((t for t in terms if change[t] > 0 and now[t] >= MIN_TREND_COUNT), key=lambda t: -change[t])
    falling = sorted((t for t in terms if change[t] < 0 and before[t] >= MIN_TREND_COUNT), key=lambda t: change[t])
    picked = _distinct(rising, limit) + _distinct(falling, max(1, limit // 2))
    return [Trend(t, kind, int(now[t]), int(before[t])) for t in picked]


def _distinct(terms: list[str], limit: int) -> list[str]:
    """The first `limit` terms, skipping one that overlaps a term already picked."""
    picked: list[str] = []
    for term in terms:
        if not any(term in p or p in term for p in picked):
            picked.append(term)
        if len(picked) == limit:
            break
    return picked
