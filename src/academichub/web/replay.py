"""Replayed feed reads answered before FastAPI's routing: a kept rendering is a lookup, not a dependency graph.

Most feed requests are replays of a page kept in the process (web/pagecache.py). Under the mixed
load, FastAPI's per-request machinery around such a replay (its dependency graph and the query
parameters it validates) took 41% of the event loop's time, and the loop is where every request
of a web process waits its turn. This ASGI layer recognises the feed's reads — the page `/` and
its JSON twins `/api/v1/feed` and `/api/v1/radars/{id}/feed` — works out the page key and
variant with the routes' own functions, and answers with the kept bytes. Anything else (a miss,
a parameter it does not take as it is, a reader who must sign in, an unknown radar) goes on to
the routes unchanged, which validate, render and answer as before.
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from academichub.compose import database_unavailable
from academichub.errors import AcademicHubError
from academichub.radar import periods
from academichub.web.bounds import MAX_PAGE, ROW_ID_MAX
from academichub.web.deps import SignInRequired, context_of
from academichub.web.pagecache import json_variant, page_variant
from academichub.web.pages import remember_choices

_RADAR_FEED = re.compile(r"/api/v1/radars/([1-9][0-9]{0,9})/feed")
_PAGE_PARAMS = {"period", "radar", "lang", "page"}
_JSON_PARAMS = {"period", "radar", "lang"}


class Replays:
    """Answers a feed read from the page cache when it holds the rendering; passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            response = self._kept(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _kept(self, scope: Scope) -> Response | None:
        """The kept answer to this request, or None (the routes answer it)."""
        path = scope["path"]
        radar_feed = _RADAR_FEED.fullmatch(path) if path.startswith("/api/v1/radars/") else None
        if path not in ("/", "/api/v1/feed") and radar_feed is None:
            return None
        request = Request(scope)
        params = request.query_params
        if not set(params) <= (_PAGE_PARAMS if path == "/" else _JSON_PARAMS) or len(params) != len(params.multi_items()):
            return None  # seen-again views, date ranges, repeated or other parameters: the routes' own checks
        try:
            ctx = context_of(request)
            pages = ctx.app.pages
            if path == "/":
                page = params.get("page", "1")
                if not page.isdecimal() or not 1 <= int(page) <= MAX_PAGE:
                    return None
                variant, radar = page_variant(request, ctx, int(page)), ctx.radar
                period = params.get("period") or periods.DEFAULT
            else:
                variant, radar, period = json_variant(ctx), ctx.radar, params.get("period")
                if radar_feed is not None:
                    wanted = int(radar_feed.group(1))
                    radar = next((r for r in ctx.radars if r.id == wanted), None) if wanted <= ROW_ID_MAX else None
                    if radar is None:
                        return None
            _key, kept = pages.lookup(radar, period, variant)
        except (AcademicHubError, SignInRequired):  # the routes raise it again and answer it as they do
            return None
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            return None  # the routes read it again, where a lost connection is run again (web/reconnect.py)
        if kept is None:
            return None
        if path != "/":
            return Response(kept, media_type="application/json")
        return remember_choices(request, ctx, HTMLResponse(kept))
