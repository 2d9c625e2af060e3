"""Rendered feed pages kept per process, valid exactly while the store says nothing they show changed.

A feed request is mostly a replay: the recorded batch, rendered again. Each request reads the
radar's feed head (its newest batch and revision, the reader's feedback version, the shown works'
newest change, the resolved period: `FeedService.page_key`), and a rendering made under the same
head is served as it is. Any process may change the store; the key comes from the store, so a
cache in another process is never trusted beyond what it read.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from academichub.model.accounts import Radar
from academichub.radar.feed import FeedPage, FeedService
from academichub.radar.lru import Lru
from academichub.web.deps import RequestContext

KEPT = 512  # renderings per process: a few kB of JSON or HTML each


def page_variant(request: Request, ctx: RequestContext, page: int) -> tuple:
    """What the feed page prints besides its batch: the language, form token, URL, reader, radars."""
    return ("page", ctx.lang, ctx.csrf_subject, request.url.path, str(request.url.query), ctx.user, ctx.is_admin,
            ctx.radars, page)


def json_variant(ctx: RequestContext) -> tuple:
    """What the feed's JSON prints besides its batch: the language of its reason texts."""
    return ("json", ctx.lang)


class PageCache:
    """Renderings of `FeedService.current` keyed by its page key and how they were rendered."""

    def __init__(self, feed: FeedService, size: int = KEPT, *,
                 record: Callable[..., Awaitable[bool]] | None = None) -> None:
        """`record(radar, period=…)`: where a batch the page needs first is recorded (the batch
        process: web/batch_process.py), False when it was not; then the rendering records it."""
        self.feed = feed
        self.record = record
        self._kept = Lru(size)
        self._rendering: dict[tuple, Future] = {}
        self._lock = threading.Lock()

    def lookup(self, radar: Radar, period: str | None, variant: tuple) -> tuple[tuple | None, Any]:
        """(page key, the rendering kept under it or None): two indexed reads, cheap enough for the event loop."""
        key = self.feed.page_key(radar, period)
        return key, (self._kept.find((key, variant)) if key is not None else None)

    async def get(self, radar: Radar, period: str | None, variant: tuple, render: Callable[[FeedPage], Any]) -> Any:
        """`render(feed.current(radar, period))`: kept, or rendered in a worker thread.

        Requests that miss the same key together await one rendering on the event loop, holding
        no thread: after a 换一批 every reader of the radar misses at once, and waiting threads
        kept the 换一批 requests themselves from getting one.
        """
        key, kept = self.lookup(radar, period, variant)
        if kept is not None:
            return kept
        if key is None and self.record is not None and await self.record(radar, period=period):
            # A batch was recorded first, where the ranking lives.
            key, kept = self.lookup(radar, period, variant)
            if kept is not None:
                return kept
            if key is None:  # due again already (a newer day arrived meanwhile): shown as recorded
                return await run_in_threadpool(lambda: render(self.feed.current(radar, period=period, record=False)))
        if key is None:  # a batch is recorded first, by this rendering: nothing to share
            return await run_in_threadpool(lambda: render(self.feed.current(radar, period=period)))
        with self._lock:
            pending = self._rendering.get((key, variant))
            mine = pending is None
            if mine:
                pending = self._rendering[(key, variant)] = Future()
        if not mine:
            return await asyncio.wrap_future(pending)
        try:
            value = await run_in_threadpool(self._render, radar, period, variant, render, key)
            pending.set_result(value)
            return value
        except BaseException as exc:
            pending.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._rendering.pop((key, variant), None)

    def _render(self, radar: Radar, period: str | None, variant: tuple, render: Callable[[FeedPage], Any],
                key: tuple) -> Any:
        value = render(self.feed.current(radar, period=period))
        # Kept only if nothing changed while it was rendered: the keys read before and after agree.
        if self.feed.page_key(radar, period) == key:
            self._kept.keep((key, variant), value)
        return value
