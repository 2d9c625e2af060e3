"""Issue 11: what a hostile reader or a broken source sends is refused with a clear error, never a crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from academichub.storage.store import Store
from academichub.web.app import create_app
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def client(sample_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("hostile") / "home",
                             sample_store.engine.url.render_as_string(hide_password=False))
    with TestClient(create_app(settings, store=sample_store), follow_redirects=False) as test_client:
        yield test_client


@pytest.mark.parametrize("path", [
    "/search?q=a&mode=text&page=214748366",  # aborted the process: a 64 GiB allocation in the index
    "/api/v1/search?q=a&mode=text&offset=4294967296",
    "/api/v1/search?q=a&mode=text&offset=9223372036854775808",  # ≥ 2^63: a 500
    "/api/v1/search?q=a&offset=-1",
    "/api/v1/feed?page=99999999999",
    "/?page=99999999999",
    "/api/v1/feedback?offset=9223372036854775808",
    "/api/v1/radars/9223372036854775808/feed",  # past the driver's integer range: a 500
    "/api/v1/radars/2147483648/feed",  # past PostgreSQL's INTEGER
    "/api/v1/radars/0/feed",
    "/briefings/9223372036854775808",
    "/api/v1/briefings/99999999999999999999999",
    "/api/v1/briefings/9223372036854775808/export",
])
def test_numbers_out_of_bounds_are_refused_with_422(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422, (response.status_code, response.text[:300])


def test_the_deepest_search_page_still_answers(client: TestClient) -> None:
    assert client.get("/api/v1/search?q=a&mode=text&offset=10000&limit=1").status_code == 200
    assert client.get("/search?q=a&mode=text&page=500").status_code == 200
    assert client.get("/api/v1/search?q=a&mode=text&offset=10001").status_code == 422


def test_a_radar_switch_with_odd_digits_is_not_found_not_a_crash(client: TestClient) -> None:
    for value in ("²", "१२", "-1", "9" * 40):  # "²".isdigit() is true, int("²") raises
        assert client.get(f"/?radar={value}").status_code == 404
    client.cookies.set("ah_radar", "0x1")
    assert client.get("/").status_code == 200  # a remembered radar that is no id falls back to the default
    client.cookies.clear()
