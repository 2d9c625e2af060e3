"""The feed: a ranked list of unseen papers shown in batches; "换一批" shows the next batch.

A request is a lookup: the period's candidate ids (kept per process, changes merged in), their rows in the shared
feature matrix, the reader's stored model applied to them, the rules' few matches, and a batch
claimed in one transaction. Every work a batch shows is claimed for the radar under a unique
key, so neither the next batch, a concurrent one, nor a later day's feed repeats a work. The
current batch is re-ranked in place when the radar's subscriptions or the period change (what
it showed stays seen), and a new batch starts by itself once newer announcement days arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from academichub.embedding.base import Embedder
from academichub.errors import NotFoundError
from academichub.model.accounts import Radar, Subscription
from academichub.model.feedback import HIDING
from academichub.model.works import StoredWork, work_text
from academichub.radar import periods
from academichub.radar.authors import full_variants, initials_of
from academichub.radar.known import CardWorks, KnownReaders
from academichub.radar.lru import Lru
from academichub.radar.reader import Reader, ReaderModels
from academichub.radar.rulematch import every_match, match_window
from academichub.radar.seen import SeenSets
from academichub.radar.windows import KeptCurrent, advance_members, advance_window
from academichub.ranking.matrix import FeatureMatrix, Snapshot
from academichub.ranking.ranker import Candidates, Ranked, rank
from academichub.ranking.reasons import Reason, RuleMatches, as_written
from academichub.settings import FeedSettings, RankingSettings
from academichub.storage.feedstate import Batch, BatchItem
from academichub.storage.store import Store

CACHED = 16  # windows and rule matches kept per process (ids and days only: a 50k window is ~1 MB)
CLAIM_ATTEMPTS = 4
SENT_TWICE_SECONDS = 5  # a 换一批 form sent again this soon after a batch was recorded gets that batch


@dataclass(frozen=True)
class Card:
    """One numbered card of the feed."""

    number: int
    work: StoredWork
    score: float
    reasons: list[Reason]
    seen: bool = False
    feedback: frozenset[str] = field(default_factory=frozenset)


def _recent(moment: datetime) -> bool:
    """Whether a batch was recorded within SENT_TWICE_SECONDS (a form sent twice, not a page gone back to)."""
    return datetime.now(UTC) - moment < timedelta(seconds=SENT_TWICE_SECONDS)


@dataclass(frozen=True)
class FeedPage:
    """What the feed shows now: a batch (or the seen-again view) within a period."""

    batch: int | None
    period: periods.Period
    cards: list[Card]
    show_seen: bool = False


@dataclass(eq=False)
class _Waiting:
    """A 换一批 queued for its radar's claim lock, and the batch claimed for it (None: not yet)."""

    period: periods.Period
    batch: Batch | None = None


class _RadarClaims:
    """A radar's claim lock and the 换一批 waiting for it (which the holder may serve at once)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.guard = threading.Lock()
        self.waiting: list[_Waiting] = []


def _due(shown_period: str | None, anchor: date | None, shown_subs: int | None, subs_version: int, spec: str,
         resolved: periods.Period) -> str:
    """What the current batch needs: "new" (none yet, or newer days arrived), "rerank" (chips or
    period changed since it was ranked) or "show"."""
    if shown_period is None or (resolved.end and anchor and anchor < resolved.end and spec == shown_period):
        return "new"
    if shown_period != spec or shown_subs != subs_version:
        return "rerank"
    return "show"


class FeedService:
    """Builds, records and replays a radar's batches."""

    def __init__(self, store: Store, settings: FeedSettings, *, ranking: RankingSettings | None = None,
                 embedder: Embedder | None = None, schedule: Callable[[int], None] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.ranking = ranking or RankingSettings()
        self.embedder = embedder
        tag = embedder.tag if embedder is not None else ""
        self.matrix = FeatureMatrix(store, tag)
        self.readers = ReaderModels(store, tag, schedule)
        self._windows = KeptCurrent(store, CACHED)
        self._window_rows = Lru(CACHED)  # window key -> (its ids, the snapshot, their rows in it)
        self._matches = Lru(CACHED * 4)
        self._bulk = KeptCurrent(store, CACHED * 4)  # every work of a followed category or venue
        self.seen = SeenSets(store.feed_state)
        self.known = KnownReaders(store)
        self.cards = CardWorks(store)
        self._claiming = Lru(1024)  # per radar: its claim lock and the 换一批 queued for it
        self._periods = Lru(CACHED)

    def period(self, spec: str | None) -> periods.Period:
        """The dates a period spec ("day", "week", "2025-04-01..2025-04-07" …) stands for in the store now."""
        return self._period(spec)

    def _period(self, spec: str | None, store_changed: object = None) -> periods.Period:
        """The spec's dates; with the store's newest change known, resolved once per change and process."""
        if store_changed is None:
            return periods.resolve(spec, self.store.works, recent_days=self.settings.recent_days)
        return self._periods.get_or((spec, store_changed), lambda: self._period(spec))

    def _window(self, period: periods.Period, subs: list[Subscription], snapshot: Snapshot,
                watermark: object) -> Candidates:
        """The period's candidates (plus unseen papers of followed authors in the default period)."""
        authors = sorted({k for s in subs if s.kind == "author" for k in full_variants(s.value_key) | initials_of(s.value_key)})
        lookback = (period.spec == periods.DEFAULT and authors and period.end and self.settings.author_lookback_days)
        key = (period.start, period.end, tuple(authors) if lookback else ())

        def build() -> tuple[np.ndarray, np.ndarray]:
            ids, days = self.store.works.window(period.start, period.end)
            if lookback:
                since = periods.days_before(period.end, self.settings.author_lookback_days)
                extra_ids, extra_days = self.store.works.window_of(
                    self.store.works.ids_by_author_keys(authors, since, period.end))
                fresh = ~np.isin(extra_ids, ids)
                ids, days = np.concatenate([ids, extra_ids[fresh]]), np.concatenate([days, extra_days[fresh]])
            return ids, days

        # A followed author's older papers are looked up again; a plain period takes in what changed.
        advance = None if lookback else advance_window(period.start, period.end)
        ids, days = self._windows.get(key, watermark, build, advance)
        # Each id's matrix row, found once per window and matrix (a search over 50,000 ids each time
        # was a fifth of a 换一批's ranking): both are kept objects, the same until they change.
        kept = self._window_rows.find((key,))
        if kept is None or kept[0] is not ids or kept[1] is not snapshot:
            rows = snapshot.rows(ids)
            rows.flags.writeable = False  # shared by every ranking of the window
            kept = (ids, snapshot, rows)
            self._window_rows.keep((key,), kept)
        return Candidates(ids, days, kept[2])

    def ranked(self, radar: Radar, period: periods.Period, exclude: AbstractSet[int], limit: int, *,
               keep_liked: bool = False) -> list[Ranked]:
        """The best `limit` candidates of the period not in `exclude` (nor given feedback already)."""
        subs = self.store.accounts.subscriptions(radar.id)
        snapshot = self.matrix.current() or Snapshot.empty()
        watermark = self.store.works.max_updated_at()  # a window and its rule matches hold until works change
        window = self._window(period, subs, snapshot, watermark)
        known = self.known.of(radar.user_id)
        reader = self.readers.get(radar, snapshot, subs, known)
        rules = self._rule_matches(reader, window, watermark) if reader.rules.any else RuleMatches.empty()
        # Dismissed papers stay hidden; liked and saved ones, and the library's, are known already
        # (and teach the model): recommending them back was "similar to your library paper «itself»".
        judged = {f.work_id for f in known.feedback if not keep_liked or f.action in HIDING}
        if not keep_liked:
            judged |= known.library
        judged.update(self._withdrawn(watermark).tolist())
        return self._as_written(rank(snapshot, window, reader.scores, rules, reader.explainer, self.ranking,
                                     exclude=exclude | judged, limit=limit, follows_anything=reader.rules.any))

    def _as_written(self, ranked: list[Ranked]) -> list[Ranked]:
        """The ranked papers with the shared terms their reasons name as each paper writes them."""
        similar = [r.work_id for r in ranked if any(x.kind == "similar" for x in r.reasons)]
        if not similar:
            return ranked
        works = self.cards.get(similar)
        shown = []
        for r in ranked:
            work = works.get(r.work_id)
            reasons = as_written(r.reasons, work_text(work.paper.title, work.paper.abstract or "")) \
                if work is not None else r.reasons
            shown.append(r if reasons is r.reasons else
                         replace(r, reasons=reasons or [Reason("recent", r.feed_date.isoformat())]))
        return shown

    def _withdrawn(self, watermark: object) -> np.ndarray:
        """Works withdrawn by their authors or arXiv (their comment says so): never recommended,
        as a dismissal is not; kept current like a followed category's works."""
        works = self.store.works
        return self._bulk.get(("withdrawn", ""), watermark, works.withdrawn_ids,
                              advance_members(lambda among: works.withdrawn_ids(among=among)))

    def _rule_matches(self, reader: Reader, window: Candidates, watermark: object) -> RuleMatches:
        """The window's papers that the radar's rules match (cached per window and rules)."""
        if not len(window.ids):
            return RuleMatches.empty()
        start, end = date.fromordinal(int(window.days.min())), date.fromordinal(int(window.days.max()))
        key = (reader.rules_key, start, end, len(window.ids), int(window.ids.sum()), watermark)

        def matches(kind: str, value_key: str) -> np.ndarray:  # shared by every radar following it
            return self._bulk.get((kind, value_key), watermark, lambda: every_match(self.store, kind, value_key),
                                  advance_members(lambda among: every_match(self.store, kind, value_key, among)))

        return self._matches.get_or(key, lambda: match_window(self.store, reader.rules, window.ids, start, end,
                                                              matches=matches))

    def _claim(self, radar: Radar, period: periods.Period, *, replacing: Batch | None = None,
               expect: int | None = None) -> Batch | None:
        """Rank and claim a batch; a race lost to a concurrent request re-ranks with what it claimed."""
        size = self.settings.batch_size
        # One claim per radar at a time in this process: concurrent ones ranked the same papers and
        # all but one re-ranked deeper. Only an optimisation: the claim itself stays correct across
        # processes (and if two threads ever made a radar's claims at once).
        claims = self._claiming.get_or((radar.id,), _RadarClaims)
        if replacing is not None or expect is not None:
            with claims.lock:
                return self._claim_once(radar, period, size, replacing=replacing, expect=expect)
        me = _Waiting(period)
        with claims.guard:
            claims.waiting.append(me)
        with claims.lock:
            if me.batch is not None:  # claimed for it by the 换一批 that held the lock before
                return me.batch
            with claims.guard:  # the other 换一批 of the radar queued meanwhile are served with this one
                group = [me, *(w for w in claims.waiting if w is not me and w.period == period)]
                claims.waiting[:] = [w for w in claims.waiting if w not in group]
            if len(group) > 1:
                for waiting, batch in zip(group, self._claim_group(radar, period, size, len(group)), strict=False):
                    waiting.batch = batch
            # Whoever got nothing claims alone: this request now, the others when they hold the lock.
            with claims.guard:
                claims.waiting[:0] = [w for w in group[1:] if w.batch is None]
            return me.batch or self._claim_once(radar, period, size, replacing=None, expect=None)

    def _claim_group(self, radar: Radar, period: periods.Period, size: int, count: int) -> list[Batch]:
        """Consecutive batches for `count` queued 换一批 from one ranking, recorded in one transaction."""
        depth = size * (2 + 2 * count)
        top = self.ranked(radar, period, self.seen.of(radar.id), depth)
        items = [BatchItem(r.work_id, i, r.score, [x.to_json() for x in r.reasons]) for i, r in enumerate(top)]
        return self.store.feed_state.claim_several(radar.id, items, count=count, size=size, period=period.spec,
                                                    anchor_date=period.end, subs_version=radar.subs_version,
                                                    accept_short=len(top) < depth)

    def _claim_once(self, radar: Radar, period: periods.Period, size: int, *, replacing: Batch | None,
                    expect: int | None) -> Batch | None:
        for attempt in range(CLAIM_ATTEMPTS):
            exclude = self.seen.of(radar.id, besides=replacing.id if replacing else None)
            depth = size * (2 + 2 * attempt)
            top = self.ranked(radar, period, exclude, depth)
            items = [BatchItem(r.work_id, i, r.score, [x.to_json() for x in r.reasons]) for i, r in enumerate(top)]
            batch = self.store.feed_state.claim(
                radar.id, items, size=size, period=period.spec, anchor_date=period.end,
                subs_version=radar.subs_version, replacing=replacing, expect=expect,
                accept_short=expect is not None or attempt == CLAIM_ATTEMPTS - 1 or len(top) < depth)
            if batch is not None or expect is not None:
                return batch
        return None

    def current(self, radar: Radar, *, period: str | None = None, show_seen: bool = False,
                page: int = 1, record: bool = True) -> FeedPage:
        """The batch to show now (creating or re-ranking it as needed), or the seen-again view.

        `record=False`: the newest recorded batch as it is, even if a new one is due (its recording
        was asked of another process, and the store moved on meanwhile); it records only when the
        radar has no batch at all."""
        radar, latest, spec, resolved = self._where(radar, period)
        if show_seen:
            return self._seen_again(radar, resolved, page)
        due = _due(latest.period if latest else None, latest.anchor_date if latest else None,
                   latest.subs_version if latest else None, radar.subs_version, spec, resolved)
        if not record and latest is not None:
            due = "show"
        if due == "new":
            batch = self._claim(radar, resolved, expect=latest.number if latest else 0)
            # None: a concurrent request recorded this batch first; show that one.
            return self._page(radar, batch or self._newest(radar), resolved)
        if due == "rerank":
            latest = self._claim(radar, resolved, replacing=latest) or latest
        return self._page(radar, latest, resolved)

    def page_key(self, radar: Radar, period: str | None = None) -> tuple | None:
        """What `current` would show, as a cache key (one read), or None when it would record a batch first.

        The store's newest change is part of the read but not of the key: it only says when the
        period's dates must be resolved again (a new day changes them and so the key)."""
        head = self.store.feed_state.head(radar.id, radar.user_id)
        spec = periods.check_spec(period or head.period)
        resolved = self._period(spec, head.store_changed or "empty")
        if head.batch_id is None or _due(head.period, head.anchor_date, head.batch_subs_version,
                                          head.subs_version, spec, resolved) != "show":
            return None
        return (radar.id, head, resolved)

    def _where(self, radar: Radar, period: str | None) -> tuple[Radar, Batch | None, str, periods.Period]:
        """The radar as stored now, its newest batch, and the period asked for (else that batch's)."""
        radar = self.store.accounts.get_radar(radar.id)
        latest = self.store.feed_state.latest(radar.id)
        spec = periods.check_spec(period or (latest.period if latest else None))
        return radar, latest, spec, self._period(spec)

    def _newest(self, radar: Radar) -> Batch:
        """The batch a concurrent request recorded first; none left means the radar was deleted
        meanwhile (its batches are forgotten with it), which was an AttributeError and a 500."""
        batch = self.store.feed_state.latest(radar.id)
        if batch is None:
            raise NotFoundError(f"radars: no radar {radar.id}")
        return batch

    def next(self, radar: Radar, *, period: str | None = None) -> FeedPage:
        """换一批: record and return the next batch of unseen papers."""
        return self.next_many(radar, period=period, count=1)[0]

    def next_after(self, radar: Radar, *, after: int, period: str | None = None) -> FeedPage:
        """换一批 from a page that showed batch `after`: the next batch, unless one was recorded after
        it moments ago, which is then this request's too.

        The same form sent twice at once (a double click on a slow answer, without the page's
        script) recorded two batches and showed the second: the first's papers counted as seen
        without ever being on a screen. A page the reader went back to is older than the window:
        its 换一批 is a new batch, not the one they saw next (that would repeat it)."""
        radar, latest, _spec, resolved = self._where(radar, period)
        if latest is not None and latest.number > after and _recent(latest.created_at):
            return self._page(radar, latest, resolved)
        if latest is not None and latest.number != after:
            return self._page(radar, self._claim(radar, resolved), resolved)
        # Sent twice by two processes at once: the claim's own check lets one of them record it.
        batch = self._claim(radar, resolved, expect=latest.number if latest else 0)
        return self._page(radar, batch or self._newest(radar), resolved)

    def next_many(self, radar: Radar, *, period: str | None = None, count: int = 1) -> list[FeedPage]:
        """`count` 换一批 of one radar at once: consecutive batches from one ranking, recorded in one
        transaction (for a caller that queued them itself, as the batch process does per radar)."""
        radar, latest, _spec, resolved = self._where(radar, period)
        batches: list[Batch] = []
        if count > 1:
            with self._claiming.get_or((radar.id,), _RadarClaims).lock:
                batches = self._claim_group(radar, resolved, self.settings.batch_size, count)
        while len(batches) < count:  # one at a time (and whatever a short group left)
            batches.append(self._claim(radar, resolved))
        return [self._page(radar, batch, resolved) for batch in batches]

    def _page(self, radar: Radar, batch: Batch, period: periods.Period) -> FeedPage:
        ids = [i.work_id for i in batch.items]
        works = self.cards.get(ids)
        given = self.known.of(radar.user_id).actions_on(ids)
        cards = [
            Card(i.position + 1, works[i.work_id], i.score, [Reason(**r) for r in i.reasons],
                 feedback=frozenset(given.get(i.work_id, ())))
            for i in batch.items if i.work_id in works
        ]
        return FeedPage(batch.number, period, cards)

    def _seen_again(self, radar: Radar, period: periods.Period, page: int) -> FeedPage:
        seen = self.seen.of(radar.id)
        size = self.settings.batch_size
        start = max(0, page - 1) * size
        ranked = self.ranked(radar, period, set(), start + size, keep_liked=True)[start:]
        works = self.cards.get([r.work_id for r in ranked])
        given = self.known.of(radar.user_id).actions_on([r.work_id for r in ranked])
        cards = [Card(start + i + 1, works[r.work_id], r.score, r.reasons, r.work_id in seen,
                      frozenset(given.get(r.work_id, ())))
                 for i, r in enumerate(ranked) if r.work_id in works]
        return FeedPage(None, period, cards, show_seen=True)
