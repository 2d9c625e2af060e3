"""Stored briefings (kept and listed, reused by input hash) and which radars want one daily."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.storage import upsert
from academichub.storage.engine import reading, write_transaction
from academichub.storage.locks import lock_radar
from academichub.storage.schema import briefing_schedules, briefings


@dataclass(frozen=True)
class StoredBriefing:
    """A briefing row: its identity and the briefing's JSON form."""

    id: int
    user_id: int
    radar_id: int
    period: str
    start: date | None
    end: date | None
    lang: str
    mode: str
    created_at: datetime
    content: dict[str, Any]


@dataclass(frozen=True)
class BriefingSchedule:
    """A radar's wish for a briefing each announcement day."""

    radar_id: int
    lang: str
    period: str
    llm: bool
    last_anchor: date | None


class BriefingRepo:
    """SQL for briefings and their schedules."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, user_id: int, radar_id: int, *, period: str, start: date | None, end: date | None, lang: str,
             mode: str, input_hash: str, content: dict[str, Any]) -> StoredBriefing:
        """Keep a briefing; returns it with its id and time, or the one kept from the same inputs meanwhile."""
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            lock_radar(conn, radar_id)  # writers of the radar's briefings go one at a time from here
            # The same briefing asked for at once (two tabs, a form sent twice) was written once
            # per request: four rows, identical, for four requests.
            kept = conn.execute(_BY_HASH.where(briefings.c.radar_id == radar_id,
                                               briefings.c.input_hash == input_hash)).first()
            if kept is not None:
                return _row(kept)
            new_id = conn.execute(sa.insert(briefings).values(
                user_id=user_id, radar_id=radar_id, period=period, start=start, end=end, lang=lang, mode=mode,
                input_hash=input_hash, content=content, created_at=now).returning(briefings.c.id)).scalar_one()
        return StoredBriefing(new_id, user_id, radar_id, period, start, end, lang, mode, now, content)

    def by_hash(self, radar_id: int, input_hash: str) -> StoredBriefing | None:
        """The newest briefing of a radar made from exactly these inputs."""
        query = _BY_HASH.where(briefings.c.radar_id == radar_id, briefings.c.input_hash == input_hash)
        with reading(self.engine) as conn:
            row = conn.execute(query).first()
        return _row(row) if row else None

    def get(self, user_id: int, briefing_id: int) -> StoredBriefing | None:
        """One of a user's briefings (None for another user's)."""
        query = sa.select(briefings).where(briefings.c.id == briefing_id, briefings.c.user_id == user_id)
        with reading(self.engine) as conn:
            row = conn.execute(query).first()
        return _row(row) if row else None

    def list(self, user_id: int, *, radar_id: int | None = None, limit: int = 50,
             offset: int = 0) -> list[StoredBriefing]:
        """A user's briefings, newest first."""
        query = sa.select(briefings).where(briefings.c.user_id == user_id)
        if radar_id is not None:
            query = query.where(briefings.c.radar_id == radar_id)
        with reading(self.engine) as conn:
            rows = conn.execute(query.order_by(briefings.c.id.desc()).limit(limit).offset(offset)).all()
        return [_row(r) for r in rows]

    def count(self, user_id: int) -> int:
        """How many briefings a user has."""
        with reading(self.engine) as conn:
            return conn.execute(sa.select(sa.func.count()).where(briefings.c.user_id == user_id)).scalar()

    def set_schedule(self, radar_id: int, *, lang: str, period: str = "day", llm: bool = False) -> None:
        """Ask for (or change) a radar's daily briefing."""
        with write_transaction(self.engine) as conn:
            lock_radar(conn, radar_id)
            # One statement: an update then an insert raced between processes.
            conn.execute(upsert.insert(conn, briefing_schedules).values(radar_id=radar_id, lang=lang, period=period, llm=llm)
                         .on_conflict_do_update(index_elements=["radar_id"],
                                                set_={"lang": lang, "period": period, "llm": llm}))

    def clear_schedule(self, radar_id: int) -> bool:
        """Stop a radar's daily briefing; whether it had one."""
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(briefing_schedules).where(briefing_schedules.c.radar_id == radar_id)
                                ).rowcount > 0

    def schedules(self) -> list[BriefingSchedule]:
        """Every radar that asked for a daily briefing."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(briefing_schedules).order_by(briefing_schedules.c.radar_id)).all()
        return [BriefingSchedule(r.radar_id, r.lang, r.period, bool(r.llm), r.last_anchor) for r in rows]

    def mark_done(self, radar_id: int, anchor: date) -> None:
        """Remember the newest announcement day briefed for a radar."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(briefing_schedules).where(briefing_schedules.c.radar_id == radar_id)
                         .values(last_anchor=anchor))


_BY_HASH = sa.select(briefings).order_by(briefings.c.id.desc()).limit(1)  # narrowed by radar and inputs


def _row(row: Any) -> StoredBriefing:
    return StoredBriefing(row.id, row.user_id, row.radar_id, row.period, row.start, row.end, row.lang, row.mode,
                          row.created_at, row.content)
