"""The embedded scheduler: one background thread that runs the daily arXiv fetch.

arXiv announces new submissions at 20:00 US Eastern; the fetch runs at `schedule.arxiv_at` in
`schedule.timezone` every day (on days without announcements the listing is simply empty).
At scale the same job runs on Dramatiq workers instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from academichub.ingest.report import RunReport
from academichub.settings import ScheduleSettings

log = logging.getLogger(__name__)


def next_run(now: datetime, schedule: ScheduleSettings) -> datetime:
    """The first scheduled moment strictly after `now` (an aware datetime)."""
    zone = ZoneInfo(schedule.timezone)
    hours, minutes = (int(part) for part in schedule.arxiv_at.split(":"))
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hours, minutes), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hours, minutes), tzinfo=zone)
    return candidate


class DailyScheduler:
    """Runs `job` at every scheduled moment until stopped."""

    def __init__(self, schedule: ScheduleSettings, job: Callable[[], RunReport],
                 clock: Callable[[], datetime] | None = None) -> None:
        self.schedule = schedule
        self.job = job
        self.clock = clock or (lambda: datetime.now(ZoneInfo(schedule.timezone)))
        self.last_report: RunReport | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="academichub-scheduler", daemon=True)

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def run_once(self) -> RunReport | None:
        """Run the job now; errors are logged, never allowed to kill the scheduler."""
        try:
            self.last_report = self.job()
        except Exception:  # the scheduler must survive any job failure
            log.exception("scheduled fetch failed")
            return None
        for error in self.last_report.errors:
            log.warning("scheduled fetch: %s", error["message"])
        return self.last_report

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self.clock()
            wait = (next_run(now, self.schedule) - now).total_seconds()
            log.info("next arXiv fetch in %.0f s", wait)
            if self._stop.wait(wait):
                return
            self.run_once()
