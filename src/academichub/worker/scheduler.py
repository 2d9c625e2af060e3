"""The embedded scheduler: one background thread that runs every enabled stream on its cadence.

arXiv's daily listing runs at `schedule.arxiv_at` in `schedule.timezone` (after the 20:00 US
Eastern announcement, once the feeds are rebuilt); every other stream runs `cadence_hours`
after its last run, its next time being kept in the stream's database row. At scale the same
jobs run on Dramatiq workers instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from academichub.model.report import RunReport
from academichub.settings import ScheduleSettings
from academichub.storage.sourcestate import SourceState

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0


def next_run(now: datetime, schedule: ScheduleSettings) -> datetime:
    """The first daily arXiv moment strictly after `now` (an aware datetime)."""
    zone = ZoneInfo(schedule.timezone)
    hours, minutes = (int(part) for part in schedule.arxiv_at.split(":"))
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hours, minutes), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hours, minutes), tzinfo=zone)
    return candidate


class Scheduler:
    """Runs due streams; `streams`, `state_of` and `run` are injected so tests need no network."""

    def __init__(self, schedule: ScheduleSettings, streams: Callable[[], list], state_of: Callable[[str], SourceState | None],
                 run: Callable[..., RunReport | None], clock: Callable[[], datetime] | None = None,
                 tick: float = TICK_SECONDS, waiting: Callable[[object, SourceState | None], bool] | None = None,
                 started: datetime | None = None) -> None:
        self.schedule = schedule
        self.streams, self.state_of, self.run = streams, state_of, run
        self.waiting = waiting  # with a queue: a stream whose fetch job is out is not due again yet
        self.clock = clock or (lambda: datetime.now(UTC))
        # A stream that never ran waits for the first daily slot after start: a fresh install
        # (the bundled sample, maybe offline) fetches nothing until the reader asks or the slot comes.
        self.first_slot = next_run(started or self.clock(), schedule)
        self.tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="academichub-scheduler", daemon=True)

    def due(self, now: datetime) -> list:
        """Streams whose next check has come (first runs: at the first daily slot after start)."""
        due = []
        for stream in self.streams():
            state = self.state_of(stream.key)
            if self.waiting is not None and self.waiting(stream, state):
                continue
            when = state.next_check_at if state and state.next_check_at else self.first_slot
            if when <= now:
                due.append(stream)
        return due

    def run_due(self) -> list[tuple[object, RunReport]]:
        """Run what is due now; a failing stream is logged and does not stop the others."""
        results = []
        for stream in self.due(self.clock()):
            try:
                report = self.run(stream)
            except Exception:  # the scheduler must survive any job failure
                log.exception("scheduled run of %s failed", stream.key)
                continue
            if report is None:  # sent to the queue: a worker runs it and records the stream's state
                continue
            for error in report.errors:
                log.warning("%s: %s", stream.key, error["message"])
            results.append((stream, report))
        return results

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            if self._stop.wait(self.tick):
                return


class QueuedFetches:
    """The scheduler's `run` when jobs go to a queue: send the fetch, then wait for its result.

    A stream stays "waiting" from the moment its job is sent until a worker has recorded a new
    state for it (its next check moved), or an hour passed (the job died: send it again), so a
    scheduler ticking every minute never queues the same fetch twice.
    """

    WAIT_SECONDS = 3600.0

    def __init__(self, send: Callable[[str], None], state_of: Callable[[str], SourceState | None],
                 clock: Callable[[], float] = monotonic) -> None:
        self.send, self.state_of, self.clock = send, state_of, clock
        self._sent: dict[str, tuple[datetime | None, float]] = {}

    def __call__(self, stream) -> None:  # type: ignore[no-untyped-def]
        state = self.state_of(stream.key)
        self.send(stream.key)
        # Counted as out only once sent: a send that failed (Redis down) is tried at the next
        # tick, not an hour later.
        self._sent[stream.key] = (state.next_check_at if state else None, self.clock())

    def waiting(self, stream, state: SourceState | None) -> bool:  # type: ignore[no-untyped-def]
        """Whether this stream's fetch job is still out."""
        sent = self._sent.get(stream.key)
        if sent is None:
            return False
        before, at = sent
        if (state.next_check_at if state else None) != before or self.clock() - at > self.WAIT_SECONDS:
            del self._sent[stream.key]
            return False
        return True
