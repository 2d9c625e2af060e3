"""CSRF tokens for forms and security headers on every response (the secret lives in auth.secret)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")


def csrf_token(secret: bytes, subject: str) -> str:
    """The form token bound to a subject (the user)."""
    return hmac.new(secret, f"csrf:{subject}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, subject: str, token: str | None) -> bool:
    """Constant-time check of a submitted form token."""
    return bool(token) and hmac.compare_digest(csrf_token(secret, subject), token or "")


HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "X-Frame-Options": "DENY"}


class SecurityHeaders:
    """Adds CSP and friends; pages load only the package's own assets.

    Plain ASGI rather than BaseHTTPMiddleware, which costs a task and a stream per request
    (a quarter of a cached feed request's time).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


MAX_BODY = 51_000_000  # the largest library upload (50 MB) and its multipart framing


class RequestLimits:
    """Refuses a NUL character in the URL (400) and a request body past MAX_BODY before it is read:
    by its Content-Length at once (413), and, for a body sent without one, by counting as it
    arrives (413 as soon as it passes).

    Without it a multipart upload was spooled in full before the route could look at its size, and
    a %00 in a paper id or a search filter reached PostgreSQL, whose text refuses NUL: a 500.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            await _refused(send, 400, "bad_request", "request: the URL holds a NUL character (%00)")
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # raised inside the body parsing: answered as a 413
                    raise HTTPException(413, f"request body larger than {self.limit // 1_000_000} MB")
            return message

        await self.app(scope, counted, send)


async def _too_large(send: Send, limit: int) -> None:
    await _refused(send, 413, "too_large", f"request body larger than {limit // 1_000_000} MB")


async def _refused(send: Send, status: int, code: str, message: str, *, close: bool = True) -> None:
    """Answer an API error before the app runs (`close`: the request's body was left unread)."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + [(b"connection", b"close")] if close else headers})
    await send({"type": "http.response.body", "body": body})


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SameOrigin:
    """State changes on the JSON API without a token must come from the app's own pages.

    A session cookie (or, in local mode, simply reaching the server) is ambient authority: a page
    on another port of the same host posted a file into the reader's library with
    `fetch(…, {mode: "no-cors", credentials: "include"})`, which needs no JSON content type.
    Browsers say where a request comes from: `Sec-Fetch-Site` (only "same-origin" passes) or,
    from older ones, `Origin` (it must name this host). Calls with `Authorization: Bearer` carry
    their own proof and pass; so do clients that send neither header (no browser would).
    """

    def __init__(self, app: ASGIApp, public_url: str = "") -> None:
        self.app = app
        self.public_origin = _origin_of(public_url) if public_url else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and scope["path"].startswith("/api/"):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            if not headers.get("authorization", "").lower().startswith("bearer ") and not self._same_origin(headers):
                await _refused(send, 403, "forbidden", "api: a cross-site request cannot change anything here",
                               close=False)
                return
        await self.app(scope, receive, send)

    def _same_origin(self, headers: dict[str, str]) -> bool:
        site = headers.get("sec-fetch-site")
        if site is not None:
            return site in ("same-origin", "none")
        origin = headers.get("origin")
        if origin is None:
            return True
        return origin != "null" and (origin.split("://", 1)[-1] == headers.get("host", "")
                                     or (bool(self.public_origin) and origin == self.public_origin))


def _origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


class KnownHosts:
    """A local-mode install answers only under its own names: an IP address, localhost, the host of
    `public_url`, or one of `auth.host_names`.

    Local mode has no sign-in: reaching the server is the authority. A web page whose name the
    attacker re-points at 127.0.0.1 after it loaded (DNS rebinding) is then same-origin with it,
    and read the reader's library and followed authors, or changed them, under its own host name.
    An IP literal cannot be rebound, so only names are checked.
    """

    def __init__(self, app: ASGIApp, names: list[str], public_url: str = "") -> None:
        self.app = app
        self.names = {name.lower().rstrip(".") for name in (*names, urlsplit(public_url).hostname) if name}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if not self.known(host):
                await _refused(send, 403, "forbidden",
                               f"host: {host[:100]!r} is not a name of this install; a local install answers at "
                               "127.0.0.1 or localhost (add a name to auth.host_names to allow it)")
                return
        await self.app(scope, receive, send)

    def known(self, host: str) -> bool:
        """Whether a request whose Host header is `host` ("name:port", "[::1]:8000") may be answered."""
        if not host:
            return True  # no Host header at all: HTTP/1.0 and raw clients, which no browser sends
        try:
            name = (urlsplit(f"//{host}").hostname or "").rstrip(".")  # lower-cased, port and brackets gone
        except ValueError:  # "[::1" and the like: no host this install has
            return False
        if name == "localhost" or name.endswith(".localhost") or name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
