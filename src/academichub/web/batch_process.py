"""换一批, and any other ranking a page needs, served by a process of its own beside each web process (`feed.batch_processes`).

Ranking and claiming a batch is Python work. On the web process's request threads it held the
GIL that the event loop (which answers every replayed page) and the page renders wait for, and
every statement of a claim gave the GIL up while holding the store's write lock and queued to get
it back behind them (bench/load.py, mixed, 60 s with a corpus ingest beside it, paired: 226 →
322 requests/s, p99 744 → 614 ms). The batch process builds the same
services from the same settings (compose.build) and runs `FeedService.next` on a few threads of
its own; requests and answers travel over a pipe. A page whose batch must be recorded first (a
new day, a chip or period change) and the seen-again view are ranked there too, so a web process
that only replays and renders never loads the feature matrix (about 250 MB at 50,000 works).

It is only where the work runs: every claim is stored under the (radar, work) key, so nothing
depends on which process made it. Requests wait for a process that is starting (up to
STARTING_WAIT); after one died, they run on the web process's threads (a new process is started,
at most once per RESTART_AFTER seconds).
It stops when the web process closes the pipe, and by itself when its parent is gone.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from academichub import compose
from academichub.compose import connection_lost
from academichub.errors import AcademicHubError
from academichub.i18n import gettext_for
from academichub.model.accounts import Radar
from academichub.present.feed import page_body
from academichub.radar.feed import FeedPage, FeedService
from academichub.settings import Settings

log = logging.getLogger(__name__)
THREADS = 4  # in the batch process: while one claim waits for the write lock, others rank
RESTART_AFTER = 30.0  # seconds between two starts of a batch process that keeps dying
STARTING_WAIT = 30.0  # seconds a request waits for a starting batch process before it is served here
PARENT_CHECK = 1.0  # seconds between the batch process's checks that its web process still runs


class _Lost(Exception):
    """The batch process ended before it answered."""


def _serve(settings: Settings, conn: Any, parent: int) -> None:  # runs in the batch process
    # Ctrl+C in a terminal reaches the whole process group: the web process closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent-watch").start()
    services = compose.build(settings, store=compose.open_store(settings, sync=False))
    services.feed.matrix.current()  # the shared feature matrix, mapped before the first 换一批
    with ThreadPoolExecutor(THREADS, thread_name_prefix="batch") as pool:
        queues = _RadarQueues(services.feed, pool, conn)
        conn.send(("ready",))
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            queues.add(message)
    services.close()


@dataclass(frozen=True)
class _Request:
    """One request to the batch process: its key, the radar, the period, what to do ("next": 换一批,
    answered as the API's JSON in `lang`, or not at all without one; "record": the batch the page
    shows now, recorded or re-ranked if due; "seen": the seen-again view's page `page`)."""

    key: int
    radar: Radar
    period: str | None
    lang: str | None = None
    op: str = "next"
    page: int = 1
    after: int | None = None  # "next" from a page that showed this batch (FeedService.next_after)


class _RadarQueues:
    """The batch process's 换一批, one radar at a time: those of a radar that arrive while one of
    it runs wait here, holding no thread, and are then served together by one ranking.

    With a thread per request, the requests of a busy radar waited for its claim lock on pool
    threads while other radars' requests queued behind them for a thread.
    """

    def __init__(self, feed: FeedService, pool: ThreadPoolExecutor, conn: Any) -> None:
        self.feed, self.pool, self.conn = feed, pool, conn
        self._waiting: dict[int, list[_Request]] = {}  # radar id -> requests that came meanwhile; present: running
        self._lock = threading.Lock()
        self._sending = threading.Lock()

    def add(self, request: _Request) -> None:
        """Queue one 换一批; it starts at once unless its radar has one running."""
        with self._lock:
            if request.radar.id in self._waiting:
                self._waiting[request.radar.id].append(request)
                return
            self._waiting[request.radar.id] = []
        self.pool.submit(self._run, request.radar.id, [request])

    def _run(self, radar_id: int, requests: list[_Request]) -> None:
        while requests:
            for op, period in dict.fromkeys((r.op, r.period) for r in requests):  # in arrival order
                alike = [r for r in requests if r.op == op and r.period == period]
                for group in _groups(op, alike):
                    self._serve(group)
            with self._lock:
                requests = self._waiting[radar_id]
                if requests:
                    self._waiting[radar_id] = []
                else:
                    del self._waiting[radar_id]

    def _serve(self, requests: list[_Request]) -> None:
        newest = requests[-1]  # the newest radar record the web process read
        try:
            answered = _again_if_lost(lambda: self._answers(newest, len(requests)))
            answers = [(r.key, "page", _body(answer, r.lang) if r.op == "next" else answer)
                       for r, answer in zip(requests, answered, strict=True)]
        except AcademicHubError as exc:  # what the reader is told (the web process maps it to a status)
            answers = [(r.key, "error", exc) for r in requests]
        except Exception as exc:  # a bug: logged here with its traceback, a 500 over there
            log.exception("batch process: 换一批 failed")
            error = RuntimeError(f"batch process: {type(exc).__name__}: {exc}")
            answers = [(r.key, "error", error) for r in requests]
        with self._sending:
            for answer in answers:
                self.conn.send(answer)

    def _answers(self, request: _Request, count: int) -> list[Any]:
        self.feed.store.sync_board()  # a like the web process just stored counts (PostgreSQL)
        if request.op == "record":
            self.feed.current(request.radar, period=request.period)
            return [True]
        if request.op == "seen":
            return [self.feed.current(request.radar, period=request.period, show_seen=True, page=request.page)]
        if request.after is not None:
            return [self.feed.next_after(request.radar, period=request.period, after=request.after)]
        return self.feed.next_many(request.radar, period=request.period, count=count)


def _groups(op: str, alike: list[_Request]) -> list[list[_Request]]:
    """How requests of one radar, kind and period are served: plain 换一批 together by one ranking,
    anything else (a page's 换一批 naming its batch, a recording, the seen-again view) one by one."""
    if op != "next":
        return [[r] for r in alike]
    shared = [r for r in alike if r.after is None]
    return ([shared] if shared else []) + [[r] for r in alike if r.after is not None]


def _again_if_lost(run: Any) -> Any:
    """`run()`, once more if it failed on a database connection the server had closed (a restart):
    the pool is emptied by then, and nothing was claimed, since a claim is one transaction."""
    try:
        return run()
    except Exception as exc:
        if not connection_lost(exc):
            raise
        log.warning("database connection lost (%s); 换一批 runs again on a new one", type(exc).__name__)
        return run()


def _body(page: FeedPage, lang: str | None) -> bytes | None:
    """A recorded batch as the API's JSON body in a language (None: not wanted). Made here, it
    crosses the pipe as bytes: a pickled page of ten works cost the web process its unpickling."""
    return page_body(page, gettext_for(lang)) if lang else None


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(0)  # the web process was killed: nobody reads what this process would answer


class _Child:
    """One batch process, the pipe to it and the answers it owes."""

    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")  # fork would copy a threaded process's locks
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(settings, theirs, os.getpid()), daemon=True,
                                       name="academichub-batches")
        self.process.start()
        theirs.close()
        self.ready = threading.Event()
        self.lost = False
        self._keys = itertools.count()
        self._owed: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._receive, daemon=True, name="batch-answers").start()

    async def ask(self, radar: Radar, period: str | None, **what: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        key = next(self._keys)
        with self._lock:
            if self.lost:
                raise _Lost
            self._owed[key] = (loop, future)
            try:
                self.conn.send(_Request(key, radar, period, **what))
            except (OSError, ValueError):  # the pipe is closed: the process ended
                del self._owed[key]
                raise _Lost from None
        return await future

    def _receive(self) -> None:
        try:
            while True:
                message = self.conn.recv()
                if message[0] == "ready":
                    self.ready.set()
                    continue
                key, kind, value = message
                with self._lock:
                    loop, future = self._owed.pop(key)
                _post(loop, future, kind, value)
        except (EOFError, OSError):
            pass
        finally:
            with self._lock:
                self.lost = True
                owed, self._owed = list(self._owed.values()), {}
            for loop, future in owed:
                _post(loop, future, "lost", None)

    def close(self) -> None:
        try:
            with self._lock:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def _post(loop: asyncio.AbstractEventLoop, future: asyncio.Future, kind: str, value: Any) -> None:
    try:
        loop.call_soon_threadsafe(_settle, future, kind, value)
    except RuntimeError:  # the loop is closed: the server stopped, nobody awaits the answer
        pass


def _settle(future: asyncio.Future, kind: str, value: Any) -> None:
    if future.done():  # the request was cancelled (its client left); the batch is recorded all the same
        return
    if kind == "page":
        future.set_result(value)
    else:
        future.set_exception(_Lost() if kind == "lost" else value)


class NextBatches:
    """换一批 for the web process: in its batch process when one is running, else on a request thread."""

    def __init__(self, settings: Settings, feed: FeedService) -> None:
        # The batch process opens the store this web process serves, which a caller may have
        # opened elsewhere than the settings say (its data directory holds the feature files).
        store = feed.store
        self.settings = settings.model_copy(update={
            "home": store.vectors_dir.parent, "database_url": store.engine.url.render_as_string(hide_password=False)})
        self.feed = feed
        self.enabled = settings.feed.batch_processes > 0
        self._child: _Child | None = None
        self._started = 0.0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the batch process (it warms up while the first 换一批 run here)."""
        if not self.enabled:
            return
        with self._lock:
            if self._child is None or (self._child.lost and time.monotonic() - self._started >= RESTART_AFTER):
                if self._child is not None:
                    log.warning("batch process: ended (exit code %s); starting another",
                                self._child.process.exitcode)
                    self._child.close()
                self._started = time.monotonic()
                self._child = _Child(self.settings)

    async def next(self, radar: Radar, *, period: str | None = None, lang: str | None = None,
                   after: int | None = None) -> bytes | None:
        """Record the radar's next batch (FeedService.next; with `after`, FeedService.next_after); with
        `lang`, return it as the API's JSON body (FeedPublic) in that language."""
        def here() -> bytes | None:
            if after is None:
                return _body(self.feed.next(radar, period=period), lang)
            return _body(self.feed.next_after(radar, period=period, after=after), lang)
        return await self._ask(radar, period, here, lang=lang, after=after)

    async def record(self, radar: Radar, *, period: str | None = None) -> bool:
        """Record (or re-rank) the batch the radar's page shows now, if one is due (FeedService.current),
        where the ranking lives; False when no batch process took it (the page's rendering records it)."""
        return await self._ask(radar, period, lambda: False, op="record")

    async def seen(self, radar: Radar, *, period: str | None = None, page: int = 1) -> FeedPage:
        """The seen-again view (FeedService.current with show_seen), ranked where the ranking lives."""
        return await self._ask(radar, period, lambda: self.feed.current(radar, period=period, show_seen=True,
                                                                         page=page), op="seen", page=page)

    async def _ask(self, radar: Radar, period: str | None, here: Any, **what: Any) -> Any:
        """Ask the batch process, or run `here` on a request thread when it is not ready (or is lost)."""
        if self._child is not None and self._child.lost:
            self.start()
        child = self._child
        if child is not None and self.state == "starting":
            # Waited for rather than served here: a web process that ranks once maps or builds the
            # whole feature matrix too (seconds, and a few hundred MB for as long as it runs).
            deadline = time.monotonic() + STARTING_WAIT
            while self.state == "starting" and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        if child is not None and self.ready:
            try:
                return await child.ask(radar, period, **what)
            except _Lost:
                log.warning("batch process: lost before it answered; served here")
        return await run_in_threadpool(_again_if_lost, here)

    @property
    def state(self) -> str:
        """"off" (0 in the settings), "starting", "ready" or "down" (换一批 served on the request threads)."""
        child = self._child
        if not self.enabled:
            return "off"
        if child is None or child.lost:
            return "down"
        return "ready" if child.ready.is_set() else "starting"

    @property
    def ready(self) -> bool:
        """Whether 换一批 goes to the batch process now."""
        return self.state == "ready"

    @property
    def process(self) -> multiprocessing.Process | None:
        """The running batch process, if any (for health and tests)."""
        return self._child.process if self.state in ("ready", "starting") else None

    def close(self) -> None:
        """Stop the batch process."""
        with self._lock:
            if self._child is not None:
                self._child.close()
                self._child = None
