"""Fetching over a real local HTTP server that misbehaves: retries, checkpoints, validators, isolation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from academichub.cli.main import main
from academichub.sources import crossref, journal_rss, openalex
from academichub.sources.contract import Window
from academichub.storage.store import Store
from academichub.worker import jobs
from tests.conftest import DATA, make_settings
from tests.replay_server import Reply, replay_server

ECOLOGY = json.loads((DATA / "crossref/works_query_ecology_query.author.json").read_text())
ITEMS = ECOLOGY["message"]["items"]
NATURE = (DATA / "journal_rss/nature_current_2024-07-18.rdf.xml").read_bytes()
ISSN_PATH = "/journals/1461-023X/works"
WINDOW = Window(date(2020, 1, 1), date(2020, 12, 31))


def page(items: list, next_cursor: str) -> Reply:  # type: ignore[type-arg]
    body = {"status": "ok", "message-type": "work-list",
            "message": {"total-results": len(ITEMS), "items-per-page": len(items), "next-cursor": next_cursor,
                        "items": items}}
    return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def settings_for(tmp_path: Path, url: str, **http):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path / "home", sources={
        "http": {"retries": 2, "backoff": 0.0, "timeout": 5.0, **http},
        "crossref": {"enabled": True, "base_url": url, "issns": ["1461-023X"], "min_interval": 0, "rows": 10},
        "openalex": {"base_url": url, "min_interval": 0},
        "journals": {"enabled": True, "feeds": [f"{url}/nature.rss"], "min_interval": 0},
        "arxiv": {"enabled": False}})


def test_crossref_harvest_retries_checkpoints_and_resumes_without_duplicates(tmp_path: Path) -> None:
    with replay_server() as server:
        server.script(ISSN_PATH,
                      Reply(429, b"slow down", {"Retry-After": "1"}),       # rate limited, then fine
                      page(ITEMS[:10], "c2"),
                      Reply(503), Reply(503), Reply(503))                    # page 2 is down: the run fails
        settings = settings_for(tmp_path, server.url)
        stream = crossref.stream(issn="1461-023X")
        with Store.open(settings) as store:
            first = jobs.fetch_stream(store, settings, stream, window=WINDOW)
            assert [r.query["cursor"][0] for r in server.requests_to(ISSN_PATH)] == ["*", "*", "c2", "c2", "c2"]
            assert first.errors[0]["kind"] == "http-5xx"
            assert "HTTP 503" in first.errors[0]["message"] and "gave up after 3 attempts" in first.errors[0]["message"]
            stored_after_failure = store.works.count()
            assert stored_after_failure == first.new > 0  # the first page is kept
            state = store.sources.get(stream.key)
            assert state.cursor == "c2" and state.consecutive_errors == 1 and state.last_error_kind == "http-5xx"

            server.seen.clear()
            server.script(ISSN_PATH, Reply(200, json.dumps({"status": "ok"}).encode()[:5], reset_after=3),
                          page(ITEMS[8:], "c3"), page([], "c3"))  # reset mid-body; page 2 repeats two works
            second = jobs.fetch_stream(store, settings, stream, window=WINDOW)
            cursors = [r.query["cursor"][0] for r in server.requests_to(ISSN_PATH)]
            assert cursors == ["c2", "c2", "c3"]  # resumed from the checkpoint, retried the broken reply
            assert second.errors == [] and second.new + stored_after_failure == store.works.count()
            assert store.works.count() < len(ITEMS)  # the dataset was rejected, the preprint merged
            assert store.sources.get(stream.key).cursor is None and store.sources.get(stream.key).consecutive_errors == 0
            third = jobs.fetch_stream(store, settings, stream, window=WINDOW)  # the whole window again
            assert third.new == 0 and store.works.count() == stored_after_failure + second.new
            assert [r["new"] for r in store.sources.runs(stream.key)] == [0, second.new, first.new]
            assert server.seen[0].headers.get("User-Agent", "").startswith("AcademicHub/")


def test_timeouts_are_retried_then_classified(tmp_path: Path) -> None:
    work = json.loads((DATA / "openalex/W2741809807.json").read_text())
    listing = json.dumps({"meta": {"count": 1, "next_cursor": None}, "results": [work]}).encode()
    with replay_server() as server:
        server.script("/works", Reply(200, listing, delay=1.5), Reply(200, listing))
        settings = settings_for(tmp_path, server.url, timeout=0.5)
        stream = openalex.stream("primary_location.source.id:S1983995261")
        with Store.open(settings) as store:
            report = jobs.fetch_stream(store, settings, stream, window=WINDOW)
            assert report.errors == [] and report.new == 1 and len(server.requests_to("/works")) == 2
            server.script("/works", Reply(200, listing, delay=1.5))
            failed = jobs.fetch_stream(store, settings, stream, window=WINDOW)
            assert failed.errors[0]["kind"] == "timeout" and failed.errors[0]["message"].startswith("openalex: timed out")


def test_changed_etag_then_not_modified(tmp_path: Path) -> None:
    with replay_server() as server:
        server.script("/nature.rss",
                      Reply(200, NATURE, {"ETag": '"v1"', "Content-Type": "application/rss+xml"}),
                      lambda seen: Reply(200, NATURE, {"ETag": '"v2"'}),  # the feed changed its ETag
                      lambda seen: Reply(304) if seen.headers.get("If-None-Match") == '"v2"' else Reply(500))
        settings = settings_for(tmp_path, server.url)
        stream = journal_rss.stream(f"{server.url}/nature.rss")
        with Store.open(settings) as store:
            first = jobs.fetch_stream(store, settings, stream)
            second = jobs.fetch_stream(store, settings, stream)
            third = jobs.fetch_stream(store, settings, stream)
            sent = [r.headers.get("If-None-Match") for r in server.requests_to("/nature.rss")]
            assert sent == [None, '"v1"', '"v2"']
            # 75 items, of which 4 are "Author Correction: …" notices (left out, each run)
            assert (first.new, first.left_out, first.rejected, second.new, second.unchanged) == (71, 4, 0, 0, 71)
            assert third.not_modified and third.fetched == 0 and third.errors == []
            assert store.sources.get(stream.key).etag == '"v2"'


def test_one_source_down_does_not_stop_the_others_and_exit_codes_tell_cron(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with replay_server() as server:
        server.script(ISSN_PATH, Reply(503))
        server.script("/nature.rss", Reply(200, NATURE))
        settings = settings_for(tmp_path, server.url)
        (tmp_path / "home").mkdir(parents=True, exist_ok=True)
        (tmp_path / "home" / "settings.toml").write_text(
            f'[sources.http]\nretries = 0\nbackoff = 0\n[sources.arxiv]\nenabled = false\n'
            f'[sources.crossref]\nenabled = true\nbase_url = "{server.url}"\nissns = ["1461-023X"]\nmin_interval = 0\n'
            f'[sources.journals]\nenabled = true\nfeeds = ["{server.url}/nature.rss"]\nmin_interval = 0\n')
        with pytest.raises(SystemExit) as exited:
            main(["--home", str(tmp_path / "home"), "ingest", "--all", "--json"])
        runs = json.loads(capsys.readouterr().out)
        assert exited.value.code == 1  # a source failed
        by_stream = {r["stream"]: r for r in runs}
        assert by_stream["crossref:issn:1461-023X"]["errors"][0]["kind"] == "http-5xx"
        assert by_stream[f"journal:{server.url}/nature.rss"]["new"] == 71
        server.script("/nature.rss", Reply(304))
        server.script(ISSN_PATH, page([], "x"))
        with pytest.raises(SystemExit) as exited:
            main(["--home", str(tmp_path / "home"), "ingest", "--all"])
        assert exited.value.code == 10  # everything fine, nothing new
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(["--home", str(tmp_path / "home"), "sources", "--json"])
        health = {h["stream"]: h for h in json.loads(capsys.readouterr().out)}
        assert health["crossref:issn:1461-023X"]["status"] == "ok"
        assert health["crossref:issn:1461-023X"]["last_run"]["new"] == 0
        assert health[f"journal:{server.url}/nature.rss"]["last_run"]["not_modified"] is True
        assert settings.sources.crossref.enabled
