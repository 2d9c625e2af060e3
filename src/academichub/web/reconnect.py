"""What a request gets when the database is away: a read runs again once on a new connection, the
rest is answered 503 with a reason, never a bare 500.

When PostgreSQL restarts, every connection in every process's pool is dead. SQLAlchemy finds out
on the next use: it empties the pool and raises. Without this layer, the first request in each
web process answered 500 (measured: a restart under `serve --workers 2`). GET and HEAD requests
change nothing, so they run again once and the pool connects afresh. A write is not repeated
here. It is answered 503 with Retry-After, as is anything asked while the database cannot be
reached at all, and the reader sends it again.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from academichub.compose import connection_lost, database_unavailable
from academichub.web import pages

log = logging.getLogger(__name__)
RETRY_AFTER = 5  # seconds a client is asked to wait before sending the request again
EMPTY_BODY: Message = {"type": "http.request", "body": b"", "more_body": False}  # what a GET or HEAD carries
MESSAGE = "database: unavailable for a moment (a restart or a lost connection); try again shortly"


class DatabaseOutages:
    """Runs a GET or HEAD again after a lost connection; answers 503 for what the database could not serve."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        failure = await self._attempt(scope, receive, send)
        if failure is not None and scope["method"] in ("GET", "HEAD") and connection_lost(failure):
            log.warning("database connection lost (%s); %s %s runs again on a new one",
                        type(failure).__name__, scope["method"], scope["path"])
            replay = iter([EMPTY_BODY])

            async def again() -> Message:  # a read's (empty) body once more, then the live stream
                return next(replay, None) or await receive()

            failure = await self._attempt(scope, again, send)
        if failure is None:
            return
        log.warning("database unavailable (%s: %s); %s %s answered 503", type(failure).__name__,
                    str(failure).splitlines()[0][:200], scope["method"], scope["path"])
        await _unavailable(scope)(scope, receive, send)

    async def _attempt(self, scope: Scope, receive: Receive, send: Send) -> Exception | None:
        """Run the app; the database error it failed with before answering anything, else None
        (any other error, or one after the answer began, is raised as it is)."""
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started or not database_unavailable(exc):
                raise
            return exc
        return None


def _unavailable(scope: Scope):  # type: ignore[no-untyped-def]
    request = Request(scope)
    if scope["path"].startswith("/api/"):
        response = JSONResponse({"error": {"code": "database_unavailable", "message": MESSAGE}}, status_code=503)
    else:
        response = pages.error_page(request, 503, MESSAGE)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response
