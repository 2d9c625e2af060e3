"""Per-stream harvesting state (checkpoint, validators, errors) and the history of runs.

Like miniflux keeps a feed's schedule and error state in the feed's row, each harvested
stream ("crossref:issn:0028-0836", "arxiv:listing:cs.AI+cs.CL", …) has one row here; a run
that dies half-way leaves its cursor and window behind, and the next run resumes there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.limits import fitting
from academichub.model.report import RunReport
from academichub.storage import upsert
from academichub.storage.engine import reading
from academichub.storage.schema import source_runs, source_state


@dataclass(frozen=True)
class SourceState:
    """The stored state of one stream."""

    source_key: str
    source: str
    cursor: str | None = None
    window_start: date | None = None
    window_end: date | None = None
    harvested_through: date | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: datetime | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    last_error_kind: str | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_at: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _fitting(value: str | None, column: str) -> str | None:
    """A server's validator if its column holds it (else the next fetch is unconditional)."""
    return fitting(value, source_state.c[column].type.length)


class SourceStateRepo:
    """SQL for stream state and run history."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> SourceState | None:
        """One stream's state, or None before its first run."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(source_state).where(source_state.c.source_key == key)).first()
        return SourceState(**row._mapping) if row else None

    def all(self) -> list[SourceState]:
        """Every stream that has run."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(source_state).order_by(source_state.c.source_key))
            return [SourceState(**r._mapping) for r in rows]

    def _write(self, key: str, source: str, values: dict[str, Any]) -> None:
        with self.engine.begin() as conn:  # one statement: two runs of a stream at once both inserted
            conn.execute(upsert.insert(conn, source_state).values(source_key=key, source=source, **values)
                         .on_conflict_do_update(index_elements=["source_key"], set_=values))

    def checkpoint(self, key: str, source: str, *, cursor: str | None, window_start: date | None,
                   window_end: date | None) -> None:
        """Remember where a run got to, so a failure resumes from here."""
        self._write(key, source, {"cursor": cursor, "window_start": window_start, "window_end": window_end})

    def finish(self, key: str, source: str, report: RunReport, *, started: datetime,
               harvested_through: date | None = None, etag: str | None = None,
               last_modified: str | None = None, next_check_at: datetime | None = None) -> None:
        """Close a run: on success clear the checkpoint and advance; on failure count the error."""
        now = _now()
        values: dict[str, Any] = {"last_run_at": now, "next_check_at": next_check_at}
        if report.errors:
            current = self.get(key)
            values.update(consecutive_errors=(current.consecutive_errors if current else 0) + 1,
                          last_error=report.errors[-1]["message"], last_error_kind=report.errors[-1]["kind"])
        else:
            values.update(cursor=None, window_start=None, window_end=None, consecutive_errors=0,
                          last_error=None, last_error_kind=None, last_success_at=now)
            if harvested_through:
                values["harvested_through"] = harvested_through
            if etag is not None or last_modified is not None:  # a validator too long to keep is not kept:
                values.update(etag=_fitting(etag, "etag"), last_modified=_fitting(last_modified, "last_modified"))
        if report.new:
            values["last_new_at"] = now
        self._write(key, source, values)
        self.record_run(key, source, report, started)

    def record_run(self, key: str, source: str, report: RunReport, started: datetime) -> None:
        """Append a run to the history."""
        with self.engine.begin() as conn:
            conn.execute(sa.insert(source_runs).values(
                source_key=key, source=source, started_at=started, seconds=report.seconds,
                fetched=report.fetched, new=report.new, updated=report.updated, unchanged=report.unchanged,
                merged=report.merged, rejected=report.rejected, rejected_reasons=dict(report.rejected_reasons),
                left_out=report.left_out, left_out_reasons=dict(report.left_out_reasons), errors=report.errors, not_modified=report.not_modified))

    def runs(self, key: str | None = None, *, limit: int = 20) -> list[dict[str, Any]]:
        """Recent runs, newest first (of one stream when `key` is given)."""
        query = sa.select(source_runs).order_by(source_runs.c.id.desc()).limit(limit)
        if key is not None:
            query = query.where(source_runs.c.source_key == key)
        with reading(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
