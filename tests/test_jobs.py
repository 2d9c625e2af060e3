"""Fetch jobs over the transport seam, and the embedded daily scheduler."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from academichub.model.report import RunReport
from academichub.settings import ScheduleSettings
from academichub.sources.arxiv import oai_set
from academichub.storage.store import Store
from academichub.worker import jobs
from academichub.worker.scheduler import Scheduler, next_run
from tests.conftest import DATA, make_settings


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(make_settings(tmp_path / "home")) as opened:
        yield opened


def test_daily_listing_fetch_goes_through_the_seam(store: Store, tmp_path: Path) -> None:
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, content=(DATA / "arxiv_listing/rss_2025-04-04.xml").read_bytes())

    settings = make_settings(tmp_path / "home")
    report = jobs.fetch_arxiv(store, settings, categories=["cs.cl", "cs.CV"], transport=httpx.MockTransport(handler))
    assert urls == ["https://rss.arxiv.org/rss/cs.CL+cs.CV"]
    assert (report.new, report.errors) == (88, [])
    again = jobs.fetch_arxiv(store, settings, categories=["cs.CL", "cs.CV"], transport=httpx.MockTransport(handler))
    assert (again.new, again.updated) == (0, 0)


def test_api_date_window_query(store: Store, tmp_path: Path) -> None:
    queries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(parse_qs(urlsplit(str(request.url)).query)["search_query"][0])
        return httpx.Response(200, content=(DATA / "arxiv_api/q_testing_s0_m10_bc5a6c384fe9.atom.xml").read_bytes())

    report = jobs.fetch_arxiv(store, make_settings(tmp_path / "home"), method="api", categories=["cs.SE", "cs.LG"],
                              date_from=date(2022, 2, 1), date_to=date(2022, 2, 28), max_results=10,
                              transport=httpx.MockTransport(handler))
    assert queries == ["(cat:cs.SE OR cat:cs.LG) AND submittedDate:[202202010000 TO 202202282359]"]
    assert report.new == 10


def test_a_source_that_is_down_keeps_what_was_stored(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    jobs.load_sample(store)
    report = jobs.fetch_arxiv(store, settings, transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    assert report.errors[0]["kind"] == "http-5xx" and "arxiv-listing: HTTP 503" in report.errors[0]["message"]
    assert store.works.count() == 4223 and store.index.count() == 4223


def test_oai_sets_for_categories() -> None:
    assert oai_set("hep-th") == "physics:hep-th" and oai_set("astro-ph.GA") == "physics:astro-ph"
    assert oai_set("cs.CL") == "cs" and oai_set("math.AG") == "math"


def test_next_run_is_after_the_evening_announcement() -> None:
    schedule = ScheduleSettings(arxiv_at="20:30", timezone="America/New_York")
    eastern = ZoneInfo("America/New_York")
    assert next_run(datetime(2025, 9, 25, 19, 0, tzinfo=eastern), schedule) == datetime(2025, 9, 25, 20, 30, tzinfo=eastern)
    assert next_run(datetime(2025, 9, 25, 20, 30, tzinfo=eastern), schedule) == datetime(2025, 9, 26, 20, 30, tzinfo=eastern)
    beijing = datetime(2025, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # DST ends in New York that night
    assert next_run(beijing, schedule) == datetime(2025, 11, 2, 20, 30, tzinfo=eastern)


def test_scheduler_runs_due_streams_and_survives_a_failing_one() -> None:
    from academichub.sources.arxiv import category_stream as arxiv_stream
    from academichub.sources.journal_rss import stream as journal_stream
    from academichub.storage.sourcestate import SourceState

    eastern = ZoneInfo("America/New_York")
    now = datetime(2025, 9, 25, 10, 0, tzinfo=eastern)
    listing, nature, science = arxiv_stream(["cs.CL"]), journal_stream("nature"), journal_stream("science")
    states = {nature.key: SourceState(nature.key, "journal", next_check_at=now + timedelta(hours=2)),
              science.key: SourceState(science.key, "journal", next_check_at=now - timedelta(minutes=1))}
    ran: list[str] = []

    def run(stream):  # type: ignore[no-untyped-def]
        ran.append(stream.key)
        if stream.key == listing.key:
            raise RuntimeError("boom")
        return RunReport(source=stream.source, new=3)

    fresh = Scheduler(ScheduleSettings(), lambda: [listing, nature, science], states.get, run, clock=lambda: now)
    # Started after today's 00:30 slot: a stream that never ran waits for tomorrow's (nothing is
    # fetched on a fresh install until the reader asks or the schedule's time comes).
    assert [s.key for s in fresh.due(now)] == [science.key]
    assert listing in fresh.due(datetime(2025, 9, 26, 0, 30, tzinfo=eastern))
    scheduler = Scheduler(ScheduleSettings(), lambda: [listing, nature, science], states.get, run, clock=lambda: now,
                          started=now - timedelta(days=1))
    assert [s.key for s in scheduler.due(now)] == [listing.key, science.key]  # its first slot has passed
    results = scheduler.run_due()
    assert ran == [listing.key, science.key] and [s.key for s, _ in results] == [science.key]
    early = datetime(2025, 9, 25, 0, 10, tzinfo=eastern)  # after a run, the next slot is tonight's 00:30
    states[listing.key] = SourceState(listing.key, "arxiv", next_check_at=next_run(early, ScheduleSettings()))
    assert listing not in scheduler.due(early)
    assert listing in scheduler.due(early + timedelta(minutes=21))
    with pytest.raises(ValueError, match="HH:MM"):
        ScheduleSettings(arxiv_at="8pm")
