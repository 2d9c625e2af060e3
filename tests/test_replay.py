"""Replays answered before the routes: the same bytes and headers as the routes, and nothing they must refuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from academichub.web import api, pages
from academichub.web.app import create_app
from tests.conftest import make_settings


@pytest.fixture
def client(sample_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(sample_home)), follow_redirects=False) as test_client:
        yield test_client


def _routes_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on a feed read that reaches the routes fails: whatever answers was replayed."""
    def refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the route rendered what should have been replayed")
    monkeypatch.setattr(api, "feed_response", refuse)
    monkeypatch.setattr(pages, "page_variant", refuse)


@pytest.mark.parametrize("url", ["/api/v1/feed", "/api/v1/feed?period=all", "/?period=week&lang=en",
                                 "/?radar=1&page=1", "/api/v1/radars/1/feed?lang=zh"])
def test_a_replay_is_the_routes_answer_byte_for_byte(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                     url: str) -> None:
    client.get(url)  # the first records the batch (nothing to keep yet)
    rendered = client.get(url)  # by the route, which keeps the rendering
    assert rendered.status_code == 200
    _routes_refuse(monkeypatch)
    replayed = client.get(url)
    assert replayed.status_code == 200 and replayed.content == rendered.content
    assert replayed.headers["content-security-policy"] == rendered.headers["content-security-policy"]
    assert replayed.headers["content-type"] == rendered.headers["content-type"]
    assert replayed.headers.get("set-cookie") == rendered.headers.get("set-cookie")  # ?lang= and ?radar= kept


def test_a_change_is_never_replayed_past(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    first = client.get("/api/v1/feed").json()
    paper = first["items"][0]["id"]
    assert client.post("/api/v1/feedback", json={"paper": paper, "action": "like"}).status_code in (200, 201)
    liked = client.get("/api/v1/feed").json()
    assert liked["items"][0]["feedback"] == ["like"] and first["items"][0]["feedback"] == []
    assert client.post("/api/v1/feed/next", json={}).json()["batch"] == first["batch"] + 1
    assert client.get("/api/v1/feed").json()["batch"] == first["batch"] + 1


@pytest.mark.parametrize(("url", "status"), [
    ("/api/v1/feed?page=0", 422), ("/api/v1/feed?period=nonsense", 400), ("/api/v1/radars/999/feed", 404),
    ("/api/v1/radars/99999999999/feed", 422), ("/?page=501", 422), ("/?radar=abc", 404),
])
def test_what_the_routes_refuse_is_refused_as_before(client: TestClient, url: str, status: int) -> None:
    client.get("/api/v1/feed")
    client.get("/")
    assert client.get(url).status_code == status


def test_seen_again_and_date_ranges_go_to_the_routes(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    client.get("/")
    calls = []
    original = pages.page_variant
    monkeypatch.setattr(pages, "page_variant", lambda *a: calls.append(a) or original(*a))
    assert client.get("/?seen=true").status_code == 200
    assert client.get("/?from=2025-09-01&to=2025-09-30").status_code == 200
    assert len(calls) == 1  # the date range rendered by the route (the seen view is not cached)


def test_a_signed_out_reader_is_sent_to_sign_in_not_replayed(sample_home: Path) -> None:
    settings = make_settings(sample_home, auth={"mode": "accounts"})
    with TestClient(create_app(settings), follow_redirects=False) as anonymous:
        assert anonymous.get("/api/v1/feed").status_code == 401
        page = anonymous.get("/")
        assert page.status_code in (302, 303) and "/login" in page.headers["location"]
