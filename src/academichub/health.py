"""Source health: the last run of every stream, and flags so that no day goes missing silently.

A stream is `failing` while its runs error, `quiet` when it brought nothing new although it
normally would (an arXiv announcement day per arXiv's calendar; for other sources, longer
than their `stale_after_days`), `never` before its first run, and `ok` otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from academichub.settings import Settings
from academichub.sources import registry
from academichub.sources.arxiv_calendar import expects_listing
from academichub.sources.contract import Stream
from academichub.storage.sourcestate import SourceState
from academichub.storage.store import Store
from academichub.worker.scheduler import next_run

EASTERN = ZoneInfo("America/New_York")
# A source that cannot be reached (no network, DNS, timeout) is offline, not broken: shown
# neutrally and tried again at its next check.
OFFLINE_KINDS = ("network", "timeout")
RUN_FIELDS = ("started_at", "seconds", "fetched", "new", "updated", "unchanged", "merged", "rejected",
              "rejected_reasons", "left_out", "left_out_reasons", "errors", "not_modified")


@dataclass
class StreamHealth:
    """What the sources page shows for one stream."""

    stream: str
    source: str
    label: str
    configured: bool
    status: str
    # {"kind": "quiet"|"rejected"|"left-out", "message" (English, for the CLI and the API), and the
    # values a page words it from in the reader's language: "count" and "reasons", "day", or "days"
    # and "expected"}
    flags: list[dict[str, Any]] = field(default_factory=list)
    last_run: dict[str, Any] | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_at: datetime | None = None
    next_check_at: datetime | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    last_error_kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO strings)."""
        data = asdict(self)
        for key, value in list(data.items()):
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        if data["last_run"]:
            data["last_run"]["started_at"] = str(data["last_run"]["started_at"])
        return data


def _flags(stream: Stream, state: SourceState, runs: list[dict[str, Any]], settings: Settings,
           now: datetime) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    last = runs[0] if runs else None
    # Records that could not be used, and those left out as not papers (notices: said, not a fault).
    for kind, counted, said in (("rejected", "rejected", "rejected {n} records"),
                                ("left-out", "left_out", "left out {n} records that are not papers")):
        if last and last[counted]:
            reasons = last[f"{counted}_reasons"]
            flags.append({"kind": kind, "count": last[counted], "reasons": reasons,
                          "message": f"last run {said.format(n=last[counted])} "
                                     f"({', '.join(f'{n} {r}' for r, n in reasons.items())})"})
    successes = [r for r in runs if not r["errors"]]
    if stream.source == "arxiv" and stream.params.get("method") == "listing":
        if successes and successes[0]["new"] == 0:
            day = successes[0]["started_at"].astimezone(EASTERN).date()
            if expects_listing(day, settings.sources.arxiv.holidays):
                flags.append({"kind": "quiet", "day": day.isoformat(),
                              "message": f"no new papers in the listing of {day.isoformat()}, an announcement day"})
        return flags
    stale = timedelta(days=registry.group_of(settings, stream.source).stale_after_days)
    first = min((r["started_at"] for r in runs), default=None)
    last_new = state.last_new_at
    if successes and first and now - first > stale and (last_new is None or now - last_new > stale):
        days = (now - (last_new or first)).days
        flags.append({"kind": "quiet", "days": days, "expected": stale.days,
                      "message": f"nothing new for {days} days (expected within {stale.days})"})
    return flags


def recent_runs(store: Store, limit: int = 30) -> list[dict[str, Any]]:
    """The latest fetch runs of every stream, newest first (the admin page's run history)."""
    return store.sources.runs(limit=limit)


def stream_health(store: Store, settings: Settings, *, now: datetime | None = None) -> list[StreamHealth]:
    """Health of every configured stream and of every stream that has run."""
    now = now or datetime.now(UTC)
    configured = {s.key: s for s in registry.configured(settings)}
    states = {s.source_key: s for s in store.sources.all()}
    result = []
    for key in [*configured, *(k for k in states if k not in configured)]:
        state = states.get(key)
        stream = configured.get(key) or Stream(key, state.source, key, _params_of(key))
        runs = store.sources.runs(key, limit=20)
        if state is None or not runs:
            # A stream that never ran is first fetched at the next daily slot (or when asked).
            first = next_run(now, settings.schedule) if key in configured and settings.schedule.enabled else None
            result.append(StreamHealth(key, stream.source, stream.label, key in configured, "never",
                                       next_check_at=first))
            continue
        flags = _flags(stream, state, runs, settings, now)
        quiet = any(f["kind"] == "quiet" for f in flags)
        status = ("quiet" if quiet else "ok") if not state.consecutive_errors else \
            "offline" if state.last_error_kind in OFFLINE_KINDS else "failing"
        result.append(StreamHealth(
            key, stream.source, stream.label, key in configured, status, flags,
            {name: runs[0][name] for name in RUN_FIELDS}, state.last_run_at, state.last_success_at,
            state.last_new_at, state.next_check_at, state.consecutive_errors, state.last_error,
            state.last_error_kind))
    return result


def _params_of(key: str) -> dict[str, str]:
    """Enough of a stream's parameters, read back from its key, to judge its health."""
    parts = key.split(":", 2)
    return {"method": parts[1]} if parts[0] == "arxiv" and len(parts) > 1 else {}
