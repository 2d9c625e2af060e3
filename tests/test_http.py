"""The shared HTTP layer: retries with backoff, Retry-After, classified errors, size cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from academichub.errors import (
    HttpClientError,
    HttpServerError,
    NetworkError,
    RateLimitedError,
    TimeoutError_,
    TooLargeError,
)
from academichub.sources.contract import HttpSettings
from academichub.sources.http import HttpClient, parse_retry_after


class Script:
    """A transport that answers from a list of scripted replies and records calls."""

    def __init__(self, *replies) -> None:  # type: ignore[no-untyped-def]
        self.replies, self.calls = list(replies), 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def client(script: Script, sleeps: list[float], **settings) -> HttpClient:  # type: ignore[no-untyped-def]
    options = {"retries": 3, "backoff": 1.0, **settings}
    return HttpClient(HttpSettings(**options), transport=httpx.MockTransport(script),
                      sleep=sleeps.append, clock=lambda: sum(sleeps))


def test_server_errors_and_timeouts_are_retried_with_growing_backoff() -> None:
    script = Script(httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, content=b"ok"))
    sleeps: list[float] = []
    with client(script, sleeps) as http:
        result = http.get("https://export.arxiv.org/api/query", component="arxiv-api")
    assert result.content == b"ok" and script.calls == 3
    assert 1.0 <= sleeps[0] <= 2.0 and 2.0 <= sleeps[1] <= 3.0  # backoff doubles, plus jitter


def test_retry_after_is_honoured_on_429() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, content=b"ok"))
    sleeps: list[float] = []
    with client(script, sleeps) as http:
        assert http.get("https://api.example.org/x", component="crossref").content == b"ok"
    assert sleeps == [7.0]


def test_retries_run_out_into_a_classified_error() -> None:
    sleeps: list[float] = []
    with client(Script(*[httpx.Response(502)] * 4), sleeps) as http, \
            pytest.raises(HttpServerError, match=r"^arxiv-api: HTTP 502 .*gave up after 4 attempts") as caught:
        http.get("https://export.arxiv.org/api/query", component="arxiv-api")
    assert caught.value.kind == "http-5xx" and caught.value.status == 502 and len(sleeps) == 3


@pytest.mark.parametrize("reply, error, kind", [
    (httpx.ConnectError("refused"), NetworkError, "network"),
    (httpx.ConnectTimeout("slow"), TimeoutError_, "timeout"),
    (httpx.Response(429), RateLimitedError, "rate-limited"),
])
def test_transport_failures_are_classified(reply, error, kind) -> None:  # type: ignore[no-untyped-def]
    with client(Script(*[reply] * 4), []) as http, pytest.raises(error) as caught:
        http.get("https://rss.arxiv.org/rss/cs.CL", component="arxiv-listing")
    assert caught.value.kind == kind and str(caught.value).startswith("arxiv-listing: ")


def test_client_errors_are_not_retried() -> None:
    script = Script(httpx.Response(404))
    with client(script, []) as http, pytest.raises(HttpClientError, match="HTTP 404") as caught:
        http.get("https://export.arxiv.org/api/nothing", component="arxiv-api")
    assert script.calls == 1 and caught.value.status == 404


def test_response_size_cap() -> None:
    big = httpx.Response(200, content=b"x" * 2000)
    with client(Script(big), [], max_bytes=1000) as http, pytest.raises(TooLargeError, match="1000-byte cap"):
        http.get("https://example.org/huge", component="journal-rss")


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == 30.0
    assert parse_retry_after("garbage") is None and parse_retry_after("99999") == 600.0


def test_requests_to_one_host_are_paced() -> None:
    script = Script(*[httpx.Response(200)] * 3)
    sleeps: list[float] = []
    with client(script, sleeps) as http:
        http.configure_host("https://export.arxiv.org/api/query", 3.0)
        for _ in range(3):
            http.get("https://export.arxiv.org/api/query", component="arxiv-api")
    assert sleeps == [3.0, 3.0]
    assert "AcademicHub/" in http.user_agent
