"""换一批 in a process of its own: the same claims made elsewhere, and nothing lost when it dies."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from academichub.errors import NotFoundError
from academichub.model.accounts import Radar
from academichub.settings import Settings
from academichub.storage.store import Store
from academichub.web import batch_process
from academichub.web.app import create_app
from academichub.web.batch_process import NextBatches
from tests.browser import free_port, running_server
from tests.conftest import make_settings


def _settings(store: Store, home: Path) -> Settings:
    url = store.engine.url
    database = None if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=False)
    return make_settings(home, database, feed={"batch_processes": 1})


def _wait_ready(batches: NextBatches, seconds: float = 90) -> int:
    deadline = time.monotonic() + seconds
    while not batches.ready:
        assert time.monotonic() < deadline, "the batch process did not start"
        time.sleep(0.1)
    assert batches.process is not None
    return batches.process.pid


def _refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
    raise AssertionError("换一批 ran in the web process")


def _clicks(base: str, clients: int, each: int) -> list[dict]:
    barrier = threading.Barrier(clients)

    def click(_: int) -> list[dict]:
        pages = []
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            for _ in range(each):
                response = client.post("/api/v1/feed/next", json={"period": "all"})
                assert response.status_code == 200, response.text
                pages.append(response.json())
        return pages

    with ThreadPoolExecutor(clients) as pool:
        return [page for result in pool.map(click, range(clients)) for page in result]


def test_concurrent_next_is_claimed_by_the_batch_process_and_never_repeats(sample_store: Store,
                                                                          tmp_path: Path) -> None:
    settings = _settings(sample_store, tmp_path / "elsewhere")  # the store is not where the settings point
    app = create_app(settings, store=sample_store)
    state = app.state.academichub
    with running_server(settings, app=app) as base:
        pid = _wait_ready(state.batches)
        assert pid != os.getpid() and psutil.Process(pid).ppid() == os.getpid()
        state.feed.next = _refuse  # every batch below is the batch process's
        pages = _clicks(base, 6, 4)
        with httpx.Client(base_url=base, timeout=60) as client:  # the web process replays what it recorded
            assert client.get("/api/v1/feed?period=all").json()["batch"] == max(p["batch"] for p in pages)
            # A page that needs its batch re-ranked first (another period), and the seen-again view,
            # are ranked there too: the web process never loads the feature matrix.
            week = client.get("/?period=week")
            assert week.status_code == 200 and "data-id=" in week.text
            assert client.get("/api/v1/feed?seen=true&period=all").json()["items"]
            assert state.feed.matrix._snapshot is None
    shown = [item["id"] for page in pages for item in page["items"]]
    assert len(pages) == 24 and len(shown) == 240 and len(set(shown)) == 240
    assert len({page["batch"] for page in pages}) == 24
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE  # stopped with the app


def test_a_killed_batch_process_loses_no_request_and_is_replaced(sample_store: Store, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(sample_store, tmp_path / "elsewhere")
    app = create_app(settings, store=sample_store)
    state = app.state.academichub
    serve_here = state.feed.next
    with running_server(settings, app=app) as base:
        first = _wait_ready(state.batches)
        before = _clicks(base, 3, 2)
        assert httpx.get(f"{base}/api/v1/health").json()["batch_process"] == "ready"
        os.kill(first, signal.SIGKILL)
        psutil.Process(first).wait(timeout=10)
        during = _clicks(base, 3, 2)  # served on the web process's threads meanwhile (within RESTART_AFTER)
        assert not state.batches.ready
        assert httpx.get(f"{base}/api/v1/health").json()["batch_process"] == "down"
        monkeypatch.setattr(batch_process, "RESTART_AFTER", 0.0)
        _clicks(base, 1, 1)  # notices the lost process and starts another
        second = _wait_ready(state.batches)
        assert second != first
        state.feed.next = _refuse
        after = _clicks(base, 3, 2)
        state.feed.next = serve_here
    shown = [item["id"] for page in before + during + after for item in page["items"]]
    assert len(shown) == 180 and len(set(shown)) == 180


def test_an_error_in_the_batch_process_reaches_the_request(sample_store: Store, tmp_path: Path) -> None:
    settings = _settings(sample_store, tmp_path / "elsewhere")
    app = create_app(settings, store=sample_store)
    batches = app.state.academichub.batches
    batches.start()
    try:
        _wait_ready(batches)
        with pytest.raises(NotFoundError, match="no radar 999999"):
            asyncio.run(batches.next(Radar(999999, 1, "gone", False, 0)))
        assert batches.ready  # one failed 换一批 does not end the process
    finally:
        batches.close()
    assert batches.process is None


def test_the_batch_process_ends_when_its_web_process_is_killed(sample_home: Path) -> None:
    home = sample_home.parent / "served"
    shutil.copytree(sample_home, home)
    port = free_port()
    env = {**os.environ, "ACADEMICHUB_HOME": str(home), "ACADEMICHUB_SCHEDULE__ENABLED": "false"}
    server = subprocess.Popen([sys.executable, "-m", "academichub", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        children: list[psutil.Process] = []
        while not children:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no batch process started"
            children = [p for p in psutil.Process(server.pid).children() if "spawn_main" in " ".join(p.cmdline())]
            time.sleep(0.2)
        server.kill()
        server.wait(timeout=10)
        _gone, alive = psutil.wait_procs(children, timeout=batch_process.PARENT_CHECK * 10)
        assert not alive, "the batch process outlived its web process"
    finally:
        if server.poll() is None:
            server.kill()


class _Pipe:
    """What the batch process's queues send their answers to."""

    def __init__(self) -> None:
        self.sent: list[tuple] = []
        self.lock = threading.Lock()

    def send(self, answer: tuple) -> None:
        with self.lock:
            self.sent.append(answer)


def test_a_radars_next_arriving_while_one_runs_wait_holding_no_thread_and_are_served_together(
        sample_store: Store, fresh_radar: Radar) -> None:
    from academichub.radar.feed import FeedService
    from academichub.settings import FeedSettings

    feed = FeedService(sample_store, FeedSettings())
    running, go = threading.Event(), threading.Event()
    calls: list[int] = []
    real = feed.next_many

    def slow_first(radar, *, period=None, count=1):  # type: ignore[no-untyped-def]
        calls.append(count)
        if len(calls) == 1:
            running.set()
            assert go.wait(30)
        return real(radar, period=period, count=count)

    feed.next_many = slow_first
    pipe = _Pipe()
    with ThreadPoolExecutor(2) as pool:
        queues = batch_process._RadarQueues(feed, pool, pipe)
        queues.add(batch_process._Request(0, fresh_radar, "all", "en"))
        assert running.wait(30)
        for key in (1, 2, 3):  # the radar's others: queued, while a second thread is free
            queues.add(batch_process._Request(key, fresh_radar, "all", None))
        time.sleep(0.2)
        assert calls == [1]  # none of them took the free thread
        go.set()
    assert calls == [1, 3]  # one ranking served the three queued together
    assert [key for key, _, _ in pipe.sent] == [0, 1, 2, 3]
    first = json.loads(pipe.sent[0][2])
    assert pipe.sent[0][1] == "page" and len(first["items"]) == 10 and first["batch"] is not None
    assert all(kind == "page" and body is None for _, kind, body in pipe.sent[1:])  # no language asked: recorded only
    seen = {w for w, _ in sample_store.feed_state.seen_since(fresh_radar.id, 0)}
    assert len(seen) == 40  # four batches of ten, no paper claimed twice


def test_the_same_next_form_sent_several_times_at_once_records_one_batch(sample_store: Store,
                                                                         tmp_path: Path) -> None:
    # The form names the batch its page showed: sent again (a double click, a reload that posts
    # again, at once or later), it shows the batch already recorded after that one instead of
    # recording another whose papers the reader would never see. Without it, 换一批 is as before.
    import re
    import uuid

    settings = _settings(sample_store, tmp_path / "elsewhere")
    app = create_app(settings, store=sample_store)
    state = app.state.academichub
    user, _default = sample_store.accounts.ensure_local_user()
    radar = sample_store.accounts.create_radar(user.id, f"forms {uuid.uuid4().hex[:6]}")
    with running_server(settings, app=app) as base:
        _wait_ready(state.batches)
        state.feed.next_after = _refuse  # served by the batch process
        with httpx.Client(base_url=base, timeout=60, cookies={"ah_radar": str(radar.id)}) as client:
            page = client.get("/?period=all").text
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
            after = int(re.search(r'name="after" value="(\d+)"', page).group(1))
            form = {"csrf": csrf, "period": "all", "after": str(after)}
            barrier = threading.Barrier(4)

            def send(_: int) -> int:
                barrier.wait()
                return client.post("/feed/next", data=form).status_code

            with ThreadPoolExecutor(4) as pool:
                assert list(pool.map(send, range(4))) == [303] * 4
            assert client.get("/api/v1/feed?period=all").json()["batch"] == after + 1
            assert client.post("/feed/next", data=form).status_code == 303  # sent again, moments later
            shown = client.get("/?period=all").text
            assert f'name="after" value="{after + 1}"' in shown
            assert client.post("/feed/next", data={"csrf": csrf, "period": "all"}).status_code == 303
            assert client.get("/api/v1/feed?period=all").json()["batch"] == after + 2  # no `after`: a new one
