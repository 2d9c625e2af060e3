"""Running a stream: choose its window, resume a checkpoint, store page by page, account the run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx

from academichub.errors import SourceError
from academichub.ingest.pipeline import ingest
from academichub.model.report import RunReport
from academichub.settings import Settings
from academichub.sources.contract import Request, Stream, Window
from academichub.sources.http import HttpClient
from academichub.sources.registry import check_window, fetcher, group_of
from academichub.storage.sourcestate import SourceState
from academichub.storage.store import Store
from academichub.worker.scheduler import next_run

Progress = Callable[[int], None]
log = logging.getLogger(__name__)
OVERLAP_DAYS = 1  # re-read the last harvested day: late records arrive, and storing is idempotent


class Harvester:
    """Runs streams through one polite HTTP client and records what each run did."""

    def __init__(self, store: Store, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 today: Callable[[], date] = date.today) -> None:
        self.store = store
        self.settings = settings
        self.transport = transport
        self.today = today

    def _incremental(self, stream: Stream, state: SourceState | None) -> Window:
        if stream.windowless:
            return Window()
        end = self.today()
        if state and state.harvested_through:
            return Window(state.harvested_through - timedelta(days=OVERLAP_DAYS), end)
        return Window(end - timedelta(days=group_of(self.settings, stream.source).lookback_days), end)

    def _next_check(self, stream: Stream) -> datetime:
        now = datetime.now(UTC)
        if stream.announced:
            return next_run(now, self.settings.schedule)
        return now + timedelta(hours=group_of(self.settings, stream.source).cadence_hours)

    def run(self, stream: Stream, *, window: Window | None = None, max_results: int = 1000,
            progress: Progress | None = None) -> RunReport:
        """Harvest one stream; failures are classified in the report, what was stored stays."""
        incremental = window is None
        state = self.store.sources.get(stream.key)
        window = self._incremental(stream, state) if window is None else window
        check_window(stream, window)
        resume = None
        if state and state.cursor and (state.window_start, state.window_end) == (window.start, window.end):
            resume = state.cursor  # the last run of this window died half-way: continue it
        started, clock = datetime.now(UTC), time.perf_counter()
        report = RunReport(source=stream.source)
        validators: tuple[str | None, str | None] | None = None
        request = Request(stream, window, resume, group_of(self.settings, stream.source), self.settings.sources.http,
                          etag=state.etag if state else None, last_modified=state.last_modified if state else None,
                          max_results=max_results, incremental=incremental)
        with HttpClient(self.settings.sources.http, transport=self.transport) as client:
            try:
                for page in fetcher(stream)(client, request):
                    if page.not_modified:
                        report.not_modified = True
                        continue
                    report.absorb(ingest(self.store, page.items, source=stream.source, progress=progress))
                    validators = (page.etag, page.last_modified)
                    if page.cursor:
                        self.store.sources.checkpoint(stream.key, stream.source, cursor=page.cursor,
                                                      window_start=window.start, window_end=window.end)
            except SourceError as exc:
                report.add_error(exc)
            except Exception as exc:  # a bug met by odd data: this stream failed, the run goes on
                log.exception("harvest: %s failed unexpectedly", stream.key)
                report.add_error(SourceError(f"unexpected {type(exc).__name__}: {exc}"[:300], component=stream.source))
        report.seconds = time.perf_counter() - clock
        etag, last_modified = validators if validators else (None, None)
        self.store.sources.finish(stream.key, stream.source, report, started=started,
                                  harvested_through=window.end if incremental else None,
                                  etag=etag if validators else None,
                                  last_modified=last_modified if validators else None,
                                  next_check_at=self._next_check(stream))
        return report

    def run_all(self, streams: list[Stream], progress: Progress | None = None) -> list[tuple[Stream, RunReport]]:
        """Run several streams; one failing does not stop the others."""
        return [(stream, self.run(stream, progress=progress)) for stream in streams]
