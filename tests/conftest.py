"""Shared fixtures: settings in a temporary home, stores on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from filelock import FileLock

from academichub.auth import service as auth_service
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
    if isinstance(overrides.get("auth", {}), dict):  # Starlette's TestClient names the host "testserver"
        overrides["auth"] = {"host_names": ["testserver"], **overrides.get("auth", {})}
    # Retrains at once: tests wait for them (tests/test_learning.py checks the settling itself).
    if isinstance(overrides.get("ranking", {}), dict):
        overrides["ranking"] = {"retrain_settle_seconds": 0.0, **overrides.get("ranking", {})}
    overrides.setdefault("sources", {"http": {"backoff": 0.0, "retries": 2, "timeout": 5.0},
                                     "arxiv": {"min_interval": 0.0}})
    return load_settings(home, database_url=database_url, **overrides)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own settings."""
    for key in list(os.environ):
        if key.startswith("ACADEMICHUB_") and key != "ACADEMICHUB_TEST_PG":
            monkeypatch.delenv(key)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its smallest cost (a 0.2 s hash is 40 s of a 40-guess throttle test); the tests
    marked `real_argon2` keep the product's parameters."""
    if request.node.get_closest_marker("real_argon2") is None:
        monkeypatch.setattr(auth_service, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


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


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every test process of this run shares (under xdist, the parent of each worker's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _load_sample(settings: Settings) -> None:
    """The bundled sample into the store of these settings, as `init` loads it."""
    with Store.open(settings) as store:
        jobs.load_sample(store)
        jobs.embed_new(store, settings)  # as `init` does: the sample's works carry their vectors
        store.accounts.ensure_local_user()


@pytest.fixture(scope="session")
def sample_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home directory with the bundled sample loaded once per run (the first test process that
    asks loads it, the others wait for it), copied by tests that need it: never opened in place."""
    shared = _run_dir(tmp_path_factory) / "sample"
    home = shared / "home"
    with FileLock(str(shared) + ".lock"):
        if not (shared / "loaded").exists():
            shutil.rmtree(shared, ignore_errors=True)  # what a process that failed half-way left
            _load_sample(make_settings(home))
            (shared / "loaded").touch()
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


class _PgSample:
    """The sample loaded once per run into a PostgreSQL database (and a home with its index and
    feature files), which modules copy: CREATE DATABASE … TEMPLATE takes a second, loading 18-46 s.
    Test processes share it through a state file under a lock; the last one done drops it."""

    def __init__(self, run_dir: Path) -> None:
        self.state = run_dir / "pg-sample.json"
        self.lock = FileLock(str(run_dir / "pg-sample.lock"))

    def join(self) -> tuple[str, Path]:
        """The template's database name and home, loaded first if no process holds one."""
        with self.lock:
            if self.state.exists():
                shared = json.loads(self.state.read_text())
            else:
                name = f"ah_tpl_{uuid.uuid4().hex[:12]}"
                home = self.state.parent / name / "home"
                _pg_admin(f"CREATE DATABASE {name}")
                try:
                    _load_sample(make_settings(home, _pg_database_url(name)))
                except BaseException:
                    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    raise
                shared = {"name": name, "home": str(home), "users": 0}
            shared["users"] += 1
            self.state.write_text(json.dumps(shared))
        return shared["name"], Path(shared["home"])

    def clone(self, into: str) -> None:
        """A new database copied from the template (one copy at a time: a copy needs it idle)."""
        with self.lock:
            template = json.loads(self.state.read_text())["name"]
            _pg_admin(f"CREATE DATABASE {into} TEMPLATE {template}")

    def leave(self) -> None:
        """This process is done with the template; the last one drops it."""
        with self.lock:
            shared = json.loads(self.state.read_text())
            shared["users"] -= 1
            if shared["users"] > 0:
                self.state.write_text(json.dumps(shared))
                return
            self.state.unlink()
            _pg_admin(f"DROP DATABASE IF EXISTS {shared['name']} WITH (FORCE)")


@pytest.fixture(scope="session")
def sample_pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_PgSample, Path]]:
    """The run's shared PostgreSQL sample (see `_PgSample`) and its home."""
    sample = _PgSample(_run_dir(tmp_path_factory))
    _name, home = sample.join()
    try:
        yield sample, home
    finally:
        sample.leave()


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
    template.clone(name)
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
