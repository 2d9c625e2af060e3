"""The serving path: batches claimed under concurrency, toggles that never repeat, feedback without a fit."""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from itertools import permutations
from pathlib import Path

import httpx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from academichub.model.accounts import Radar
from academichub.radar import feedback
from academichub.radar.feed import FeedService
from academichub.radar.subscriptions import follow
from academichub.ranking.learned import UserModel
from academichub.settings import FeedSettings
from academichub.storage.store import Store
from academichub.worker.training import InlineTrainer, train_radar
from tests.browser import running_server
from tests.conftest import make_settings


def _url_of(store: Store) -> str | None:
    url = store.engine.url
    return None if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=False)


def test_concurrent_next_over_http_never_repeats_and_never_fails(sample_store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "served", _url_of(sample_store))
    from academichub.web.app import create_app

    app_settings = settings
    with running_server(app_settings, app=create_app(app_settings, store=sample_store)) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.get("/api/v1/feed").status_code == 200
        barrier = threading.Barrier(6)

        def clicks(_: int) -> list[dict]:
            pages = []
            with httpx.Client(base_url=base, timeout=60) as client:
                barrier.wait()
                for _ in range(4):
                    response = client.post("/api/v1/feed/next", json={"period": "all"})
                    assert response.status_code == 200, response.text
                    pages.append(response.json())
            return pages

        with ThreadPoolExecutor(6) as pool:
            pages = [p for result in pool.map(clicks, range(6)) for p in result]
    shown = [item["id"] for page in pages for item in page["items"]]
    assert len(pages) == 24 and len(shown) == 240
    assert len(set(shown)) == len(shown)  # no paper in two batches
    assert len({page["batch"] for page in pages}) == 24


def test_two_processes_racing_on_one_radar_never_share_a_paper(sample_store: Store, fresh_radar: Radar) -> None:
    # Two services stand for two web processes: each has its own matrix and caches, one database.
    services = [FeedService(sample_store, FeedSettings()), FeedService(sample_store, FeedSettings())]
    services[0].current(fresh_radar)
    barrier = threading.Barrier(8)

    def click(n: int) -> list[int]:
        barrier.wait()
        return [c.work.id for c in services[n % 2].next(fresh_radar, period="all").cards]

    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(click, range(8)))
    shown = [i for batch in batches for i in batch]
    assert all(len(b) == 10 for b in batches)
    assert len(set(shown)) == len(shown) == 80


def test_queued_next_of_one_radar_are_served_together_and_never_share_a_paper(
        sample_store: Store, fresh_radar: Radar, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = FeedService(sample_store, FeedSettings())
    feed.current(fresh_radar)
    recorded: list[int] = []
    several = sample_store.feed_state.claim_several

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        batches = several(*args, **kwargs)
        recorded.append(len(batches))
        return batches

    monkeypatch.setattr(sample_store.feed_state, "claim_several", counted)
    barrier = threading.Barrier(8)

    def clicks(_: int) -> list[tuple[int, list[int]]]:
        barrier.wait()
        pages = [feed.next(fresh_radar, period="all") for _ in range(3)]
        return [(page.batch, [c.work.id for c in page.cards]) for page in pages]

    with ThreadPoolExecutor(8) as pool:
        pages = [p for result in pool.map(clicks, range(8)) for p in result]
    shown = [i for _, ids in pages for i in ids]
    assert all(len(ids) == 10 for _, ids in pages)
    assert len(set(shown)) == len(shown) == 240
    assert len({number for number, _ in pages}) == 24  # every 换一批 its own batch
    assert recorded and max(recorded) > 1  # queued ones were claimed together, from one ranking


def _never_back(feed: FeedService, radar: Radar, steps) -> None:  # type: ignore[no-untyped-def]
    """Run steps that each show a page; a paper that left the screen must never come back."""
    gone: set[int] = set()
    showing: set[int] = set()
    for step in steps:
        now = {c.work.id for c in step().cards}
        assert not now & gone, "a paper shown earlier came back"
        gone |= showing - now
        showing = now


def test_toggling_a_chip_or_the_period_never_brings_a_paper_back(sample_store: Store, fresh_radar: Radar) -> None:
    feed = FeedService(sample_store, FeedSettings())
    radar_id = fresh_radar.id

    def radar() -> Radar:
        return sample_store.accounts.get_radar(radar_id)

    def toggle(add: bool):  # type: ignore[no-untyped-def]
        def step():  # type: ignore[no-untyped-def]
            if add:
                follow(sample_store, radar_id, "keyword", "language model")
            else:
                sub = next(s for s in sample_store.accounts.subscriptions(radar_id) if s.kind == "keyword")
                sample_store.accounts.remove_subscription(radar_id, sub.id)
            return feed.current(radar())
        return step

    _never_back(feed, fresh_radar, [lambda: feed.current(radar()), toggle(True), toggle(False), toggle(True),
                                    toggle(False), lambda: feed.current(radar(), period="week"),
                                    lambda: feed.current(radar(), period="recent"),
                                    lambda: feed.current(radar(), period="week"),
                                    lambda: feed.next(radar()), lambda: feed.current(radar(), period="recent")])


def test_a_like_changes_the_next_batch_without_a_fit_then_the_trained_model_replaces_it(
        sample_store: Store, fresh_radar: Radar, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = FeedService(sample_store, FeedSettings())
    trainer = InlineTrainer(sample_store, feed.matrix, feed.ranking, embedder=None)
    feed.readers.schedule = trainer.schedule
    user = fresh_radar.user_id
    cold = feed.current(fresh_radar, period="all")
    assert all(c.reasons[0].kind == "recent" for c in cold.cards)
    galaxies = [sample_store.works.get(i).public_id for i, _ in sample_store.search("galaxy", limit=6).hits]
    for paper in galaxies:
        feedback.give(sample_store, user, paper, "like")

    def no_fit(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a model was fitted on the request")

    with monkeypatch.context() as patch:
        patch.setattr(UserModel, "fit", no_fit)
        cheap = feed.next(fresh_radar, period="all")
    astro = sum(any(c.startswith("astro-ph") for c in card.work.paper.categories) for card in cheap.cards)
    assert astro >= 7, [c.work.paper.title for c in cheap.cards]
    assert any(r.kind == "similar_to" and r.detail == "like" for c in cheap.cards for r in c.reasons) or \
        any(r.kind == "similar" for c in cheap.cards for r in c.reasons)
    assert sample_store.reader_models.get(fresh_radar.id) is None and fresh_radar.id in trainer._waiting

    trainer.wait_idle()  # what the background job does
    stored = sample_store.reader_models.get(fresh_radar.id)
    assert stored is not None and stored.mode == "classifier"
    assert {p[0] for p in stored.positives} >= {sample_store.works.id_for_public(g) for g in galaxies}
    snapshot = feed.matrix.current()
    reader = feed.readers.get(sample_store.accounts.get_radar(fresh_radar.id), snapshot,
                              sample_store.accounts.subscriptions(fresh_radar.id), feed.known.of(user))
    assert not reader.stale and reader.scores.linear is not None and reader.scores.fold_sparse is None
    trained = feed.next(fresh_radar, period="all")
    assert sum(any(c.startswith("astro-ph") for c in card.work.paper.categories) for card in trained.cards) >= 7
    assert train_radar(sample_store, feed.matrix, feed.ranking, fresh_radar.id, embedder=None) is None  # up to date


def test_a_radar_deleted_while_its_model_trains_stores_nothing(sample_store: Store, fresh_radar: Radar,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Saving the model failed its foreign key (a 500-like traceback in the trainer, a job retried
    # five times on a queue worker); a job for a radar already gone has nothing to train.
    from academichub.worker import training

    feed = FeedService(sample_store, FeedSettings())
    radar = sample_store.accounts.create_radar(fresh_radar.user_id, f"short-lived {uuid.uuid4().hex[:6]}")
    follow(sample_store, radar.id, "keyword", "black hole")
    real_train = training.train

    def train_then_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        model = real_train(*args, **kwargs)
        sample_store.accounts.delete_radar(fresh_radar.user_id, radar.id)
        return model

    monkeypatch.setattr(training, "train", train_then_delete)
    assert train_radar(sample_store, feed.matrix, feed.ranking, radar.id, embedder=None) is None
    assert sample_store.reader_models.get(radar.id) is None
    assert train_radar(sample_store, feed.matrix, feed.ranking, radar.id, embedder=None) is None  # gone already


def test_a_new_process_ranks_from_stored_features_and_models(sample_store: Store, fresh_radar: Radar) -> None:
    first = FeedService(sample_store, FeedSettings())
    follow(sample_store, fresh_radar.id, "keyword", "black hole")
    radar = sample_store.accounts.get_radar(fresh_radar.id)
    train_radar(sample_store, first.matrix, first.ranking, radar.id, embedder=None)
    before = [r.work_id for r in first.ranked(radar, first._period("all"), set(), 20)]
    second = FeedService(sample_store, FeedSettings())  # cold: maps the matrix file, reads the stored model
    assert [r.work_id for r in second.ranked(radar, second._period("all"), set(), 20)] == before
    assert second.matrix.current().size == sample_store.works.count()


def test_feedback_and_library_versions_change_when_an_undone_id_would_be_reused(sample_store: Store,
                                                                                fresh_radar: Radar) -> None:
    # SQLite hands the highest rowid out again after a delete unless the table says AUTOINCREMENT;
    # then "like X, undo, like Y" left (count, newest id) as it was and every cache keyed on it stale.
    user = fresh_radar.user_id
    first, second = [sample_store.works.get(i).public_id for i, _ in sample_store.search("galaxy", limit=2).hits]
    feedback.give(sample_store, user, first, "like")
    liked_first = sample_store.feedback.version(user)
    feedback.undo(sample_store, user, first)
    feedback.give(sample_store, user, second, "like")
    assert sample_store.feedback.version(user) != liked_first


def test_a_replayed_page_follows_every_change_another_process_makes(sample_store: Store, tmp_path: Path) -> None:
    from academichub.web.app import create_app

    settings = make_settings(tmp_path / "served", _url_of(sample_store))
    local, _default = sample_store.accounts.ensure_local_user()
    radar = sample_store.accounts.create_radar(local.id, f"replay {uuid.uuid4().hex[:6]}")
    follow(sample_store, radar.id, "category", "cs.CL")
    other = FeedService(sample_store, FeedSettings())  # another web process: its own caches, one database
    with running_server(settings, app=create_app(settings, store=sample_store)) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        def page() -> dict:
            response = client.get(f"/api/v1/radars/{radar.id}/feed", params={"period": "all"})
            assert response.status_code == 200, response.text
            return response.json()

        first = page()
        assert page() == first and len(first["items"]) == 10  # replayed, unchanged
        moved = other.next(sample_store.accounts.get_radar(radar.id), period="all")
        now = page()
        assert now["batch"] == moved.batch != first["batch"]
        assert [i["id"] for i in now["items"]] == [c.work.public_id for c in moved.cards]

        one, two = now["items"][0]["id"], now["items"][1]["id"]
        feedback.give(sample_store, local.id, one, "like")
        assert page()["items"][0]["feedback"] == ["like"]
        feedback.undo(sample_store, local.id, one)
        feedback.give(sample_store, local.id, two, "like")
        items = page()["items"]
        assert items[0]["feedback"] == [] and items[1]["feedback"] == ["like"]

        follow(sample_store, radar.id, "keyword", "speech recognition")  # re-ranks the batch in place
        reranked = page()
        assert reranked["batch"] == now["batch"] and reranked["items"] != items
        html = client.get("/", params={"radar": radar.id, "period": "all"}).text
        assert "speech recognition" in html and reranked["items"][0]["id"] in html
        other.next(sample_store.accounts.get_radar(radar.id), period="all")
        newest = page()
        assert newest["batch"] == reranked["batch"] + 1
        assert newest["items"][0]["id"] in client.get("/", params={"radar": radar.id, "period": "all"}).text


def test_a_seen_set_kept_by_one_process_takes_in_what_another_claimed(sample_store: Store, fresh_radar: Radar) -> None:
    mine, other = FeedService(sample_store, FeedSettings()), FeedService(sample_store, FeedSettings())
    shown = {c.work.id for c in mine.next(fresh_radar, period="all").cards}
    assert mine.seen.of(fresh_radar.id) == shown
    shown |= {c.work.id for c in other.next(fresh_radar, period="all").cards}
    assert mine.seen.of(fresh_radar.id) == shown and len(shown) == 20
    batch = sample_store.feed_state.latest(fresh_radar.id)
    assert mine.seen.of(fresh_radar.id, besides=batch.id) == shown - {i.work_id for i in batch.items}


def test_the_newest_days_come_from_an_index_skip_scan_that_agrees_with_distinct(sample_store: Store) -> None:
    import sqlalchemy as sa

    from academichub.storage.schema import works

    with sample_store.engine.connect() as conn:
        every = [r[0] for r in conn.execute(sa.select(works.c.feed_date).distinct().order_by(works.c.feed_date.desc()))]
    for n in (1, 3, 7, len(every), len(every) + 5):
        assert sample_store.works.latest_feed_dates(n) == every[:n]


@pytest.mark.parametrize("follows", [
    [("category", "astro-ph"), ("keyword", "language model"), ("author", "Jianxiang He")],
    [("category", "cs.CL"), ("category", "cs.AI"), ("venue", "Nature")],
    [("keyword", "transformer -vision"), ("author", "Yann LeCun")],
])
def test_rules_found_by_lookups_are_exactly_the_rules_checked_on_every_paper(
        sample_store: Store, fresh_radar: Radar, follows: list[tuple[str, str]]) -> None:
    from academichub.radar.authors import records_for
    from academichub.radar.rulematch import match_window
    from academichub.radar.rules import RuleSet

    for kind, value in follows:
        follow(sample_store, fresh_radar.id, kind, value)
    subs = sample_store.accounts.subscriptions(fresh_radar.id)
    rules = RuleSet(subs, records_for(sample_store, subs))
    ids, _days = sample_store.works.window(None, None)
    everyone = {c.id: rules.match(c) for c in sample_store.works.candidates(ids.tolist())}
    expected = {work_id: reasons for work_id, reasons in everyone.items() if reasons}
    assert expected and match_window(sample_store, rules, ids, None, None).as_dict() == expected


def test_serve_with_two_processes_shares_one_feed_that_never_repeats(sample_store: Store, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from tests.browser import free_port

    port = free_port()
    env = {**os.environ, "ACADEMICHUB_HOME": str(tmp_path / "served"), "ACADEMICHUB_SCHEDULE__ENABLED": "false",
           "ACADEMICHUB_DATABASE_URL": sample_store.engine.url.render_as_string(hide_password=False)}
    server = subprocess.Popen([sys.executable, "-m", "academichub", "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                if httpx.get(f"{base}/api/v1/feed", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.3)
        # uvicorn's workers are the server's children; each has a batch process of its own below it
        workers = [p for p in psutil.Process(server.pid).children() if "spawn_main" in " ".join(p.cmdline())]
        assert len(workers) == 2
        barrier = threading.Barrier(6)

        def clicks(_: int) -> list[dict]:
            pages = []
            with httpx.Client(base_url=base, timeout=60) as client:  # a connection each: both processes answer
                barrier.wait()
                for _ in range(4):
                    response = client.post("/api/v1/feed/next", json={"period": "all"})
                    assert response.status_code == 200, response.text
                    pages.append(response.json())
                    assert client.get("/api/v1/feed").json()["batch"] >= pages[-1]["batch"]
            return pages

        with ThreadPoolExecutor(6) as pool:
            pages = [p for result in pool.map(clicks, range(6)) for p in result]
        shown = [item["id"] for page in pages for item in page["items"]]
        assert len(shown) == 240 and len(set(shown)) == 240
        assert len({page["batch"] for page in pages}) == 24
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _queue_url() -> str:
    # A Redis database per test process (xdist runs the backends side by side), the same for every
    # test in it: the actors module keeps the broker of its first import.
    import os

    return f"redis://127.0.0.1:6379/{14 - int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:])}"


def _worker(env: dict[str, str]):  # type: ignore[no-untyped-def]
    """`academichub worker` with one process and thread, in these settings; a worker killed here is
    found dead after 5 s of silence, not the default 15 (its idle consumers report each second)."""
    import subprocess
    import sys

    env = {"ACADEMICHUB_BROKER_HEARTBEAT_SECONDS": "5", **env}
    return subprocess.Popen([sys.executable, "-m", "academichub", "worker", "--processes", "1", "--threads", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill(process) -> None:  # type: ignore[no-untyped-def]
    """kill -9 a worker and every process it started, as a crash or the OOM killer would."""
    import psutil

    tree = [*psutil.Process(process.pid).children(recursive=True), psutil.Process(process.pid)]
    for member in tree:
        member.kill()
    psutil.wait_procs(tree, timeout=30)


def _wait(condition, worker, what: str, seconds: float = 180) -> None:  # type: ignore[no-untyped-def]
    """Poll until a condition holds while the worker lives."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _stop(process) -> None:  # type: ignore[no-untyped-def]
    """Stop a worker as systemd would (SIGTERM), killing it if it hangs."""
    import signal
    import subprocess

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_model_trained_by_a_queue_worker_is_used_by_another_web_process(
        sample_store: Store, fresh_radar: Radar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    import redis

    from academichub import compose

    url = _queue_url()
    redis.Redis.from_url(url).flushdb()
    database = sample_store.engine.url.render_as_string(hide_password=False)
    home = tmp_path / "queued"
    monkeypatch.setenv("ACADEMICHUB_BROKER_URL", url)  # what the actors module connects to
    settings = make_settings(home, database, broker_url=url)
    env = {**os.environ, "ACADEMICHUB_HOME": str(home), "ACADEMICHUB_DATABASE_URL": database}
    worker = _worker(env)
    try:
        web = compose.build(settings, store=sample_store)
        assert type(web.trainer).__name__ == "QueueTrainer"  # this process sends; it never trains
        for paper in [sample_store.works.get(i).public_id for i, _ in sample_store.search("galaxy", limit=6).hits]:
            feedback.give(sample_store, fresh_radar.user_id, paper, "like")
        web.feed.next(fresh_radar, period="all")  # stale: a training job goes to Redis
        deadline = time.monotonic() + 120
        while (stored := sample_store.reader_models.get(fresh_radar.id)) is None:
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "no worker trained the radar"
            time.sleep(0.5)
        assert stored.mode == "classifier" and len(stored.positives) == 6
        other = compose.build(settings, store=sample_store)  # another web process: reads what the worker stored
        snapshot = other.feed.matrix.current()
        reader = other.feed.readers.get(sample_store.accounts.get_radar(fresh_radar.id), snapshot,
                                        sample_store.accounts.subscriptions(fresh_radar.id),
                                        other.feed.known.of(fresh_radar.user_id))
        assert not reader.stale and reader.scores.linear is not None

        # A job that fails for good is dead-lettered and shown to the administrator.
        from fastapi.testclient import TestClient

        from academichub.web.app import create_app
        from academichub.worker import actors
        from academichub.worker.queue_status import queue_report

        # A call the actor cannot take (a radar that is gone is not a failure: nothing to train).
        actors.train_radar.send_with_options(args=(10**9, "extra"), max_retries=0)
        while not (dead := queue_report(settings)[0].recent_dead):
            assert time.monotonic() < deadline + 60, "the failing job was never dead-lettered"
            time.sleep(0.5)
        assert dead[0].actor == "train_radar" and dead[0].args == [10**9, "extra"]
        with TestClient(create_app(settings, store=sample_store)) as client:
            queues = {q["queue"]: q for q in client.get("/api/v1/admin/jobs").json()}
            training = queues["training"]
            assert set(queues) == {"training", "fetch", "ingest"} and training["dead"] >= 1
            assert training["recent_dead"][0]["args"] == [10**9, "extra"]
            assert "train_radar" in client.get("/admin").text
    finally:
        _stop(worker)


def test_a_queue_that_cannot_be_read_is_reported_not_raised(tmp_path: Path) -> None:
    from academichub.worker.queue_status import queue_report
    from tests.browser import free_port

    settings = make_settings(tmp_path / "home", broker_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    training, fetch, ingest = queue_report(settings)
    assert training.queue == "training" and "cannot read training from Redis" in training.error
    assert fetch.queue == "fetch" and fetch.error and ingest.queue == "ingest" and ingest.error
    assert queue_report(make_settings(tmp_path / "laptop")) == []  # no broker: no queue


def test_the_scheduler_queues_each_due_fetch_once_and_a_worker_runs_it(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time
    from datetime import UTC, datetime, timedelta

    from academichub.sources import registry
    from academichub.worker.queue_status import queue_report
    from academichub.worker.scheduler import QueuedFetches, Scheduler
    from tests.conftest import DATA
    from tests.replay_server import Reply, replay_server

    url = _queue_url()
    monkeypatch.setenv("ACADEMICHUB_BROKER_URL", url)
    with replay_server() as server:
        server.script("/rss/cs.CL", Reply(200, (DATA / "arxiv_listing/rss_2025-04-04.xml").read_bytes()))
        home = tmp_path / "home"
        arxiv = {"base_url": server.url, "categories": ["cs.CL"], "min_interval": 0.0}
        settings = make_settings(home, broker_url=url, sources={"arxiv": arxiv})
        store = Store.open(settings)
        env = {**os.environ, "ACADEMICHUB_HOME": str(home), "ACADEMICHUB_SOURCES__ARXIV__BASE_URL": server.url,
               "ACADEMICHUB_SOURCES__ARXIV__CATEGORIES": '["cs.CL"]', "ACADEMICHUB_SOURCES__ARXIV__MIN_INTERVAL": "0"}
        from academichub.worker import actors

        queued = QueuedFetches(actors.fetch_stream.send, store.sources.get)
        evening = datetime(2030, 1, 2, 3, 0, tzinfo=UTC)  # past any day's arXiv slot
        scheduler = Scheduler(settings.schedule, lambda: [s for s in registry.configured(settings) if s.source == "arxiv"],
                              store.sources.get, queued, clock=lambda: evening, waiting=queued.waiting,
                              started=evening - timedelta(days=1))
        [stream] = scheduler.due(evening)
        scheduler.run_due()
        scheduler.run_due()  # the job is out: not sent twice
        assert [r.queued for r in queue_report(settings) if r.queue == "fetch"] == [1]
        worker = _worker(env)
        try:
            deadline = time.monotonic() + 120
            while (state := store.sources.get(stream.key)) is None or state.next_check_at is None:
                assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "no worker ran the fetch"
                time.sleep(0.5)
            assert store.works.count() == 88 and len(server.requests_to("/rss/cs.CL")) == 1
            assert not queued.waiting(stream, state)  # the worker recorded the stream: the scheduler may plan again
        finally:
            _stop(worker)
            store.close()


def _job_taken(url: str, queue: str) -> bool:
    """Whether some worker holds an unacknowledged job of this queue (Dramatiq's per-worker ack sets)."""
    import redis

    client = redis.Redis.from_url(url)
    return any(client.scard(key) for key in client.keys(f"dramatiq:__acks__.*.{queue}"))


def test_a_worker_killed_mid_ingest_loses_and_duplicates_nothing(
        settings, backend, sample_sqlite: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> None:
    import os

    import redis
    import sqlalchemy as sa

    from academichub.cli.main import main
    from academichub.storage.schema import work_authors, work_features
    from academichub.worker.jobs import SAMPLE

    url = _queue_url()
    redis.Redis.from_url(url).flushdb()
    monkeypatch.setenv("ACADEMICHUB_BROKER_URL", url)
    env = {**os.environ, "ACADEMICHUB_HOME": str(settings.home), "ACADEMICHUB_BROKER_URL": url,
           **({"ACADEMICHUB_DATABASE_URL": backend} if backend else {})}
    store = Store.open(settings)
    reference_home = settings.home.parent / "reference"
    shutil.copytree(sample_sqlite, reference_home)  # the shared sample is copied, never opened in place
    with Store.open(make_settings(reference_home)) as reference:
        expected = (reference.works.count(), reference.engine.connect().execute(
            sa.select(sa.func.count()).select_from(work_authors)).scalar())
    try:
        if backend:
            monkeypatch.setenv("ACADEMICHUB_DATABASE_URL", backend)
        with pytest.raises(SystemExit) as exited:
            main(["--home", str(settings.home), "ingest", "--file", str(SAMPLE), "--queue"])
        assert exited.value.code in (0, None) and "Queued ingest" in capsys.readouterr().out
        first = _worker(env)
        # Killed once the first chunk is stored and before the run indexed or featurised anything.
        _wait(lambda: store.works.count() >= 2000, first, "the first worker stored nothing")
        _kill(first)
        assert store.works.count() < expected[0] or store.index.count() == 0
        second = _worker(env)
        try:
            def settled() -> bool:
                return (store.works.count() == expected[0] and store.index.count() == expected[0]
                        and not store.features.missing(store.features.current_version() or 0, limit=1)
                        and not _job_taken(url, "ingest"))
            _wait(settled, second, "the job never completed on the second worker")
        finally:
            _stop(second)
        with store.engine.connect() as conn:
            authors = conn.execute(sa.select(sa.func.count()).select_from(work_authors)).scalar()
            features = conn.execute(sa.select(sa.func.count()).select_from(work_features)
                                    .where(work_features.c.vocabulary == store.features.current_version())).scalar()
        assert (store.works.count(), authors) == expected  # nothing lost, no author row written twice
        assert features == expected[0]
    finally:
        store.close()


def test_a_worker_killed_mid_training_leaves_the_job_to_another(
        sample_store: Store, fresh_radar: Radar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import redis
    import sqlalchemy as sa

    from academichub.storage.schema import reader_models

    url = _queue_url()
    redis.Redis.from_url(url).flushdb()
    monkeypatch.setenv("ACADEMICHUB_BROKER_URL", url)
    from academichub.worker import actors  # connects to the broker of the environment when first imported
    database = sample_store.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "ACADEMICHUB_HOME": str(tmp_path / "queued"), "ACADEMICHUB_DATABASE_URL": database,
           "ACADEMICHUB_BROKER_URL": url}
    liked = [sample_store.works.get(i).public_id for i, _ in sample_store.search("galaxy", limit=6).hits]
    for paper in liked:
        feedback.give(sample_store, fresh_radar.user_id, paper, "like")
    actors.train_radar.send(fresh_radar.id)
    first = _worker(env)
    _wait(lambda: _job_taken(url, "training"), first, "the first worker never took the job")
    _kill(first)  # it was still building its services: nothing trained yet
    assert sample_store.reader_models.get(fresh_radar.id) is None
    second = _worker(env)
    try:
        _wait(lambda: sample_store.reader_models.get(fresh_radar.id) is not None and not _job_taken(url, "training"),
              second, "the job never completed on the second worker")
    finally:
        _stop(second)
    with sample_store.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(reader_models)
                            .where(reader_models.c.radar_id == fresh_radar.id)).scalar()
    assert len(liked) == 6 and rows == 1 and len(sample_store.reader_models.get(fresh_radar.id).positives) == 6


def _same_matrix(caught_up, fresh) -> None:  # type: ignore[no-untyped-def]
    assert caught_up.ids.tolist() == fresh.ids.tolist()
    assert (caught_up.sparse != fresh.sparse).nnz == 0
    assert caught_up.dense_ids.tolist() == fresh.dense_ids.tolist()
    assert np.array_equal(np.asarray(caught_up.dense), np.asarray(fresh.dense))


@pytest.mark.usefixtures("backend")
def test_a_matrix_catching_up_appends_new_works_in_place_and_rebuilds_on_a_changed_one(store: Store,
                                                                                         tmp_path: Path) -> None:
    from academichub.ingest.pipeline import ingest
    from academichub.ranking.learned import Linear
    from academichub.ranking.matrix import FeatureMatrix
    from academichub.ranking.scoring import score_all
    from tests.test_storage import listing_items

    def embed(ids: list[int]) -> None:  # vectors as an embedding step stores them: its own stamped write
        store.vectors.save("test-model", ids, np.asarray([[float(i), 1.0, -float(i)] for i in ids], dtype=np.float32))

    items = listing_items()
    ingest(store, items[:40], source="arxiv")  # fits the first vocabulary
    embed(list(range(1, 41)))
    matrix = FeatureMatrix(store, "test-model", folder=tmp_path / "a")
    first = matrix.current()
    before = (first.ids.copy(), first.sparse.copy(), np.array(first.dense))
    rng = np.random.default_rng(0)
    linear = Linear("classifier", rng.normal(size=first.sparse.shape[1]).astype(np.float32), 0.1,
                    rng.normal(size=3).astype(np.float32), -0.2)
    scores = score_all(first, linear, fold_ids=[5, 7], dislikes=[(9, 1.0)])
    for start in (40, 60):  # two appends: the second grows the buffers the first made
        ingest(store, items[start:start + 20], source="arxiv")
        embed(list(range(start + 1, start + 21)))
        appended = matrix.current()
        assert appended.lineage == first.lineage and appended.size == start + 20
        _same_matrix(appended, FeatureMatrix(store, "test-model", folder=tmp_path / f"fresh{start}").current())
        # A reader's scores over the grown matrix: the earlier ones extended by the new rows only.
        extended = score_all(appended, linear, fold_ids=[5, 7], dislikes=[(9, 1.0)], previous=scores)
        whole = score_all(appended, linear, fold_ids=[5, 7], dislikes=[(9, 1.0)])
        for name in ("sparse", "dense", "fold_sparse", "fold_dense", "dislike_sparse", "dislike_dense"):
            assert np.allclose(getattr(extended, name), getattr(whole, name), atol=1e-5), name
        # float32 products summed in another order differ in the 6th digit, and z-scores scale them up
        assert np.allclose(extended.fused(np.arange(appended.size)), whole.fused(np.arange(appended.size)), atol=1e-4)
        marked = replace(scores, sparse=scores.sparse + 1000)  # proves that the earlier rows were not scored again
        assert np.allclose(score_all(appended, linear, fold_ids=[5, 7], dislikes=[(9, 1.0)], previous=marked)
                           .sparse[:scores.size], scores.sparse + 1000)
        scores = extended
    # The snapshot threads were ranking with is unchanged by the appends after it.
    assert first.ids.tolist() == before[0].tolist() and (first.sparse != before[1]).nnz == 0
    assert np.array_equal(np.asarray(first.dense), before[2])
    # A stored work that changes (a new arXiv version) is not an append: a new matrix, equally exact.
    revised = replace(items[3], arxiv_version=(items[3].arxiv_version or 1) + 1, title="An entirely revised title",
                      abstract="Nothing like the first abstract: graphs, spectra and random walks.")
    assert ingest(store, [revised], source="arxiv").updated == 1
    rebuilt = matrix.current()
    assert rebuilt.lineage != first.lineage
    _same_matrix(rebuilt, FeatureMatrix(store, "test-model", folder=tmp_path / "fresh-revised").current())


def test_two_processes_writing_the_same_matrix_file_leave_one_complete_copy_and_no_warning(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from academichub.ingest.pipeline import ingest
    from academichub.ranking import matrix as matrix_module
    from academichub.ranking.matrix import FeatureMatrix
    from tests.test_storage import listing_items

    ingest(store, listing_items()[:30], source="arxiv")
    folder = tmp_path / "features"
    first, second = FeatureMatrix(store, "", folder=folder), FeatureMatrix(store, "", folder=folder)
    snapshot = first._open(store.features.current_version())  # writes the file
    written = next(p for p in folder.iterdir() if not p.name.startswith("."))
    shutil.rmtree(written)
    rename = Path.rename

    def other_process_finishes_first(self: Path, target: Path) -> Path:  # the race the check before cannot close
        monkeypatch.setattr(Path, "rename", rename)
        first._write_file(snapshot)
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", other_process_finishes_first)
    with caplog.at_level(logging.WARNING, logger=matrix_module.__name__):
        second._write_file(snapshot)
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert [p.name for p in folder.iterdir()] == [written.name]  # no temporary directory left behind
    _same_matrix(FeatureMatrix(store, "", folder=folder)._read_file(snapshot.vocabulary), snapshot)


@pytest.mark.usefixtures("backend")
def test_windows_and_followed_fields_brought_up_to_date_equal_ones_read_whole(store: Store) -> None:
    from academichub.ingest.pipeline import ingest
    from academichub.radar.rulematch import every_match
    from academichub.radar.windows import KeptCurrent, advance_members, advance_window
    from tests.test_storage import listing_items

    items = listing_items()
    ingest(store, items[:30], source="arxiv")
    day = store.works.get_many([1])[0].feed_date
    start, end = day - timedelta(days=3), day + timedelta(days=3)
    category = "cs.cv"  # the listing's largest field
    kept = KeptCurrent(store, 8)
    builds: list[str] = []

    def window() -> tuple:
        builds.append("window")
        return store.works.window(start, end)

    def members() -> np.ndarray:
        builds.append("members")
        return every_match(store, "category", category)

    def check() -> None:
        watermark = store.works.max_updated_at()
        ids, days = kept.get(("w",), watermark, window, advance_window(start, end))
        whole_ids, whole_days = store.works.window(start, end)
        assert ids.tolist() == whole_ids.tolist() and days.tolist() == whole_days.tolist()
        found = kept.get(("c",), watermark, members,
                         advance_members(lambda among: every_match(store, "category", category, among)))
        assert found.tolist() == every_match(store, "category", category).tolist()

    check()
    for start_at in (30, 60):  # new works only
        ingest(store, items[start_at:start_at + 30], source="arxiv")
        check()
    # A stored work moved out of the window and out of the category by a new version.
    first = next(i for i in items if "cs.CV" in i.categories)
    moved = replace(first, arxiv_version=(first.arxiv_version or 1) + 1, announced=day - timedelta(days=400),
                    categories=["q-bio.NC"], primary_category="q-bio.NC", title="A wholly different title")
    assert ingest(store, [moved], source="arxiv").updated == 1
    check()
    assert builds == ["window", "members"]  # read whole once; every later change was merged in


def test_vectors_of_a_fully_embedded_matrix_are_used_as_stored_and_gathered_otherwise() -> None:
    from academichub.ranking.matrix import _align

    ids = np.array([1, 2, 5])
    stored = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert _align(ids, ids.copy(), stored) is stored  # no copy: a mapped file stays shared between processes
    gathered = _align(np.array([1, 2, 3, 5]), ids, stored)  # work 3 not embedded yet: a zero row
    assert gathered.tolist() == [[0, 1], [2, 3], [0, 0], [4, 5]]
    assert _align(np.array([1, 2, 4]), ids, stored).tolist() == [[0, 1], [2, 3], [0, 0]]  # same length, other ids


def test_every_request_after_a_quiet_spell_is_answered(sample_store: Store, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Each pooled connection is pinged at checkout, as one idle past PING_AFTER_IDLE is: reads,
    # writes and pages must all run on a pinged connection (on PostgreSQL a ping that left a
    # transaction open made the next read fail with a 500 after every 10 s of quiet).
    from fastapi.testclient import TestClient

    from academichub.storage import engine as engines
    from academichub.web.app import create_app

    settings = make_settings(tmp_path / "quiet", _url_of(sample_store), feed={"batch_processes": 0})
    with TestClient(create_app(settings, store=sample_store)) as client:
        monkeypatch.setattr(engines, "PING_AFTER_IDLE", 0.0)
        for _ in range(2):
            for url in ("/", "/api/v1/feed", "/api/v1/health", "/search?q=learning", "/sources", "/api/v1/radars"):
                assert client.get(url).status_code == 200, url
            assert client.post("/api/v1/feed/next", json={}).status_code == 200


def test_the_feed_is_served_while_the_job_queue_is_away(sample_store: Store, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    # A stale radar's ranking sends a training job; with Redis down that send raised, and the
    # reader's first feed request answered 500. It ranks with what is stored and sends again later.
    import redis
    from fastapi.testclient import TestClient

    from academichub.web.app import create_app

    url = _queue_url()
    monkeypatch.setenv("ACADEMICHUB_BROKER_URL", url)  # what the actors module connects to
    from academichub.worker import actors

    sent: list[int] = []

    def refused(radar_id: int) -> None:
        sent.append(radar_id)
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    monkeypatch.setattr(actors.train_radar, "send", refused)
    settings = make_settings(tmp_path / "away", _url_of(sample_store), broker_url=url, feed={"batch_processes": 0})
    user = sample_store.accounts.create_user(f"reader-{uuid.uuid4().hex[:8]}", "Queue away")
    radar = sample_store.accounts.default_radar(user.id)
    follow(sample_store, radar.id, "category", "cs.LG")
    with caplog.at_level(logging.WARNING, logger="academichub.worker.training"), \
            TestClient(create_app(settings, store=sample_store)) as client:
        client.app.state.local_user = (user, radar)  # type: ignore[attr-defined]
        first = client.get("/api/v1/feed")
        assert first.status_code == 200, first.text[:300]
        paper = first.json()["items"][0]["id"]
        assert client.post("/api/v1/feedback", json={"paper": paper, "action": "like"}).status_code in (200, 201)
        after = client.post("/api/v1/feed/next", json={})
        assert after.status_code == 200 and after.json()["items"]
        assert client.get("/").status_code == 200
    assert sent and set(sent) == {radar.id}  # asked for, and not again within RESEND_SECONDS
    assert len(sent) == 1 and "could not queue radar" in caplog.text


def test_serve_sends_jobs_to_the_broker_its_settings_file_names(sample_home: Path) -> None:
    # `academichub --home H serve` with the broker only in H/settings.toml: the queue's module
    # builds its broker from the environment, which did not name it, so no training job was sent
    # (and before the queue was allowed to be away, the first feed request answered 400).
    import os
    import subprocess
    import sys
    import time

    import redis

    from academichub.settings import load_settings
    from academichub.worker.queue_status import queue_report
    from tests.browser import free_port

    url = f"redis://127.0.0.1:6379/{12 - int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:])}"
    redis.Redis.from_url(url).flushdb()
    (sample_home / "settings.toml").write_text(f'broker_url = "{url}"\n\n[schedule]\nenabled = false\n')
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "academichub", "--home", str(sample_home), "serve",
                               "--port", str(port)], env=dict(os.environ), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                feed = httpx.get(f"http://127.0.0.1:{port}/api/v1/feed", timeout=30)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert feed.status_code == 200, feed.text[:300]
        training = next(q for q in queue_report(load_settings(sample_home)) if q.queue == "training")
        while training.queued == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
            training = next(q for q in queue_report(load_settings(sample_home)) if q.queue == "training")
        assert training.queued >= 1 and not training.error  # the demo radar's model, sent to Redis
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.Redis.from_url(url).flushdb()


def test_concurrent_changes_of_one_reader_never_fail(sample_store: Store, tmp_path: Path) -> None:
    # Each was a read, then an insert or a delete: on PostgreSQL two processes both missed the row
    # and one failed on the unique key with a 500, or both deleted it and were both told so.
    from academichub.web.app import create_app
    from tests.conftest import DATA

    settings = make_settings(tmp_path / "served", _url_of(sample_store), feed={"batch_processes": 0})
    keyword = f"race {uuid.uuid4().hex[:8]}"
    clients = 8

    def together(call) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
        barrier = threading.Barrier(clients)

        def one(_: int) -> httpx.Response:
            with httpx.Client(base_url=base, timeout=60) as client:
                barrier.wait()
                return call(client)
        with ThreadPoolExecutor(clients) as pool:
            return list(pool.map(one, range(clients)))

    with running_server(settings, app=create_app(settings, store=sample_store)) as base:
        followed = together(lambda c: c.post("/api/v1/subscriptions", json={"kind": "keyword", "value": keyword}))
        assert [r.status_code for r in followed] == [201] * clients
        assert len({r.json()["id"] for r in followed}) == 1  # one chip, the same for everyone
        chip = followed[0].json()["id"]
        removed = together(lambda c: c.delete(f"/api/v1/subscriptions/{chip}"))
        assert sorted(r.status_code for r in removed) == [204] + [404] * (clients - 1)
        with httpx.Client(base_url=base, timeout=60) as client:
            radar = client.post("/api/v1/radars", json={"name": f"schedule {keyword}"}).json()["id"]
        scheduled = together(lambda c: c.put(f"/api/v1/radars/{radar}/briefing-schedule",
                                             json={"daily": True, "lang": "en"}))
        assert [r.status_code for r in scheduled] == [200] * clients
        # An author decision given twice at once, and the same library file imported twice at once:
        # each was a delete, then an insert, and the second insert failed on the unique key.
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.post("/api/v1/subscriptions", json={"kind": "author", "value": "Jianxiang He"}).status_code == 201
            paper = client.get("/api/v1/feed").json()["items"][0]["id"]
        decided = together(lambda c: c.post("/api/v1/authors/decision",
                                            json={"paper": paper, "author": "Jianxiang He", "same": True}))
        assert [r.status_code for r in decided] == [204] * clients
        library = (DATA / "library" / "zotero_export.ris").read_bytes()
        imported = together(lambda c: c.post("/api/v1/library", files={"file": (f"{keyword}.ris", library)}))
        assert [r.status_code for r in imported] == [201] * clients
        # Removing the same radar or delivery at once: one request removes it, the others are told
        # it is not there (each used to read it, then delete it, and all answered 204).
        delivery = httpx.post(f"{base}/api/v1/deliveries",
                              json={"channel": "email", "target": "race@example.org", "cadence": "daily"}).json()["id"]
        gone = together(lambda c: c.delete(f"/api/v1/deliveries/{delivery}"))
        assert sorted(r.status_code for r in gone) == [204] + [404] * (clients - 1)
        deleted = together(lambda c: c.delete(f"/api/v1/radars/{radar}"))
        assert sorted(r.status_code for r in deleted) == [204] + [404] * (clients - 1)
        with httpx.Client(base_url=base, timeout=60) as client:
            assert keyword not in [s["value"] for s in client.get("/api/v1/subscriptions").json()]
            sources = [s for s in client.get("/api/v1/library").json() if s["source"] == f"{keyword}.ris"]
            assert len(sources) == 1 and sources[0]["items"] > 0  # one import's items, not several


def test_a_radar_deleted_while_requests_use_it_is_not_found_and_leaves_nothing(sample_store: Store,
                                                                               tmp_path: Path) -> None:
    # 换一批, a chip, a briefing schedule, a delivery or a model stored for a radar deleted while the
    # request ran failed its foreign key (PostgreSQL) and answered 500; the feed page's head found
    # no row (500 on both). On SQLite a batch recorded meanwhile stayed in the feed's own file, for
    # the next radar given the same id to start with.
    import sqlalchemy as sa

    from academichub.storage.schema import feed_batches, seen_works
    from academichub.web.app import create_app

    settings = make_settings(tmp_path / "served", _url_of(sample_store), feed={"batch_processes": 0})
    calls = [lambda c, r: c.post(f"/api/v1/radars/{r}/feed/next", json={"period": "all"}),
             lambda c, r: c.get("/api/v1/feed", params={"radar": r, "period": "all"}),
             lambda c, r: c.post("/api/v1/subscriptions", params={"radar": r},
                                 json={"kind": "keyword", "value": f"k{uuid.uuid4().hex[:6]}"}),
             lambda c, r: c.put(f"/api/v1/radars/{r}/briefing-schedule", json={"daily": True, "lang": "en"}),
             lambda c, r: c.post("/api/v1/deliveries", params={"radar": r}, json={
                 "channel": "email", "target": f"{uuid.uuid4().hex[:6]}@example.org", "cadence": "daily"})]
    statuses: list[int] = []
    with running_server(settings, app=create_app(settings, store=sample_store)) as base:
        for _ in range(4):
            with httpx.Client(base_url=base, timeout=60) as client:
                radar = client.post("/api/v1/radars", json={"name": f"doomed {uuid.uuid4().hex[:8]}"}).json()["id"]
                client.post("/api/v1/subscriptions", params={"radar": radar}, json={"kind": "category", "value": "cs.CL"})
            work = [calls[n % len(calls)] for n in range(15)]
            work.insert(5, lambda c, r: c.delete(f"/api/v1/radars/{r}"))
            barrier = threading.Barrier(len(work))

            def one(call, radar=radar, barrier=barrier) -> int:  # type: ignore[no-untyped-def]
                with httpx.Client(base_url=base, timeout=60) as client:
                    barrier.wait()
                    return call(client, radar).status_code

            with ThreadPoolExecutor(len(work)) as pool:
                statuses += list(pool.map(one, work))
            with sample_store.feed_engine.connect() as conn:
                left = [conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.radar_id == radar)).scalar()
                        for t in (feed_batches, seen_works)]
            assert left == [0, 0]
    assert statuses and not [s for s in statuses if s >= 500]
    assert statuses.count(404) > 0 and statuses.count(204) == 4


def test_a_chip_followed_and_unfollowed_at_once_never_deadlocks(sample_store: Store, tmp_path: Path) -> None:
    # A removal held the chip's row and then waited for the radar's (to bump its version) while an
    # addition of the same chip held the radar's and waited for the chip's: PostgreSQL broke the
    # deadlock by failing one, answered 503.
    from academichub.web.app import create_app

    settings = make_settings(tmp_path / "served", _url_of(sample_store), feed={"batch_processes": 0})
    statuses: list[int] = []
    with running_server(settings, app=create_app(settings, store=sample_store)) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            radar = client.post("/api/v1/radars", json={"name": f"toggle {uuid.uuid4().hex[:8]}"}).json()["id"]
        chip = {"kind": "keyword", "value": "dark matter"}
        for _ in range(8):
            with httpx.Client(base_url=base, timeout=60) as client:
                chip_id = client.post("/api/v1/subscriptions", params={"radar": radar}, json=chip).json()["id"]
            barrier = threading.Barrier(8)

            def one(n: int, chip_id: int = chip_id, barrier: threading.Barrier = barrier) -> int:
                with httpx.Client(base_url=base, timeout=60) as client:
                    barrier.wait()
                    if n % 2:
                        return client.delete(f"/api/v1/subscriptions/{chip_id}", params={"radar": radar}).status_code
                    return client.post("/api/v1/subscriptions", params={"radar": radar}, json=chip).status_code

            with ThreadPoolExecutor(8) as pool:
                statuses += list(pool.map(one, range(8)))
    assert set(statuses) <= {201, 204, 404}, statuses


def test_the_same_briefing_asked_for_at_once_is_kept_once(sample_store: Store, tmp_path: Path) -> None:
    # Four requests for the same briefing at once each wrote a row (identical, four in the list);
    # asked for one after another, the later ones were already answered from the first.
    from academichub.web.app import create_app

    settings = make_settings(tmp_path / "served", _url_of(sample_store), feed={"batch_processes": 0})
    clients = 4
    with running_server(settings, app=create_app(settings, store=sample_store)) as base:
        with httpx.Client(base_url=base, timeout=120) as client:
            radar = client.post("/api/v1/radars", json={"name": f"brief {uuid.uuid4().hex[:8]}"}).json()["id"]
            client.post("/api/v1/subscriptions", params={"radar": radar}, json={"kind": "category", "value": "cs.CV"})
        barrier = threading.Barrier(clients)

        def ask(_: int) -> httpx.Response:
            with httpx.Client(base_url=base, timeout=120) as client:
                barrier.wait()
                return client.post("/api/v1/briefings", params={"radar": radar}, json={"lang": "en", "period": "week"})

        with ThreadPoolExecutor(clients) as pool:
            answers = list(pool.map(ask, range(clients)))
        assert [a.status_code for a in answers] == [201] * clients
        assert len({a.json()["id"] for a in answers}) == 1
        with httpx.Client(base_url=base, timeout=60) as client:
            listed = client.get("/api/v1/briefings", params={"radar": radar}).json()
        items = listed["items"] if isinstance(listed, dict) else listed
        assert len(items) == 1


def test_feedback_sent_at_once_keeps_one_row_and_one_side(sample_store: Store, fresh_radar: Radar) -> None:
    # Two likes at once each looked for an earlier like, saw none and stored one (PostgreSQL); a
    # like and a dismissal at once each took back what it saw, and both stayed.
    import sqlalchemy as sa

    from academichub.storage.schema import feedback as feedback_table

    user, clients = fresh_radar.user_id, 8
    ids, _days = sample_store.works.window(None, None)
    public = {w.id: w.public_id for w in sample_store.works.get_many(ids[:2].tolist())}
    papers = [public[work] for work in ids[:2].tolist()]

    def together(actions: list[str], paper: str) -> None:
        barrier = threading.Barrier(len(actions))

        def one(action: str) -> None:
            barrier.wait()
            feedback.give(sample_store, user, paper, action)
        with ThreadPoolExecutor(len(actions)) as pool:
            list(pool.map(one, actions))

    together(["like"] * clients, papers[0])
    together(["like", "dismiss"] * (clients // 2), papers[1])
    with sample_store.engine.connect() as conn:
        rows = conn.execute(sa.select(feedback_table.c.work_id, feedback_table.c.action)
                            .where(feedback_table.c.user_id == user)).all()
    by_paper = {public[work]: sorted(a for w, a in rows if w == work) for work in ids[:2].tolist()}
    assert by_paper[papers[0]] == ["like"]
    assert by_paper[papers[1]] in (["like"], ["dismiss"])  # the last one sent wins, never both


def test_a_fetch_the_queue_refused_is_sent_again_at_the_next_tick() -> None:
    # The stream was counted as out before the send: with Redis down its fetch waited an hour.
    import redis

    from academichub.worker.scheduler import QueuedFetches

    class Stream:
        key = "arxiv:listing:cs.CL"

    sent: list[str] = []

    def send(key: str) -> None:
        if not sent:
            sent.append("refused")
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        sent.append(key)
    queued = QueuedFetches(send, lambda _key: None)
    with pytest.raises(redis.exceptions.ConnectionError):
        queued(Stream())
    assert not queued.waiting(Stream(), None)  # due again at the next tick
    queued(Stream())
    assert sent == ["refused", Stream.key] and queued.waiting(Stream(), None)


def test_the_terms_a_reason_names_are_written_so_in_the_paper(sample_store: Store, fresh_radar: Radar) -> None:
    # A bigram is made once stop words are out: a card said "on video, temporal, fails capture"
    # of a paper that "fails to capture" (38% of the corpus's bigram occurrences span one).
    import re

    from academichub.tfidf import TOKEN, preprocess

    def written(term: str, text: str) -> bool:
        return re.search(r"\b" + r"\W+".join(map(re.escape, term.split())) + r"\b", preprocess(text)) is not None

    feed = FeedService(sample_store, FeedSettings())
    for paper in [sample_store.works.get(i).public_id for i, _ in sample_store.search("galaxy", limit=6).hits]:
        feedback.give(sample_store, fresh_radar.user_id, paper, "like")
    named = []
    for page in [feed.current(fresh_radar, period="all")] + [feed.next(fresh_radar, period="all") for _ in range(5)]:
        for card in page.cards:
            text = " ".join(re.findall(TOKEN, preprocess(f"{card.work.paper.title}. {card.work.paper.abstract}")))
            named += [(term, written(term, text)) for r in card.reasons if r.kind == "similar"
                      for term in r.value.split(", ")]
    assert sum(" " in term for term, _ in named) >= 3, named  # bigrams were named: the check checked something
    assert all(together for _, together in named), [term for term, together in named if not together]
    # No term is inside another of its reason ("manually annotated, annotated"), and three at most.
    for page in [feed.next(fresh_radar, period="all") for _ in range(5)]:
        for reason in (r for card in page.cards for r in card.reasons if r.kind == "similar"):
            terms = [set(t.split()) for t in reason.value.split(", ")]
            assert 1 <= len(terms) <= 3 and not any(a <= b for a, b in permutations(terms, 2)), reason.value


def test_a_similar_reason_keeps_the_terms_its_paper_writes() -> None:
    from academichub.ranking.reasons import Reason, as_written

    assert as_written([Reason("similar", "video, fails capture, temporal cues")],
                      "It fails to capture temporal cues of video.") == [Reason("similar", "video, temporal cues")]
    assert as_written([Reason("similar", "fails capture")], "It fails to capture it.") == []
    assert as_written([Reason("author", "A. Author")], "x") == [Reason("author", "A. Author")]
    # A phrase takes the place of the words it holds; the reason still names three terms when it can.
    assert as_written([Reason("similar", "annotated, video, manually annotated, traces, reasoning traces, graph")],
                      "Manually annotated video with reasoning traces on a graph.") == \
        [Reason("similar", "manually annotated, video, reasoning traces")]
    assert as_written([Reason("similar", "process reward, reward, model")], "A process reward model.") == \
        [Reason("similar", "process reward, model")]
    # A phrase not written so gives way to the word it holds, which stays.
    assert as_written([Reason("similar", "process reward, reward, model")], "A process of reward for a model.") == \
        [Reason("similar", "reward, model")]


@given(st.lists(st.sampled_from(["a", "b", "c", "a b", "b c", "a c", "a b c", "d", "d a"]), max_size=12))
def test_distinct_terms_never_name_a_term_inside_another(terms: list[str]) -> None:
    from academichub.ranking.reasons import distinct_terms

    chosen = distinct_terms(terms)
    assert len(chosen) <= 3 and len(set(chosen)) == len(chosen) and set(chosen) <= set(terms)
    assert not any(set(a.split()) <= set(b.split()) for a, b in permutations(chosen, 2))
    # Every term given is shown or inside a shown one, until three are shown.
    if len(chosen) < 3:
        assert all(any(set(t.split()) <= set(c.split()) for c in chosen) for t in terms)
