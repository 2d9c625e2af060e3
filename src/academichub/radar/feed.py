"""The feed: a ranked list of unseen papers shown in batches; "换一批" shows the next batch.

Every batch shown is recorded, so neither the next batch nor a later day's feed repeats a
work. The current batch is re-ranked in place when the radar's subscriptions or the period
change (earlier batches stay seen), and a new batch starts by itself once newer announcement
days arrive.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from academichub.embedding.base import Embedder
from academichub.radar import periods
from academichub.radar.authors import full_variants, initials_of
from academichub.radar.reader import ReaderModels
from academichub.ranking.ranker import Ranked, rank
from academichub.ranking.rules import Reason
from academichub.ranking.window import Window
from academichub.settings import FeedSettings, RankingSettings, Settings
from academichub.storage.accounts import Radar, Subscription
from academichub.storage.feedback import HIDING
from academichub.storage.feedstate import Batch, BatchItem
from academichub.storage.store import Store
from academichub.storage.works import StoredWork

WINDOW_CACHE = 4  # fitted windows kept per process (a 50k-paper window is ~150 MB with its vectors)


@dataclass(frozen=True)
class Card:
    """One numbered card of the feed."""

    number: int
    work: StoredWork
    score: float
    reasons: list[Reason]
    seen: bool = False
    feedback: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class FeedPage:
    """What the feed shows now: a batch (or the seen-again view) within a period."""

    batch: int | None
    period: periods.Period
    cards: list[Card]
    show_seen: bool = False


def reason_text(reason: Reason, _: Callable[[str], str]) -> str:
    """A reason as the card prints it, in the reader's language."""
    templates = {
        "author": _("Author: {value}"),
        "author?": _("Is this {value}?"),
        "keyword": _("Keyword: {value}"),
        "venue": _("Venue: {value}"),
        "category": "{value}",
        "similar": _("Related: {value}"),
        "recent": _("New on {value}"),
    }
    if reason.kind == "similar_to":
        template = {"save": _("Similar to your saved paper «{value}»"),
                    "like": _("Similar to a paper you liked «{value}»")}.get(
            reason.detail, _("Similar to your library paper «{value}»"))
    else:
        template = templates.get(reason.kind, "{value}")
    text = template.format(value=reason.value)
    if reason.detail and reason.kind in ("author", "author?"):
        text += f" ({reason.detail})"
    return text


def card_json(card: Card, _: Callable[[str], str]) -> dict[str, Any]:
    """The API form of a card (the feed contract's item)."""
    paper = card.work.paper
    return {
        "n": card.number,
        "id": card.work.public_id,
        "title": paper.title,
        "authors": [a.name for a in paper.authors],
        "source_label": card.work.label,
        "date": card.work.feed_date.isoformat(),
        "abstract": paper.abstract,
        "reasons": [reason_text(r, _) for r in card.reasons],
        "reason_codes": [r.to_json() for r in card.reasons],
        "categories": paper.categories,
        "announce_type": paper.announce_type,
        "links": paper.links,
        "score": round(card.score, 4),
        "seen": card.seen,
        "feedback": sorted(card.feedback),
    }


def page_json(page: FeedPage, _: Callable[[str], str]) -> dict[str, Any]:
    """The feed contract: {"batch", "period", "items": [...]}."""
    return {"batch": page.batch, "period": page.period.to_json(), "show_seen": page.show_seen,
            "items": [card_json(c, _) for c in page.cards]}


class FeedService:
    """Builds, records and replays a radar's batches."""

    def __init__(self, store: Store, settings: FeedSettings, *, ranking: RankingSettings | None = None,
                 embedder: Embedder | None = None) -> None:
        self.store = store
        self.settings = settings
        self.ranking = ranking or RankingSettings()
        self.embedder = embedder
        self.readers = ReaderModels(store, embedder, self.ranking)
        self._windows: OrderedDict[tuple, Window] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, store: Store, settings: Settings, *, embedder: Embedder | None = None) -> FeedService:
        """The feed service of these settings (the configured embedder unless one is given)."""
        from academichub.embedding.base import embedder_or_none

        return cls(store, settings.feed, ranking=settings.ranking,
                   embedder=embedder if embedder is not None else embedder_or_none(settings.embedding))

    def _period(self, spec: str | None) -> periods.Period:
        return periods.resolve(spec, self.store.works, recent_days=self.settings.recent_days)

    def _candidate_ids(self, period: periods.Period, subs: list[Subscription]) -> list[int]:
        works = self.store.works
        ids = set(works.ids_in_window(period.start, period.end))
        authors = {k for s in subs if s.kind == "author" for k in full_variants(s.value_key) | initials_of(s.value_key)}
        if period.spec == periods.DEFAULT and authors and period.end and self.settings.author_lookback_days:
            since = period.end - timedelta(days=self.settings.author_lookback_days)
            ids |= set(works.ids_by_author_keys(authors, since, period.end))
        return sorted(ids)

    def _window(self, ids: list[int]) -> tuple[Window, tuple]:
        """The window of these works and its cache key, reused while the store is unchanged."""
        tag = self.embedder.tag if self.embedder is not None else ""
        vectors = self.store.vectors.version(tag) if tag else (0, 0)  # a window built before embedding is stale
        key = (hash(tuple(ids)), len(ids), self.store.works.max_updated_at(), tag, vectors)
        with self._lock:
            if key in self._windows:
                self._windows.move_to_end(key)
                return self._windows[key], key
        window = Window.cached(self.store, self.embedder, ids, background=self.ranking.negatives, key=key)
        with self._lock:
            self._windows[key] = window
            while len(self._windows) > WINDOW_CACHE:
                self._windows.popitem(last=False)
        return window, key

    def ranked(self, radar: Radar, period: periods.Period, exclude: set[int], limit: int, *,
               keep_liked: bool = False) -> list[Ranked]:
        """The best `limit` candidates of the period not in `exclude` (nor given feedback already)."""
        subs = self.store.accounts.subscriptions(radar.id)
        window, key = self._window(self._candidate_ids(period, subs))
        reader = self.readers.get(radar, window, key, period.end or date.today())
        # Dismissed papers stay hidden; liked and saved ones are known already (and teach the model).
        judged = {f.work_id for f in self.store.feedback.all(radar.user_id)
                  if not keep_liked or f.action in HIDING}
        return rank(window, reader.rules, reader.scored, self.ranking, exclude=exclude | judged, limit=limit)

    def _items(self, radar: Radar, period: periods.Period, exclude: set[int]) -> list[BatchItem]:
        top = self.ranked(radar, period, exclude, self.settings.batch_size)
        return [BatchItem(r.work_id, i, r.score, [x.to_json() for x in r.reasons]) for i, r in enumerate(top)]

    def current(self, radar: Radar, *, period: str | None = None, show_seen: bool = False,
                page: int = 1) -> FeedPage:
        """The batch to show now (creating or re-ranking it as needed), or the seen-again view."""
        radar = self.store.accounts.get_radar(radar.id)
        latest = self.store.feed_state.latest(radar.id)
        spec = periods.check_spec(period or (latest.period if latest else None))
        resolved = self._period(spec)
        if show_seen:
            return self._seen_again(radar, resolved, page)
        if latest is None or (resolved.end and latest.anchor_date and latest.anchor_date < resolved.end
                              and spec == latest.period):
            return self._new_batch(radar, resolved)
        if latest.period != spec or latest.subs_version != radar.subs_version:
            exclude = self.store.feed_state.seen(radar.id, before=latest.number)
            latest = self.store.feed_state.replace(
                latest, period=spec, anchor_date=resolved.end, subs_version=radar.subs_version,
                items=self._items(radar, resolved, exclude))
        return self._page(radar, latest, resolved)

    def next(self, radar: Radar, *, period: str | None = None) -> FeedPage:
        """换一批: record and return the next batch of unseen papers."""
        radar = self.store.accounts.get_radar(radar.id)
        latest = self.store.feed_state.latest(radar.id)
        spec = periods.check_spec(period or (latest.period if latest else None))
        return self._new_batch(radar, self._period(spec))

    def _new_batch(self, radar: Radar, period: periods.Period) -> FeedPage:
        seen = self.store.feed_state.seen(radar.id)
        items = self._items(radar, period, seen)
        for _attempt in range(3):
            try:
                batch = self.store.feed_state.create(
                    radar.id, period=period.spec, anchor_date=period.end,
                    subs_version=radar.subs_version, items=items)
                return self._page(radar, batch, period)
            except sa.exc.IntegrityError:  # a concurrent request took this batch number
                continue
        raise RuntimeError("feed: could not record a new batch")

    def _page(self, radar: Radar, batch: Batch, period: periods.Period) -> FeedPage:
        ids = [i.work_id for i in batch.items]
        works = {w.id: w for w in self.store.works.get_many(ids)}
        given = self.store.feedback.on(radar.user_id, ids)
        cards = [
            Card(i.position + 1, works[i.work_id], i.score, [Reason(**r) for r in i.reasons],
                 feedback=frozenset(given.get(i.work_id, ())))
            for i in batch.items if i.work_id in works
        ]
        return FeedPage(batch.number, period, cards)

    def _seen_again(self, radar: Radar, period: periods.Period, page: int) -> FeedPage:
        seen = self.store.feed_state.seen(radar.id)
        size = self.settings.batch_size
        start = max(0, page - 1) * size
        ranked = self.ranked(radar, period, set(), start + size, keep_liked=True)[start:]
        works = {w.id: w for w in self.store.works.get_many([r.work_id for r in ranked])}
        given = self.store.feedback.on(radar.user_id, [r.work_id for r in ranked])
        cards = [Card(start + i + 1, works[r.work_id], r.score, r.reasons, r.work_id in seen,
                      frozenset(given.get(r.work_id, ())))
                 for i, r in enumerate(ranked) if r.work_id in works]
        return FeedPage(None, period, cards, show_seen=True)
