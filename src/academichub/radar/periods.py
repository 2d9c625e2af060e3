"""Feed periods, anchored on the newest announcement day in the store rather than on today.

A sample or an archive that is months old still yields a full feed: "recent" is the last few
announcement days present, "week" the seven days ending on the newest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from academichub.errors import InputError
from academichub.storage.works import WorkRepo

NAMED = ("recent", "latest", "week", "month", "all")
DEFAULT = "recent"


@dataclass(frozen=True)
class Period:
    """A resolved period: its spec as the user wrote it and its inclusive dates."""

    spec: str
    start: date | None
    end: date | None

    def to_json(self) -> dict[str, str | None]:
        """The period as the API shows it."""
        return {"spec": self.spec, "from": _iso(self.start), "to": _iso(self.end)}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(text: str, spec: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"feed: bad date {text!r} in period {spec!r} (use YYYY-MM-DD)", problem="date") from None


def check_spec(spec: str | None) -> str:
    """Validate a period spec: one of recent/latest/week/month/all, or FROM..TO."""
    spec = (spec or DEFAULT).strip().lower()
    if spec in NAMED:
        return spec
    if ".." in spec:
        first, _, last = spec.partition("..")
        start, end = _date(first, spec), _date(last, spec)
        if start is None and end is None:
            raise InputError("feed: a date range needs at least one end, e.g. 2025-09-01..2025-09-07",
                             problem="range-empty")
        if start and end and start > end:
            raise InputError(f"feed: period {spec!r} ends before it starts", problem="range-order")
        return spec
    raise InputError(f"feed: unknown period {spec!r}; use {', '.join(NAMED)} or FROM..TO", problem="period")


def days_before(day: date, days: int) -> date:
    """`day` minus `days`, or the calendar's first day where that would be before it (a store whose
    newest paper is dated in year 1 made "this week" an OverflowError)."""
    return day - timedelta(days=days) if (day - date.min).days >= days else date.min


def resolve(spec: str | None, works: WorkRepo, *, recent_days: int) -> Period:
    """Turn a spec into dates, using the announcement days present in the store."""
    spec = check_spec(spec)
    if spec == "all":
        return Period(spec, None, None)
    if ".." in spec:
        first, _, last = spec.partition("..")
        return Period(spec, _date(first, spec), _date(last, spec))
    days = works.latest_feed_dates(recent_days if spec == "recent" else 1)
    if not days:
        return Period(spec, None, None)
    newest = days[0]
    start = {
        "recent": days[-1],
        "latest": newest,
        "week": days_before(newest, 6),
        "month": days_before(newest, 29),
    }[spec]
    return Period(spec, start, newest)
