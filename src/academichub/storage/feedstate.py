"""The feed's memory: every batch shown per radar and the works in it (what "seen" means)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.storage.schema import batch_items, feed_batches


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


def _item_rows(batch_id: int, items: list[BatchItem]) -> list[dict]:
    return [{"batch_id": batch_id, "work_id": i.work_id, "position": i.position, "score": i.score,
             "reasons": i.reasons} for i in items]


class FeedStateRepo:
    """SQL for batches and seen works."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def latest(self, radar_id: int) -> Batch | None:
        """The radar's newest batch with its items, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(feed_batches).where(feed_batches.c.radar_id == radar_id)
                               .order_by(feed_batches.c.number.desc()).limit(1)).first()
            if row is None:
                return None
            items = conn.execute(sa.select(batch_items).where(batch_items.c.batch_id == row.id)
                                 .order_by(batch_items.c.position))
            batch = Batch(row.id, row.radar_id, row.number, row.period, row.anchor_date,
                          row.subs_version, row.created_at)
            batch.items = [BatchItem(i.work_id, i.position, i.score, list(i.reasons)) for i in items]
        return batch

    def seen(self, radar_id: int, *, before: int | None = None) -> set[int]:
        """Works shown in this radar's batches (only those numbered below `before` if given)."""
        query = (sa.select(batch_items.c.work_id)
                 .join(feed_batches, feed_batches.c.id == batch_items.c.batch_id)
                 .where(feed_batches.c.radar_id == radar_id))
        if before is not None:
            query = query.where(feed_batches.c.number < before)
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def create(self, radar_id: int, *, period: str, anchor_date: date | None, subs_version: int,
               items: list[BatchItem]) -> Batch:
        """Record a new batch, numbered after the radar's newest."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            number = (conn.execute(sa.select(sa.func.max(feed_batches.c.number))
                                   .where(feed_batches.c.radar_id == radar_id)).scalar() or 0) + 1
            batch_id = conn.execute(sa.insert(feed_batches).values(
                radar_id=radar_id, number=number, period=period, anchor_date=anchor_date,
                subs_version=subs_version, created_at=now).returning(feed_batches.c.id)).scalar_one()
            if items:
                conn.execute(sa.insert(batch_items), _item_rows(batch_id, items))
        return Batch(batch_id, radar_id, number, period, anchor_date, subs_version, now, items)

    def replace(self, batch: Batch, *, period: str, anchor_date: date | None, subs_version: int,
                items: list[BatchItem]) -> Batch:
        """Re-rank the current batch in place (its number stays; earlier batches stay seen)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(batch_items).where(batch_items.c.batch_id == batch.id))
            conn.execute(sa.update(feed_batches).where(feed_batches.c.id == batch.id).values(
                period=period, anchor_date=anchor_date, subs_version=subs_version))
            if items:
                conn.execute(sa.insert(batch_items), _item_rows(batch.id, items))
        return Batch(batch.id, batch.radar_id, batch.number, period, anchor_date, subs_version,
                     batch.created_at, items)
