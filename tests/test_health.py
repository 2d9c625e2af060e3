"""Source health: failing, quiet on an announcement day (per arXiv's calendar), stale journals."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from academichub.health import stream_health
from academichub.model.report import RunReport
from academichub.sources import arxiv, journal_rss
from academichub.sources.arxiv_calendar import expects_listing
from academichub.storage.store import Store
from academichub.web.app import create_app
from academichub.worker import jobs
from tests.conftest import make_settings

EASTERN = ZoneInfo("America/New_York")


@pytest.mark.parametrize("day, expected", [
    (date(2025, 9, 24), True),    # Wednesday
    (date(2025, 9, 27), False),   # Saturday
    (date(2025, 9, 28), False),   # Sunday
    (date(2025, 9, 1), False),    # Labor Day, an arXiv holiday
    (date(2025, 9, 2), False),    # the listing after it
    (date(2025, 11, 28), False),  # after Thanksgiving
    (date(2025, 9, 3), True),
    # arXiv's published lists of 2024 to 2026: a December without them raised "no new papers in
    # the listing of an announcement day" on every holiday.
    (date(2024, 10, 9), False),   # after the deferred mailing of 2024-10-08
    (date(2025, 12, 31), False),  # after 2025-12-30
    (date(2026, 12, 29), False),  # a Tuesday of no mailing
    (date(2026, 12, 30), False),
    (date(2026, 12, 28), True),   # the Monday between
])
def test_arxiv_calendar(day: date, expected: bool) -> None:
    assert expects_listing(day) is expected


def run(store: Store, key: str, source: str, when: datetime, **counts) -> None:  # type: ignore[no-untyped-def]
    errors = counts.pop("errors", [])
    report = RunReport(source=source, errors=errors, rejected_reasons=Counter(counts.pop("reasons", {})), **counts)
    store.sources.finish(key, source, report, started=when)


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path / "home", sources={"arxiv": {"categories": ["cs.CL"]},
                                                     "journals": {"enabled": True, "feeds": ["nature", "science"]}})


def test_statuses_and_flags(settings) -> None:  # type: ignore[no-untyped-def]
    listing, nature, science = (arxiv.category_stream(["cs.CL"]), journal_rss.stream("nature"),
                                journal_rss.stream("science"))
    now = datetime(2025, 9, 24, 12, 0, tzinfo=UTC)
    with Store.open(settings) as store:
        run(store, listing.key, "arxiv", datetime(2025, 9, 23, 4, 30, tzinfo=UTC), fetched=300, new=280)
        run(store, listing.key, "arxiv", datetime(2025, 9, 24, 4, 30, tzinfo=UTC), fetched=300, unchanged=300)
        run(store, nature.key, "journal", now - timedelta(days=20), fetched=75, new=75,
            rejected=2, reasons={"no title": 2})
        run(store, nature.key, "journal", now - timedelta(hours=4), fetched=75, unchanged=73, rejected=2,
            reasons={"no title": 2})
        store.sources._write(nature.key, "journal", {"last_new_at": now - timedelta(days=20)})
        run(store, "crossref:issn:0028-0836", "crossref", now - timedelta(hours=1),
            errors=[{"kind": "rate-limited", "message": "crossref: HTTP 429 (rate limited)"}])
        report = {h.stream: h for h in stream_health(store, settings, now=now)}
    assert report[listing.key].status == "quiet"
    assert report[listing.key].flags == [{"kind": "quiet", "day": "2025-09-24", "message":
                                         "no new papers in the listing of 2025-09-24, an announcement day"}]
    assert report[nature.key].status == "quiet" and report[nature.key].flags[0]["kind"] == "rejected"
    assert "nothing new for 20 days" in report[nature.key].flags[1]["message"]
    assert report[science.key].status == "never" and report[science.key].configured
    failing = report["crossref:issn:0028-0836"]
    assert failing.status == "failing" and not failing.configured and failing.last_error_kind == "rate-limited"


def test_a_quiet_weekend_is_not_an_alarm(settings) -> None:  # type: ignore[no-untyped-def]
    listing = arxiv.category_stream(["cs.CL"])
    saturday_run = datetime(2025, 9, 27, 0, 30, tzinfo=EASTERN)
    with Store.open(settings) as store:
        run(store, listing.key, "arxiv", saturday_run.astimezone(UTC), fetched=0)
        (health,) = [h for h in stream_health(store, settings, now=saturday_run) if h.stream == listing.key]
    assert health.status == "ok" and health.flags == []


def test_sources_page_and_api(settings) -> None:  # type: ignore[no-untyped-def]
    with Store.open(settings) as store:
        run(store, journal_rss.stream("nature").key, "journal", datetime.now(UTC), fetched=75, new=75)
    with TestClient(create_app(settings)) as client:
        api = {h["stream"]: h for h in client.get("/api/v1/sources").json()}
        assert api["journal:nature"]["last_run"]["new"] == 75 and api["journal:nature"]["status"] == "ok"
        assert api["journal:science"]["status"] == "never"
        assert api["journal:science"]["next_check_at"] is None  # no schedule: fetched only when asked
        page = client.get("/sources?lang=en").text
        assert 'data-stream="journal:nature"' in page and "Not run yet" in page and "<code>prl</code>" in page
    scheduled = settings.model_copy(update={"schedule": settings.schedule.model_copy(update={"enabled": True})})
    with Store.open(scheduled) as store:
        (science,) = [h for h in stream_health(store, scheduled) if h.stream == "journal:science"]
    # Not fetched yet: its first check is the next daily slot, shown rather than "—".
    now = datetime.now(UTC)
    assert science.status == "never" and now < science.next_check_at <= now + timedelta(days=1)


def test_a_source_without_network_is_offline_not_failing(tmp_path: Path) -> None:
    from tests.browser import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the connection is refused
    settings = make_settings(tmp_path / "home", sources={
        "http": {"retries": 0}, "arxiv": {"categories": ["cs.CL"], "base_url": closed, "min_interval": 0.0}})
    with Store.open(settings) as store:
        report = jobs.fetch_arxiv(store, settings)
        assert report.errors and report.errors[0]["kind"] == "network"
        (health,) = [h for h in stream_health(store, settings) if h.source == "arxiv"]
        assert health.status == "offline" and health.next_check_at is not None  # tried again later
    with TestClient(create_app(settings)) as client:
        page = client.get("/sources?lang=zh").text
    assert 'badge badge-offline">离线<' in page and "将在下次检查时重试" in page
    assert "badge-failing" not in page


def test_notices_are_left_out_not_rejected_and_every_flag_is_in_the_readers_language(tmp_path: Path) -> None:
    # The recorded Nature feed holds four "Author Correction" notices: every run flagged the
    # stream "last run rejected 4 records (4 notice (author correction))", as if the feed were
    # broken, and in English on a Chinese page; so were the quiet flags and the kind of an error.
    from tests.replay_server import Reply, replay_server

    nature = (Path(__file__).parent / "data/journal_rss/nature_current_2024-07-18.rdf.xml").read_bytes()
    with replay_server() as server:
        server.script("/nature.rss", Reply(200, nature))
        server.script("/down.rss", Reply(503))
        settings = make_settings(tmp_path / "home", sources={
            "http": {"retries": 0}, "arxiv": {"categories": ["cs.CL"]},
            "journals": {"enabled": True, "feeds": [f"{server.url}/nature.rss", f"{server.url}/down.rss"],
                         "min_interval": 0}})
        with Store.open(settings) as store:
            report = jobs.fetch_stream(store, settings, journal_rss.stream(f"{server.url}/nature.rss"))
            jobs.fetch_stream(store, settings, journal_rss.stream(f"{server.url}/down.rss"))
            listing = arxiv.category_stream(["cs.CL"])
            run(store, listing.key, "arxiv", datetime(2025, 9, 23, 4, 30, tzinfo=UTC), fetched=300, new=280)
            run(store, listing.key, "arxiv", datetime(2025, 9, 24, 4, 30, tzinfo=UTC), fetched=300, unchanged=300)
            run(store, "crossref:issn:0028-0836", "crossref", datetime.now(UTC) - timedelta(days=30), fetched=5, new=5,
                rejected=1, reasons={"malformed record (TypeError)": 1})
            run(store, "crossref:issn:0028-0836", "crossref", datetime.now(UTC), fetched=5, unchanged=3,
                rejected=2, reasons={"no title": 2})
            store.sources._write("crossref:issn:0028-0836", "crossref",
                                 {"last_new_at": datetime.now(UTC) - timedelta(days=30)})
            health = {h.stream: h for h in stream_health(store, settings)}
    assert (report.new, report.rejected, report.left_out) == (71, 0, 4)
    assert report.left_out_reasons == {"notice (author correction)": 4}
    (left_out,) = health[f"journal:{server.url}/nature.rss"].flags
    assert left_out["kind"] == "left-out" and health[f"journal:{server.url}/nature.rss"].status == "ok"
    with TestClient(create_app(settings)) as client:
        chinese = client.get("/sources?lang=zh").text
        english = client.get("/sources?lang=en").text
    assert "上次运行：略过 4 条非论文记录（声明：author correction）。" in chinese
    assert "上次运行：2 条记录无法使用（没有标题）。" in chinese
    assert "已有 30 天没有新内容" in chinese
    assert "来源服务器出错：" in chinese  # the 503, its own words kept beside it
    notes = re.sub(r"<[^>]+>", " ", " ".join(re.findall(r'<tr class="notes">(.*?)</tr>', chinese, re.DOTALL)))
    for english_words in ("last run", "Last run", "nothing new", "rejected", "http-5xx"):
        assert english_words not in notes, english_words
    assert "Last run: 4 records left out, as they are not papers (notice: author correction)." in english
    assert "Last run: 2 records could not be used (no title)." in english


def test_a_run_recorded_without_its_reasons_is_still_said(settings) -> None:  # type: ignore[no-untyped-def]
    # A run whose counts came without reasons (an older record, another writer) must not fail the page.
    with Store.open(settings) as store:
        run(store, journal_rss.stream("nature").key, "journal", datetime.now(UTC), fetched=5, new=3, rejected=2)
    with TestClient(create_app(settings)) as client:
        page = client.get("/sources?lang=en")
    assert page.status_code == 200 and "Last run: 2 records could not be used (—)." in page.text
