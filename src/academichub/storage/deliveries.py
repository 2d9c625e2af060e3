"""SQL for deliveries: where a radar's digest goes (e-mail, Feishu, DingTalk, WeCom, Slack) and when it went."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.errors import NotFoundError
from academichub.model.delivery import Delivery
from academichub.storage import upsert
from academichub.storage.engine import reading, write_transaction
from academichub.storage.locks import lock_radar, refuse_at_limit
from academichub.storage.schema import deliveries, radars

MAX_DELIVERIES = 20  # a radar's digests and webhooks


def _delivery(row: sa.Row) -> Delivery:
    return Delivery(row.id, row.radar_id, row.channel, row.target, row.secret, row.cadence, row.lang, bool(row.active),
                    row.last_anchor, row.last_sent_at, row.last_error)


class DeliveryRepo:
    """Deliveries and their outcomes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, radar_id: int, channel: str, target: str, *, secret: str | None = None, cadence: str = "daily",
            lang: str = "zh") -> Delivery:
        """An active delivery; the radar's delivery to the same target, if there is one, takes the new
        settings (what it last sent is kept, so adding it again sends nothing twice)."""
        settings = {"secret": secret or None, "cadence": cadence, "lang": lang, "active": True}
        with write_transaction(self.engine) as conn:
            lock_radar(conn, radar_id)
            # The scheduler sends every one after each announcement day; the same target again is an update.
            refuse_at_limit(conn, deliveries, MAX_DELIVERIES, f"deliveries: a radar has at most {MAX_DELIVERIES} "
                            "digests and webhooks; remove one first", deliveries.c.radar_id == radar_id,
                            sa.not_(sa.and_(deliveries.c.channel == channel, deliveries.c.target == target)))
            statement = upsert.insert(conn, deliveries).values(radar_id=radar_id, channel=channel, target=target,
                                                               created_at=datetime.now(UTC), **settings)
            # The row as written, not read again after the commit: the radar may be deleted by then.
            return _delivery(conn.execute(statement.on_conflict_do_update(
                index_elements=["radar_id", "channel", "target"], set_=settings)
                .returning(*deliveries.c)).one())

    def get(self, delivery_id: int) -> Delivery | None:
        """A delivery by id."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).first()
        return _delivery(row) if row else None

    def of_user(self, user_id: int) -> list[Delivery]:
        """Every delivery of a user's radars."""
        query = (sa.select(deliveries).join(radars, radars.c.id == deliveries.c.radar_id)
                 .where(radars.c.user_id == user_id).order_by(deliveries.c.id))
        with reading(self.engine) as conn:
            return [_delivery(r) for r in conn.execute(query)]

    def of(self, user_id: int, delivery_id: int) -> Delivery:
        """One of a user's deliveries; anyone else's is "not found"."""
        query = (sa.select(deliveries).join(radars, radars.c.id == deliveries.c.radar_id)
                 .where(deliveries.c.id == delivery_id, radars.c.user_id == user_id))
        with reading(self.engine) as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFoundError(f"deliveries: no delivery {delivery_id}")
        return _delivery(row)

    def active(self) -> list[Delivery]:
        """Every active delivery (for the scheduler)."""
        with reading(self.engine) as conn:
            return [_delivery(r) for r in conn.execute(sa.select(deliveries).where(deliveries.c.active)
                                                       .order_by(deliveries.c.id))]

    def remove(self, delivery_id: int) -> bool:
        """Delete a delivery; whether this call deleted it (of two at once, one did)."""
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(deliveries).where(deliveries.c.id == delivery_id)).rowcount > 0

    def set_active(self, delivery_id: int, active: bool) -> None:
        """Switch a delivery on or off (an unsubscribe link switches it off)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(deliveries).where(deliveries.c.id == delivery_id).values(active=active))

    def sent(self, delivery_id: int, anchor: date | None) -> None:
        """Record a successful delivery."""
        values = {"last_sent_at": datetime.now(UTC), "last_error": None}
        if anchor is not None:
            values["last_anchor"] = anchor
        with self.engine.begin() as conn:
            conn.execute(sa.update(deliveries).where(deliveries.c.id == delivery_id).values(**values))

    def failed(self, delivery_id: int, error: str) -> None:
        """Record why a delivery failed (it is tried again on the next run)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(deliveries).where(deliveries.c.id == delivery_id).values(last_error=error[:2000]))
