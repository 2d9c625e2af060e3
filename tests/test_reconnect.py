"""PostgreSQL restarted or away under a running app: reads and 换一批 run again on new connections, the
rest is answered 503 with a reason, never a bare 500."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from academichub.settings import Settings
from academichub.storage.engine import connection_lost, database_unavailable, make_engine
from academichub.web.app import create_app
from tests.browser import running_server
from tests.conftest import PG_URL, _pg_admin, _pg_database_url, make_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_sample(sample_pg_template, tmp_path: Path) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    """Settings of a private PostgreSQL copy of the sample (its connections are cut here; no other test's are)."""
    template, template_home = sample_pg_template
    name = f"ah_{uuid.uuid4().hex[:12]}"
    template.clone(name)
    shutil.copytree(template_home, tmp_path / "home")
    try:
        yield make_settings(tmp_path / "home", _pg_database_url(name), feed={"batch_processes": 1})
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _cut_connections(database: str) -> int:
    """Close every server connection to `database`, as a restart of PostgreSQL does; how many there were."""
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": database}).all())
    finally:
        engine.dispose()


def test_connection_lost_tells_a_closed_connection_from_other_errors(pg_sample: Settings) -> None:
    engine = make_engine(pg_sample.database_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        _cut_connections(engine.url.database)
        with pytest.raises(sa.exc.OperationalError) as lost, engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        assert connection_lost(lost.value)
        try:
            raise RuntimeError("batch process: wrapped") from lost.value
        except RuntimeError as wrapped:
            assert connection_lost(wrapped)  # found through the chain
        with pytest.raises(sa.exc.ProgrammingError) as bad, engine.connect() as conn:
            conn.execute(sa.text("SELECT * FROM no_such_table"))
        assert not connection_lost(bad.value) and not connection_lost(ValueError("x"))
        assert database_unavailable(lost.value) and not database_unavailable(bad.value)
    finally:
        engine.dispose()


@pytest.mark.parametrize("batch_processes", [1, 0])
def test_reads_and_next_after_the_database_dropped_every_connection(pg_sample: Settings, batch_processes: int) -> None:
    settings = pg_sample.model_copy(update={"feed": pg_sample.feed.model_copy(update={"batch_processes": batch_processes})})
    app = create_app(settings)
    state = app.state.academichub
    with running_server(settings, app=app) as base, httpx.Client(base_url=base, timeout=60) as client:
        deadline = time.monotonic() + 90
        while batch_processes and not state.batches.ready:
            assert time.monotonic() < deadline, "the batch process did not start"
            time.sleep(0.1)
        before = client.post("/api/v1/feed/next", json={}).json()["batch"]
        assert client.get("/").status_code == client.get("/api/v1/feed").status_code == 200
        assert _cut_connections(state.store.engine.url.database) >= 1 + batch_processes  # the web and batch processes
        # The first read of each process meets a dead connection: answered again on a new one.
        for url in ("/api/v1/feed", "/", "/api/v1/radars", "/search?q=learning"):
            response = client.get(url)
            assert response.status_code == 200, (url, response.text[:300])
        after = client.post("/api/v1/feed/next", json={})
        assert after.status_code == 200, after.text[:300]
        assert after.json()["batch"] == before + 1  # run again once, not claimed twice
        assert client.get("/api/v1/feed").json()["batch"] == before + 1
        # 换一批 as the first request after the cut: its own dead connections are in the process
        # that claims (the batch process, or this one's threads), and run again there.
        _cut_connections(state.store.engine.url.database)
        again = client.post("/api/v1/feed/next", json={})
        if again.status_code == 503:  # the web process's own read of the radar met a dead connection
            assert again.json()["error"]["code"] == "database_unavailable" and again.headers["retry-after"] == "5"
            again = client.post("/api/v1/feed/next", json={})
        assert again.status_code == 200, again.text[:300]
        assert again.json()["batch"] == before + 2


def test_a_database_that_cannot_be_reached_is_answered_503_with_a_reason(pg_sample: Settings) -> None:
    settings = pg_sample.model_copy(update={"feed": pg_sample.feed.model_copy(update={"batch_processes": 0})})
    app = create_app(settings)
    database = app.state.academichub.store.engine.url.database
    with running_server(settings, app=app) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert client.get("/api/v1/feed").status_code == 200
        # The database goes away: the pool's connections are cut and new ones are refused.
        _pg_admin(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
        _cut_connections(database)
        api = client.get("/api/v1/radars")
        assert api.status_code == 503 and api.headers["retry-after"] == "5"
        assert api.json()["error"]["code"] == "database_unavailable"
        page = client.get("/sources", headers={"accept-language": "zh"})
        assert page.status_code == 503 and "数据库暂时无法访问" in page.text
        write = client.post("/api/v1/feed/next", json={})
        assert write.status_code == 503 and write.json()["error"]["code"] == "database_unavailable"
        _pg_admin(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")  # back: answered again
        assert client.get("/api/v1/radars").status_code == 200
