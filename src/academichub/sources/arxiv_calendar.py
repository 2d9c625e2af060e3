"""arXiv's announcement calendar, so that a quiet day is told apart from a missing one.

arXiv announces Sunday to Thursday at 20:00 US Eastern; its listing feeds are rebuilt just
after midnight and dated the next day, so listings are dated Monday to Friday. It skips some
holidays, which it publishes on https://info.arxiv.org/help/availability.html; known ones are
below and more can be given in the setting `sources.arxiv.holidays`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

# Deferred mailings published by arXiv ("On Deferred Mailings", help/availability: 2023 as read
# before; 2024, 2025 and 2026 from arXiv/arxiv-docs source/help/availability.md, the last version
# of each year's list, read 2026-12-07 at commit 8332d7e).
KNOWN_HOLIDAYS: frozenset[date] = frozenset({
    date(2023, 1, 16), date(2023, 6, 14), date(2023, 6, 19), date(2023, 7, 4), date(2023, 9, 4),
    date(2023, 11, 23), date(2023, 12, 25), date(2023, 12, 27),
    date(2024, 1, 15), date(2024, 5, 22), date(2024, 6, 19), date(2024, 7, 4), date(2024, 9, 2),
    date(2024, 10, 8), date(2024, 11, 28), date(2024, 12, 25), date(2024, 12, 26), date(2024, 12, 31),
    date(2025, 1, 1), date(2025, 1, 20), date(2025, 6, 19), date(2025, 7, 6), date(2025, 9, 1),
    date(2025, 11, 27), date(2025, 12, 25), date(2025, 12, 30),
    date(2026, 1, 1), date(2026, 1, 19), date(2026, 6, 19), date(2026, 7, 3), date(2026, 9, 7),
    date(2026, 11, 26), date(2026, 12, 25), date(2026, 12, 29), date(2026, 12, 31),
})


def expects_listing(day: date, extra_holidays: Iterable[date] = ()) -> bool:
    """Whether a listing dated `day` (Eastern) should bring new papers.

    Weekends never do. Around a holiday arXiv's dates are read both ways (the evening of the
    holiday and the listing of the next day), so neither raises an alarm.
    """
    if day.weekday() >= 5:
        return False
    holidays = KNOWN_HOLIDAYS | set(extra_holidays)
    return day not in holidays and day - timedelta(days=1) not in holidays
