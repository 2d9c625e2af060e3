"""The one HTTP layer every source fetches through: polite per-host pacing, retries, size cap.

Retries cover timeouts, connection failures, 429 and 5xx, with exponential backoff plus
jitter, and honour a Retry-After header. Failures are raised as the classified errors of
`academichub.errors`, with the calling component named in the message. Tests swap the
network for recorded bytes through the `transport` seam (an `httpx.MockTransport` or any
httpx transport); the live path is the same code.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from academichub import __version__
from academichub.errors import (
    FetchError,
    HttpClientError,
    HttpServerError,
    NetworkError,
    RateLimitedError,
    TimeoutError_,
    TooLargeError,
)
from academichub.sources.contract import HttpSettings

log = logging.getLogger(__name__)
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 600.0
DEFAULT_CONCURRENCY = 2


@dataclass(frozen=True)
class FetchResult:
    """A successful response body with what a caller may need of its headers."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET (nothing new since the last fetch)."""
        return self.status == 304

    @property
    def etag(self) -> str | None:
        """The validator to send next time as If-None-Match."""
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        """The validator to send next time as If-Modified-Since."""
        return self.headers.get("Last-Modified")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header given as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when - (now if now is not None else time.time())), MAX_RETRY_AFTER)


class HostPacer:
    """Keeps at least `interval` seconds between the starts of requests to one host."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._clock, self._sleep = clock, sleep
        self._intervals: dict[str, float] = {}
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def set_interval(self, host: str, seconds: float) -> None:
        """Set the minimum spacing for `host`."""
        self._intervals[host] = seconds

    def wait(self, host: str) -> None:
        """Block until a request to `host` is allowed, and reserve the slot."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self._intervals.get(host, 0.0)
        if start > now:
            self._sleep(start - now)

    def push_back(self, host: str, seconds: float) -> None:
        """Delay the next request to `host` (a server asked us to slow down)."""
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), self._clock() + seconds)


class HttpClient:
    """A small polite client over httpx; one instance is shared by all sources of a run."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self.pacer = HostPacer(clock, sleep)
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        contact = f"; mailto:{settings.contact_email}" if settings.contact_email else ""
        self.user_agent = f"AcademicHub/{__version__} (research radar{contact})"
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            headers={"User-Agent": self.user_agent},
            follow_redirects=True,
        )

    def close(self) -> None:
        """Release connections."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def configure_host(self, url: str, min_interval: float, max_concurrency: int = 1) -> None:
        """Pace requests to the host of `url` and cap how many are in flight at once."""
        host = urlsplit(url).netloc
        self.pacer.set_interval(host, min_interval)
        with self._slots_lock:
            if host not in self._slots:
                self._slots[host] = threading.BoundedSemaphore(max_concurrency)

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._slots_lock:
            return self._slots.setdefault(host, threading.BoundedSemaphore(DEFAULT_CONCURRENCY))

    def get(
        self, url: str, *, component: str, params: Mapping[str, str | int] | None = None,
        etag: str | None = None, last_modified: str | None = None, headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET `url`, retrying what is worth retrying; with validators a 304 means unchanged."""
        host = urlsplit(url).netloc
        headers = dict(headers or {})
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            self.pacer.wait(host)
            try:
                with self._slot(host):
                    return self._once(url, params, headers, component)
            except (TimeoutError_, NetworkError, RateLimitedError, HttpServerError) as exc:
                if attempt + 1 >= attempts:
                    raise type(exc)(f"{exc} (gave up after {attempts} attempts)", **_kw(exc)) from None
                delay = self._delay(attempt, getattr(exc, "retry_after", None))
                log.warning("%s; retrying in %.1fs", exc, delay)
                self.pacer.push_back(host, delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        base = self.settings.backoff * (2**attempt)
        return base + random.uniform(0, self.settings.backoff)

    def _once(self, url: str, params: Mapping[str, str | int] | None, headers: dict[str, str],
              component: str) -> FetchResult:
        try:
            with self._client.stream("GET", url, params=params, headers=headers) as response:
                self._raise_for_status(response, component)
                body = self._read_capped(response, component)
                return FetchResult(str(response.url), response.status_code, body, response.headers)
        except httpx.TimeoutException:
            raise TimeoutError_(f"timed out fetching {url}", component=component) from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise NetworkError(f"network error fetching {url}: {exc}", component=component) from None

    def _raise_for_status(self, response: httpx.Response, component: str) -> None:
        status, where = response.status_code, response.url.host
        if status < 400:  # includes 304 Not Modified
            return
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimitedError(f"HTTP 429 (rate limited) from {where}", component=component,
                                   retry_after=retry_after)
        if status >= 500:
            raise HttpServerError(f"HTTP {status} from {where}", component=component, status=status)
        raise HttpClientError(f"HTTP {status} from {where} for {response.url}", component=component,
                              status=status)

    def _read_capped(self, response: httpx.Response, component: str) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise TooLargeError(f"response of {declared} bytes exceeds the {limit}-byte cap",
                                component=component)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"response exceeds the {limit}-byte cap", component=component)
            chunks.append(chunk)
        return b"".join(chunks)


def _kw(exc: FetchError) -> dict[str, object]:
    """Constructor keywords to re-raise `exc` as the same class with a longer message."""
    kw: dict[str, object] = {"component": exc.component}
    if isinstance(exc, RateLimitedError):
        kw["retry_after"] = exc.retry_after
    if isinstance(exc, (HttpServerError, HttpClientError)):
        kw["status"] = exc.status
    return kw
