"""SQLite: the feed's memory in a file of its own, so claims never wait for an ingest's write lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from academichub.radar.feed import FeedService
from academichub.settings import FeedSettings
from academichub.storage.engine import make_engine, write_transaction
from academichub.storage.feeddb import FEED_TABLES, feed_file
from academichub.storage.feedstate import BatchItem
from academichub.storage.store import Store
from tests.conftest import make_settings
from tests.test_change_board import _stocked


def _tables(path: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_claim_is_recorded_while_an_ingest_holds_the_stores_write_lock(tmp_path: Path) -> None:
    with Store.open(make_settings(tmp_path / "home")) as store:
        user_id, radar_id = _stocked(store)
        work_ids = store.works.ids()
        holding, release = threading.Event(), threading.Event()

        def ingest_holding_the_lock() -> None:  # what a bulk ingest's write part does, held long
            with write_transaction(store.engine) as conn:
                conn.execute(sa.text("UPDATE works SET comment = 'x' WHERE id = :id"), {"id": work_ids[0]})
                holding.set()
                release.wait(10)

        writer = threading.Thread(target=ingest_holding_the_lock)
        writer.start()
        assert holding.wait(10)
        try:
            started = time.monotonic()
            batch = store.feed_state.claim(radar_id, [BatchItem(i, n, 1.0, []) for n, i in enumerate(work_ids[1:11])],
                                           size=10, period="all", anchor_date=None, subs_version=0)
            took = time.monotonic() - started
        finally:
            release.set()
            writer.join()
        assert batch is not None and len(batch.items) == 10
        assert took < 2.0  # it did not wait for the 10 s the store's lock could still be held
        assert store.feed_state.head(radar_id, user_id).number == 1


def test_an_older_stores_batches_and_claims_move_to_the_feed_file_with_nothing_lost(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    with Store.open(settings) as store:
        user_id, radar_id = _stocked(store)
        feed = FeedService(store, FeedSettings())
        shown = [c.work.id for _ in range(3) for c in feed.next(store.accounts.get_radar(radar_id), period="all").cards]
    database = str(settings.home / "academichub.db")
    # Put the store back as a store made before the feed file was: its tables in the store's file.
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        for table in FEED_TABLES:  # as the migrations up to 0009 left them there
            table.create(conn)
        conn.exec_driver_sql("ATTACH DATABASE ? AS feed", (feed_file(database),))
        for table in ("feed_batches", "batch_items", "seen_works"):
            conn.exec_driver_sql(f"INSERT INTO main.{table} SELECT * FROM feed.{table}")
    engine.dispose()
    Path(feed_file(database)).unlink()
    for suffix in ("-wal", "-shm"):
        Path(feed_file(database) + suffix).unlink(missing_ok=True)
    assert {"feed_batches", "seen_works"} <= _tables(database)

    with Store.open(settings) as store:
        assert not {"feed_batches", "batch_items", "seen_works"} & _tables(database)
        assert {"feed_batches", "batch_items", "seen_works"} <= _tables(feed_file(database))
        assert store.feed_state.head(radar_id, user_id).number == 3
        assert {w for w, _ in store.feed_state.seen_since(radar_id, 0)} == set(shown)
        more = FeedService(store, FeedSettings()).next(store.accounts.get_radar(radar_id), period="all")
        assert not {c.work.id for c in more.cards} & set(shown)  # what was shown before stays seen


def test_deleting_a_radar_forgets_its_batches_and_claims_in_the_feed_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    with Store.open(settings) as store:
        user_id, _ = _stocked(store)
        from academichub.auth.accounts import Accounts

        accounts = Accounts(store)
        radar = accounts.new_radar(user_id, "soon gone")
        FeedService(store, FeedSettings()).next(radar, period="all")
        assert store.feed_state.seen_since(radar.id, 0)
        accounts.delete_radar(user_id, radar.id)
        with sqlite3.connect(feed_file(str(settings.home / "academichub.db"))) as conn:
            assert conn.execute("SELECT count(*) FROM seen_works WHERE radar_id = ?", (radar.id,)).fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM feed_batches WHERE radar_id = ?", (radar.id,)).fetchone() == (0,)


def test_the_feed_files_tables_are_the_ones_the_code_reads(tmp_path: Path) -> None:
    with Store.open(make_settings(tmp_path / "home")) as store:
        inspector = sa.inspect(store.feed_engine)
        for table in FEED_TABLES:
            assert [c["name"] for c in inspector.get_columns(table.name)] == table.columns.keys()
            assert inspector.get_pk_constraint(table.name)["constrained_columns"] == table.primary_key.columns.keys()
            assert sorted(tuple(i["column_names"]) for i in inspector.get_indexes(table.name)) == sorted(
                tuple(i.columns.keys()) for i in table.indexes)
            assert sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)) == sorted(
                tuple(c.columns.keys()) for c in table.constraints if isinstance(c, sa.UniqueConstraint))
            # Only the keys within the file: radars and works are the store's.
            assert sorted(k["referred_table"] for k in inspector.get_foreign_keys(table.name)) == sorted(
                k.referred_table.name for k in table.foreign_key_constraints if k.referred_table in FEED_TABLES)
