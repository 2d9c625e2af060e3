"""The feed's memory: every batch shown per radar, the works in it, and the works each radar has claimed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from academichub.errors import NotFoundError
from academichub.storage import bulk
from academichub.storage.board import WORKS_ADDED, WORKS_CHANGED, BoardMemo, batch_slot, radar_slot, user_slot
from academichub.storage.engine import board_of, reading, touch, write_transaction
from academichub.storage.locks import lock_radar
from academichub.storage.schema import batch_items, feed_batches, feedback, radars, seen_works, works


@dataclass(frozen=True)
class BatchItem:
    """One card of a batch."""

    work_id: int
    position: int
    score: float
    reasons: list[dict]


@dataclass
class Batch:
    """A batch of cards shown to a radar."""

    id: int
    radar_id: int
    number: int
    period: str
    anchor_date: date | None
    subs_version: int
    created_at: datetime
    items: list[BatchItem] = field(default_factory=list)


@dataclass(frozen=True)
class FeedHead:
    """Everything the current batch's page depends on, read in one statement (a cache key)."""

    subs_version: int
    batch_id: int | None
    number: int
    revision: int
    period: str | None
    anchor_date: date | None
    batch_subs_version: int | None
    feedback: tuple[int, int]  # (count, newest id) of the reader's feedback: rows are only added or deleted
    works_updated: datetime | None  # newest change to a work the batch shows
    store_changed: datetime | None = field(default=None, compare=False)  # newest change to any work


def _head_statement() -> sa.Select:
    # Built once with bound parameters: constructing it per request cost 15x its execution.
    newest = (sa.select(sa.func.max(feed_batches.c.number))
              .where(feed_batches.c.radar_id == sa.bindparam("radar")).scalar_subquery())
    given = sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(feedback.c.id), 0)).where(
        feedback.c.user_id == sa.bindparam("user")).subquery()
    shown = (sa.select(sa.func.max(works.c.updated_at))
             .select_from(batch_items.join(works, works.c.id == batch_items.c.work_id))
             .where(batch_items.c.batch_id == feed_batches.c.id).scalar_subquery())
    return (sa.select(radars.c.subs_version, feed_batches.c.id, feed_batches.c.number, feed_batches.c.revision,
                      feed_batches.c.period, feed_batches.c.anchor_date, feed_batches.c.subs_version, *given.c, shown,
                      sa.select(sa.func.max(works.c.updated_at)).scalar_subquery())
            .select_from(radars.outerjoin(feed_batches, sa.and_(feed_batches.c.radar_id == radars.c.id,
                                                                feed_batches.c.number == newest)))
            .join(given, sa.true()).where(radars.c.id == sa.bindparam("radar")))


_HEAD = _head_statement()
_SEEN_SINCE = sa.select(seen_works.c.work_id, seen_works.c.batch_id).where(
    seen_works.c.radar_id == sa.bindparam("radar"), seen_works.c.batch_id >= sa.bindparam("batch"))


_ITEM_COLUMNS = ("batch_id", "work_id", "position", "score", "reasons")


def _item_rows(batch_id: int, items: list[BatchItem]) -> list[tuple]:
    return [(batch_id, i.work_id, i.position, i.score, i.reasons) for i in items]


class FeedStateRepo:
    """SQL for batches and seen works."""

    def __init__(self, engine: Engine, store_engine: Engine | None = None) -> None:
        """`engine`: the feed's memory (storage.feeddb), whose statements may read the store's
        tables too; `store_engine`: the store's, whose change board announces works, radars and
        feedback (the same engine on PostgreSQL)."""
        self.engine = engine
        self._boards = (board_of(engine), board_of(store_engine or engine))
        self._heads = BoardMemo()
        self._batches = BoardMemo()  # a radar's newest batch, and its claims since a batch

    def latest(self, radar_id: int) -> Batch | None:
        """The radar's newest batch with its items, or None (from memory while the change
        board says no batch of the radar was recorded or re-ranked; not to be changed by the caller)."""
        return self._batches.get(("latest", radar_id), ((self._boards[0], (batch_slot(radar_id),)),),
                                 lambda: self._read_latest(radar_id))

    def _read_latest(self, radar_id: int) -> Batch | None:
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(feed_batches).where(feed_batches.c.radar_id == radar_id)
                               .order_by(feed_batches.c.number.desc()).limit(1)).first()
            if row is None:
                return None
            items = conn.execute(sa.select(batch_items).where(batch_items.c.batch_id == row.id)
                                 .order_by(batch_items.c.position))
            batch = Batch(row.id, row.radar_id, row.number, row.period, row.anchor_date, row.subs_version,
                          row.created_at)
            batch.items = [BatchItem(i.work_id, i.position, i.score, list(i.reasons)) for i in items]
        return batch

    def head(self, radar_id: int, user_id: int) -> FeedHead:
        """The radar's newest batch, its revision and what its page shows besides (one indexed
        statement; none while the change board says nothing in it changed)."""
        feed, store = self._boards
        if feed is None or store is None:
            return self._read_head(radar_id, user_id)
        # Works added change none of it but what the period resolves to: the board's count of
        # added and changed works stands for the store's newest change (`store_changed` is only a token).
        works = store.marks((WORKS_ADDED, WORKS_CHANGED))
        head = self._heads.get((radar_id, user_id), (
            (feed, (batch_slot(radar_id),)),  # its batches
            (store, (radar_slot(radar_id), user_slot(user_id), WORKS_CHANGED))),  # chips, feedback, shown works
            lambda: self._read_head(radar_id, user_id))
        return replace(head, store_changed=works)

    def _read_head(self, radar_id: int, user_id: int) -> FeedHead:
        with reading(self.engine) as conn:
            row = conn.execute(_HEAD, {"radar": radar_id, "user": user_id}).first()
        if row is None:  # deleted since the request found it (it answered 500)
            raise NotFoundError(f"radars: no radar {radar_id}")
        return FeedHead(row[0], row[1], row[2] or 0, row[3] or 0, row[4], row[5], row[6], (row[7], row[8]), row[9],
                        row[10])

    def seen_since(self, radar_id: int, batch_id: int) -> list[tuple[int, int]]:
        """(work, batch) claims of the radar by batch `batch_id` or later (claims are never released)."""
        def read() -> tuple[tuple[int, int], ...]:
            with reading(self.engine) as conn:
                return tuple((w, b) for w, b in conn.execute(_SEEN_SINCE, {"radar": radar_id, "batch": batch_id}))
        return list(self._batches.get(("seen", radar_id, batch_id), ((self._boards[0], (batch_slot(radar_id),)),),
                                      read))

    def showing(self, batch_id: int) -> list[int]:
        """The works batch `batch_id` shows."""
        with reading(self.engine) as conn:
            return list(conn.execute(sa.select(batch_items.c.work_id).where(batch_items.c.batch_id == batch_id))
                        .scalars())

    def forget(self, radar_id: int) -> None:
        """Delete a radar's batches and claims (before the radar itself: on SQLite they are in
        another file, where no foreign key cascades)."""
        with write_transaction(self.engine) as conn:
            touch(conn, batch_slot(radar_id))
            batches = sa.select(feed_batches.c.id).where(feed_batches.c.radar_id == radar_id)
            conn.execute(sa.delete(batch_items).where(batch_items.c.batch_id.in_(batches)))
            conn.execute(sa.delete(seen_works).where(seen_works.c.radar_id == radar_id))
            conn.execute(sa.delete(feed_batches).where(feed_batches.c.radar_id == radar_id))

    def claim(self, radar_id: int, candidates: Sequence[BatchItem], *, size: int, period: str,
              anchor_date: date | None, subs_version: int, replacing: Batch | None = None,
              expect: int | None = None, accept_short: bool = True) -> Batch | None:
        """Record a batch of the first `size` candidates no batch of the radar has claimed, atomically.

        One transaction under the radar's write lock: it numbers the batch, skips candidates that
        a concurrent request claimed after they were ranked, and claims the rest under the primary
        key (radar, work), so no paper is ever shown twice. With `replacing`, the current batch is
        re-ranked in place: its papers stay claimed (seen) and may stay in it. With `expect`, the
        batch is recorded only if the radar's newest batch is still number `expect` (two first
        requests make one batch). Returns None when that did not hold, or when fewer than `size`
        candidates were free and `accept_short` is false (the caller re-ranks).
        """
        with write_transaction(self.engine) as conn:
            lock_radar(conn, radar_id)
            touch(conn, batch_slot(radar_id))
            return self._claim_in(conn, radar_id, candidates, size=size, period=period, anchor_date=anchor_date,
                                  subs_version=subs_version, replacing=replacing, expect=expect,
                                  accept_short=accept_short)

    def claim_several(self, radar_id: int, candidates: Sequence[BatchItem], *, count: int, size: int, period: str,
                      anchor_date: date | None, subs_version: int, accept_short: bool) -> list[Batch]:
        """Record up to `count` consecutive batches from one ranking, in one transaction (as `claim`
        would one after another); stops at the first that would be short unless `accept_short`."""
        recorded: list[Batch] = []
        with write_transaction(self.engine) as conn:
            lock_radar(conn, radar_id)
            touch(conn, batch_slot(radar_id))
            left = list(candidates)
            for _ in range(count):
                batch = self._claim_in(conn, radar_id, left, size=size, period=period, anchor_date=anchor_date,
                                       subs_version=subs_version, accept_short=accept_short)
                if batch is None or not batch.items:
                    break
                recorded.append(batch)
                shown = {i.work_id for i in batch.items}
                left = [c for c in left if c.work_id not in shown]
        return recorded

    def _claim_in(self, conn: Connection, radar_id: int, candidates: Sequence[BatchItem], *, size: int,
                  period: str, anchor_date: date | None, subs_version: int, replacing: Batch | None = None,
                  expect: int | None = None, accept_short: bool = True) -> Batch | None:
        """`claim`'s work inside the caller's transaction (which holds the radar's write lock)."""
        now = datetime.now(UTC)
        latest = conn.execute(sa.select(feed_batches.c.id, feed_batches.c.number)
                              .where(feed_batches.c.radar_id == radar_id)
                              .order_by(feed_batches.c.number.desc()).limit(1)).first()
        if expect is not None and (latest.number if latest else 0) != expect:
            return None
        if replacing is not None and (latest is None or latest.id != replacing.id):
            replacing = None  # a newer batch was recorded meanwhile: this becomes the next one
        ids = [c.work_id for c in candidates]
        taken: set[int] = set()
        for start in range(0, len(ids), 500):
            taken.update(conn.execute(sa.select(seen_works.c.work_id).where(
                seen_works.c.radar_id == radar_id, seen_works.c.work_id.in_(ids[start:start + 500]))).scalars())
        showing: set[int] = set()
        if replacing is not None:
            showing = set(conn.execute(sa.select(batch_items.c.work_id)
                                       .where(batch_items.c.batch_id == replacing.id)).scalars())
        free = [c for c in candidates if c.work_id not in taken or c.work_id in showing][:size]
        if len(free) < size and not accept_short:
            return None
        items = [BatchItem(c.work_id, n, c.score, c.reasons) for n, c in enumerate(free)]
        if replacing is not None:
            batch_id, number, created = replacing.id, replacing.number, replacing.created_at
            conn.execute(sa.delete(batch_items).where(batch_items.c.batch_id == batch_id))
            conn.execute(sa.update(feed_batches).where(feed_batches.c.id == batch_id).values(
                period=period, anchor_date=anchor_date, subs_version=subs_version,
                revision=feed_batches.c.revision + 1))
        else:
            number, created = (latest.number if latest else 0) + 1, now
            batch_id = conn.execute(sa.insert(feed_batches).values(
                radar_id=radar_id, number=number, period=period, anchor_date=anchor_date,
                subs_version=subs_version, created_at=now).returning(feed_batches.c.id)).scalar_one()
        # Multi-row statements: the write lock is held while they run, and an executemany gives
        # the GIL up (and waits to get it back) at every row.
        bulk.insert(conn, batch_items, _ITEM_COLUMNS, _item_rows(batch_id, items))
        bulk.insert(conn, seen_works, ("radar_id", "work_id", "batch_id"),
                    [(radar_id, i.work_id, batch_id) for i in items if i.work_id not in taken])
        return Batch(batch_id, radar_id, number, period, anchor_date, subs_version, created, items)
