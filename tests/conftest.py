"""Shared fixtures: settings in a temporary home, stores on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from academichub.model.accounts import Radar
from academichub.settings import Settings, load_settings
from academichub.storage.store import Store
from academichub.worker import jobs

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("ACADEMICHUB_TEST_PG", "postgresql+psycopg://127.0.0.1/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pg_schema_url() -> tuple[str, str]:
    """A fresh schema in the test database, and a URL whose search_path points at it."""
    schema = f"ah_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


def drop_pg_schema(schema: str) -> None:
    """Remove a schema made by `pg_schema_url`."""
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def make_settings(home: Path, database_url: str | None = None, **overrides) -> Settings:
    """Settings for a test: isolated home, no schedule, fast HTTP retries."""
    overrides.setdefault("schedule", {"enabled": False})
    # 换一批 on the request threads: a batch process per app would spawn in every test that
    # presses it; tests/test_batch_process.py runs the process itself.
    if isinstance(overrides.get("feed", {}), dict):
        overrides["feed"] = {"batch_processes": 0, **overrides.get("feed", {})}
    overrides.setdefault("sources", {"http": {"backoff": 0.0, "retries": 2, "timeout": 5.0},
                                     "arxiv": {"min_interval": 0.0}})
    return load_settings(home, database_url=database_url, **overrides)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own settings."""
    for key in list(os.environ):
        if key.startswith("ACADEMICHUB_") and key != "ACADEMICHUB_TEST_PG":
            monkeypatch.delenv(key)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The database URL of each backend (None means the default SQLite file)."""
    if request.param == "sqlite":
        yield None
        return
    schema, url = pg_schema_url()
    yield url
    drop_pg_schema(schema)


@pytest.fixture
def settings(tmp_path: Path, backend: str | None) -> Settings:
    """Settings on each backend with an empty store."""
    return make_settings(tmp_path / "home", backend)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """An empty, migrated store on each backend."""
    with Store.open(settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def sample_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home directory with the bundled sample loaded once, copied by tests that need it."""
    home = tmp_path_factory.mktemp("sample") / "home"
    settings = make_settings(home)
    with Store.open(settings) as store:
        jobs.load_sample(store)
        jobs.embed_new(store, settings)  # as `init` does: the sample's works carry their vectors
        store.accounts.ensure_local_user()
    return home


@pytest.fixture
def sample_home(tmp_path: Path, sample_sqlite: Path) -> Path:
    """A private copy of the sample home (SQLite + index)."""
    home = tmp_path / "home"
    shutil.copytree(sample_sqlite, home)
    return home


def _pg_database_url(name: str) -> str:
    return str(sa.engine.make_url(PG_URL).set(database=name))


def _pg_admin(statement: str) -> None:
    """Run CREATE/DROP DATABASE (outside a transaction, as PostgreSQL requires)."""
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture(scope="session")
def sample_pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The sample loaded once per test process into its own PostgreSQL database (and home), which
    each module then copies (CREATE DATABASE … TEMPLATE takes a second; loading took 18-46 s)."""
    name = f"ah_tpl_{uuid.uuid4().hex[:12]}"
    home = tmp_path_factory.mktemp("pg-sample") / "home"
    _pg_admin(f"CREATE DATABASE {name}")
    try:
        settings = make_settings(home, _pg_database_url(name))
        with Store.open(settings) as store:
            jobs.load_sample(store)
            jobs.embed_new(store, settings)
            store.accounts.ensure_local_user()
        yield name, home
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module", params=BACKENDS)
def sample_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 sample_sqlite: Path) -> Iterator[Store]:
    """The bundled sample on each backend, shared by a module's tests (give each its own user)."""
    home = tmp_path_factory.mktemp("store") / "home"
    if request.param == "sqlite":
        shutil.copytree(sample_sqlite, home)
        with Store.open(make_settings(home)) as opened:
            yield opened
        return
    template, template_home = request.getfixturevalue("sample_pg_template")
    name = f"ah_{uuid.uuid4().hex[:12]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    shutil.copytree(template_home, home)  # its full-text index and feature files match the database
    try:
        with Store.open(make_settings(home, _pg_database_url(name))) as opened:
            yield opened
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def fresh_radar(sample_store: Store) -> Radar:
    """A new reader with an empty default radar on the shared sample store."""
    user = sample_store.accounts.create_user(f"reader-{uuid.uuid4().hex[:8]}", "Test reader")
    return sample_store.accounts.default_radar(user.id)
