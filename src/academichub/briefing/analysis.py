"""Across fields and over time: bridging papers, multi-field themes, travelling methods, rising topics."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from academichub.briefing.fields import fields_of
from academichub.briefing.model import BriefPaper, Trend
from academichub.briefing.themes import GENERIC as THEME_GENERIC
from academichub.briefing.themes import stop_words
from academichub.radar.periods import Period
from academichub.storage.store import Store

TREND_SAMPLE = 5000  # papers per period read for topic counts (a random sample beyond that)
MIN_TREND_COUNT = 3
COMPARABLE = 0.25  # the previous period needs this share of the current one's papers to compare with
# A change is shown when a binomial test says it is unlikely under an unchanged share of the
# papers (two-sided), with the Benjamini-Hochberg correction over every phrase tested: hundreds
# are, and at a plain 5% a dozen would "rise" by chance.
FALSE_DISCOVERY = 0.05
# Words of how papers are written, not what they are about: a phrase made only of them
# ("project page", "results show", "state [of the] art", "et al") is never a trend. The themes'
# generic words, and the housekeeping words of an abstract.
GENERIC = THEME_GENERIC | frozenset("""
    project page pages code codes available availability publicly public github dataset datasets et al papers
    proposes presents introduces works result shown demonstrates experiment outperforms outperform achieves
    significantly recently tasks frameworks effectively second wide simple main further
    """.split())
CITED_PER_TREND = 4


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
    if (period.start - date.min).days < length:  # "0001-01-01..2026-12-31": nothing comes before it
        return None
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


def trends(store: Store, period: Period, categories: set[str], *, limit: int = 4,
           papers: list[BriefPaper] | None = None) -> list[Trend]:
    """Topics and categories of the briefing's categories whose paper counts changed significantly
    since the previous period of the same length, largest changes first; a rising topic cites the
    briefing's papers that carry it."""
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
    sizes = (len(now_papers), len(before_papers))
    found += _changes(now_cats, before_cats, "category", limit, sizes)
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
    topics = {t for t in now_counts | before_counts if not set(t.split()) <= GENERIC}
    found += _changes(Counter({t: now_counts[t] for t in topics}), Counter({t: before_counts[t] for t in topics}),
                      "topic", limit, sizes)
    for trend in found:
        if trend.kind == "topic" and trend.rising:
            trend.papers = [p.n for p in papers or [] if contains(f"{p.title} {p.abstract}".lower(), trend.term)
                            ][:CITED_PER_TREND]
    return found


def significant(now: Counter, before: Counter, sizes: tuple[int, int]) -> set[str]:
    """The terms whose split between the two periods is unlikely under the periods' sizes alone."""
    import numpy as np
    from scipy.stats import binom

    terms = [t for t in now | before if now[t] + before[t] >= MIN_TREND_COUNT * 2]
    if not terms:
        return set()
    k = np.array([now[t] for t in terms], dtype=np.int64)
    n = k + np.array([before[t] for t in terms], dtype=np.int64)
    share = sizes[0] / max(1, sum(sizes))
    # Two-sided by doubling the smaller tail (vectorised: thousands of phrases are tested at once).
    pvalues = np.minimum(1.0, 2 * np.minimum(binom.cdf(k, n, share), binom.sf(k - 1, n, share)))
    order = np.argsort(pvalues, kind="stable")
    # Benjamini-Hochberg: the largest rank r with p_(r) <= r/m * q; the r smallest p-values pass.
    ranks = np.nonzero(pvalues[order] <= np.arange(1, len(terms) + 1) / len(terms) * FALSE_DISCOVERY)[0]
    return {terms[i] for i in order[: ranks[-1] + 1]} if len(ranks) else set()


def _changes(now: Counter, before: Counter, kind: str, limit: int, sizes: tuple[int, int]) -> list[Trend]:
    """The largest significant rises and falls in paper counts (scaled to the current period's size,
    so a rise is a larger share of the papers, as Trend.rising says)."""
    terms = significant(now, before, sizes)
    scale = sizes[0] / max(1, sizes[1])
    change = {t: now[t] - before[t] * scale for t in terms}
    rising = sorted((t for t in terms if change[t] > 0 and now[t] >= MIN_TREND_COUNT), key=lambda t: -change[t])
    falling = sorted((t for t in terms if change[t] < 0 and before[t] >= MIN_TREND_COUNT), key=lambda t: change[t])
    picked = _distinct(rising, limit) + _distinct(falling, max(1, limit // 2))
    return [Trend(t, kind, int(now[t]), int(before[t]), now_total=sizes[0], before_total=sizes[1]) for t in picked]


def _distinct(terms: list[str], limit: int) -> list[str]:
    """The first `limit` terms, skipping one that overlaps a term already picked."""
    picked: list[str] = []
    for term in terms:
        if not any(term in p or p in term for p in picked):
            picked.append(term)
        if len(picked) == limit:
            break
    return picked
