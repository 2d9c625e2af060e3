"""Storage and ingest on SQLite and PostgreSQL: idempotent upserts, versions, merging, index sync."""

from __future__ import annotations

import logging
import os
import re
import shutil
from contextlib import closing
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from academichub.ingest.pipeline import ingest
from academichub.model import Author, Paper, Rejected
from academichub.sources import arxiv_listing, arxiv_oai
from academichub.storage.engine import write_transaction
from academichub.storage.search_index import SearchIndex
from academichub.storage.store import Store
from tests.conftest import DATA

pytestmark = pytest.mark.usefixtures("backend")


def listing_items() -> list:
    return arxiv_listing.parse((DATA / "arxiv_listing/rss_2025-04-04.xml").read_bytes()).items


def paper(arxiv_id: str = "2509.00001", version: int = 1, title: str = "A title", **fields) -> Paper:
    fields.setdefault("authors", [Author("Ada Lovelace", "ada lovelace")])
    return Paper(title=title, source="arxiv", arxiv_id=arxiv_id, arxiv_version=version,
                 abstract="An abstract.", categories=["cs.LG"], primary_category="cs.LG",
                 announced=date(2025, 9, 1), **fields)


def test_reingesting_a_listing_changes_nothing(store: Store) -> None:
    first = ingest(store, listing_items(), source="arxiv")
    assert (first.fetched, first.new, first.updated, first.rejected) == (88, 88, 0, 0)
    before = store.works.get_many(list(range(1, 89)))
    again = ingest(store, listing_items(), source="arxiv")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 88)
    assert store.works.count() == 88 and store.index.count() == 88
    after = store.works.get_many(list(range(1, 89)))
    assert [w.updated_at for w in before] == [w.updated_at for w in after]


def test_a_new_version_updates_the_work_in_place(store: Store) -> None:
    ingest(store, [paper(version=1, title="First title")], source="arxiv")
    report = ingest(store, [paper(version=2, title="Revised title")], source="arxiv")
    assert (report.new, report.updated) == (0, 1) and store.works.count() == 1
    (work,) = store.works.get_many([1])
    assert work.paper.title == "Revised title" and work.paper.arxiv_version == 2
    assert work.paper.announced == date(2025, 9, 1)  # still filed under its first announcement
    hits = store.search("revised")
    assert [h for h, _ in hits.hits] == [1] and store.search("first").total == 0
    stale = ingest(store, [paper(version=1, title="First title")], source="arxiv")
    assert stale.updated == 0 and store.works.get(1).paper.title == "Revised title"


def test_fields_known_only_to_an_earlier_source_survive(store: Store) -> None:
    rich = paper(authors=[Author("Ada Lovelace", "ada lovelace", affiliations=("Analytical Engines",))],
                 doi="10.1000/example")
    ingest(store, [rich], source="arxiv")
    ingest(store, [paper(title="A title")], source="arxiv")  # a poorer record of the same version
    work = store.works.get(1)
    assert work.paper.authors[0].affiliations == ("Analytical Engines",)
    assert work.paper.doi == "10.1000/example"


def test_two_preprints_sharing_a_doi_stay_two_works(store: Store) -> None:
    report = ingest(store, [paper("2509.00001", doi="10.1000/shared"),
                            paper("2509.00002", doi="10.1000/shared")], source="arxiv")
    assert report.new == 2 and store.works.count() == 2
    dois = sorted(str(w.paper.doi) for w in store.works.get_many([1, 2]))
    assert dois == ["10.1000/shared", "None"]


def test_duplicates_in_one_input_merge_and_bad_records_are_rejected(store: Store) -> None:
    items = [paper(version=1), paper(version=2, title="Second"), paper("2509.00003", title="   "),
             Rejected("invalid JSON", ref="line 9"), replace(paper(), arxiv_id=None)]
    report = ingest(store, items, source="arxiv")
    assert (report.new, report.merged, report.rejected) == (1, 1, 3)
    assert report.rejected_reasons == {"no title": 1, "invalid JSON": 1, "no identifier": 1}
    assert store.works.get(1).paper.title == "Second"


def test_oai_and_listing_records_of_many_works(store: Store) -> None:
    page = arxiv_oai.parse((DATA / "arxiv_oai/arXivRaw_ListRecords_2015-01-06_with_resumptionToken.xml").read_bytes())
    ingest(store, page.items, source="arxiv")
    work = store.works.get(store.works.id_for_public("arxiv:0704.0716"))
    assert work.paper.arxiv_version == 4 and work.feed_date == date(2007, 4, 5)
    assert work.label == "arXiv (MATH-PH)" and work.paper.categories[0] == "math-ph"


def test_index_catches_up_and_rebuilds(store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    ingest(store, listing_items(), source="arxiv")
    store.close()
    shutil.rmtree(settings.index_dir)  # lost index: rebuilt from the database on open
    with Store.open(settings) as reopened:
        assert reopened.index.count() == 88
        assert reopened.search('"user identity linkage"').hits[0][0] == 1
        with reopened.engine.begin() as conn:  # a write that bypassed the index (crash mid-run)
            conn.execute(sa.text("UPDATE works SET title = 'Zebra crossing', updated_at = :t WHERE id = 2"),
                         {"t": reopened.works.max_updated_at()})
        assert reopened.sync_index() >= 1
        assert [i for i, _ in reopened.search("zebra").hits] == [2]


def test_opening_a_store_while_another_process_ingests_does_not_rebuild_the_index(
        store: Store, settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    items = listing_items()
    ingest(store, items[:40], source="arxiv")
    store.close()
    rebuilt: list[int] = []
    monkeypatch.setattr(Store, "reindex", lambda self, progress=None: rebuilt.append(1) or 0)
    plain_upsert = SearchIndex.upsert

    def upsert_while_another_ingests(index, docs):  # type: ignore[no-untyped-def]
        written = plain_upsert(index, docs)
        with Store.open(settings, sync=False) as other:  # the other process commits its works now,
            with monkeypatch.context() as quiet:  # ... and indexes them a moment later
                quiet.setattr(Store, "index_works", lambda *a, **k: 0)
                ingest(other, items[40:], source="arxiv")
        return written
    monkeypatch.setattr(SearchIndex, "upsert", upsert_while_another_ingests)
    with Store.open(settings) as opened:  # its catch-up runs while the other ingest commits
        assert rebuilt == [] and opened.works.count() == 88
    monkeypatch.setattr(SearchIndex, "upsert", plain_upsert)
    with Store.open(settings) as later:  # the next open, with no writer beside it, catches up
        assert later.index.count() == later.works.count() == 88


def test_works_another_writer_left_unindexed_are_mended_by_id_not_by_a_rebuild(
        store: Store, settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Three writers: one commits works and is killed before it indexes them, a second moves the
    watermark past them (it is the newest update time of the database), and a command opened
    next found the counts apart with nobody writing, and rebuilt the whole index (15 s at
    51,698 works, beside the running ingests)."""
    items = listing_items()
    ingest(store, items[:40], source="arxiv")
    with monkeypatch.context() as killed:
        killed.setattr(Store, "index_works", lambda *a, **k: 0)
        ingest(store, items[40:], source="arxiv")
    store._mark_synced()  # the other writer's catch-up after its own batch
    with store.engine.begin() as conn:  # and a work gone from the database, its document left behind
        conn.execute(sa.text("DELETE FROM works WHERE id = 3"))
    assert store.index.count() == 40
    rebuilt: list[int] = []
    monkeypatch.setattr(Store, "reindex", lambda self, progress=None: rebuilt.append(1) or 0)
    with Store.open(settings) as opened:
        assert rebuilt == []
        assert opened.index.count() == opened.works.count() == 87
        assert sorted(opened.index.work_ids()) == opened.works.ids()
        last = opened.works.ids()[-1]  # indexed whole: found by its title's words
        words = " ".join(re.findall(r"[A-Za-z]{4,}", opened.works.get(last).paper.title))
        assert last in {i for i, _ in opened.search(words, limit=100).hits}


def test_a_copied_store_keeps_its_index_and_another_databases_index_is_rebuilt(
        backend: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    from tests.conftest import _pg_admin, _pg_database_url, make_settings

    rebuilt: list[str] = []
    rebuild = Store.reindex
    monkeypatch.setattr(Store, "reindex", lambda self, progress=None: rebuilt.append(self.database)
                        or rebuild(self, progress))
    databases = [f"ah_{uuid.uuid4().hex[:12]}" for _ in range(3)] if backend else []
    urls = [_pg_database_url(name) for name in databases] or [None, None, f"sqlite:///{tmp_path / 'other.db'}"]
    for name in databases[::2]:
        _pg_admin(f"CREATE DATABASE {name}")
    try:
        with Store.open(make_settings(tmp_path / "a", urls[0])) as original:
            ingest(original, listing_items(), source="arxiv")
        if backend:  # a copy of the database, as CREATE DATABASE … TEMPLATE, pg_dump and restore make
            _pg_admin(f"CREATE DATABASE {databases[1]} TEMPLATE {databases[0]}")
        shutil.copytree(tmp_path / "a", tmp_path / "b")  # on SQLite the home holds the database too
        rebuilt.clear()
        with Store.open(make_settings(tmp_path / "b", urls[1])) as copy:
            assert rebuilt == [] and copy.search('"user identity linkage"').hits[0][0] == 1
        # The same index beside another database with as many works, one retitled without moving
        # the watermark: only knowing that the index mirrors another database finds the change.
        with Store.open(make_settings(tmp_path / "c", urls[2])) as elsewhere:
            ingest(elsewhere, listing_items(), source="arxiv")
            with elsewhere.engine.begin() as conn:
                conn.execute(sa.text("UPDATE works SET title = 'Zebra crossing' WHERE id = 2"))
        shutil.rmtree(tmp_path / "c" / "index")
        shutil.copytree(tmp_path / "a" / "index", tmp_path / "c" / "index")
        rebuilt.clear()
        with Store.open(make_settings(tmp_path / "c", urls[2])) as pointed:
            assert len(rebuilt) == 1 and [i for i, _ in pointed.search("zebra").hits] == [2]
    finally:
        for name in databases:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_store_whose_identity_was_emptied_still_opens_and_keeps_its_works(store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    ingest(store, listing_items(), source="arxiv")
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM store_identity"))
    store.close()
    with Store.open(settings) as reopened:  # the index follows the database's address instead
        assert reopened.index_key == reopened.database and reopened.works.count() == reopened.index.count() == 88


@pytest.mark.parametrize("damage", ["meta.json", "segments"])
def test_a_corrupt_index_is_rebuilt_from_the_database(store: Store, settings, damage: str,  # type: ignore[no-untyped-def]
                                                      caplog: pytest.LogCaptureFixture) -> None:
    ingest(store, listing_items(), source="arxiv")
    before = store.search("learning", limit=100).total
    store.close()
    index = settings.index_dir
    if damage == "meta.json":  # a crash or a full disk mid-write; tantivy cannot read the index at all
        (index / "meta.json").write_text("garbage{")
    else:  # the segments it lists are gone
        for segment in index.glob("*.idx"):
            segment.unlink()
    with caplog.at_level(logging.WARNING, logger="academichub.storage.search_index"), Store.open(settings) as reopened:
        found = reopened.search("learning", limit=100)
        assert found.total == before > 0 and reopened.index.count() == reopened.works.count() == 88
    if damage == "meta.json":
        assert "is corrupt" in caplog.text and "rebuilding it from the database" in caplog.text


def test_search_filters(store: Store) -> None:
    ingest(store, listing_items(), source="arxiv")
    everything = store.search("learning", limit=100)
    in_cv = store.search("learning", limit=100, category="cs.CV")
    assert 0 < in_cv.total < everything.total
    assert store.search("learning", date_from=date(2025, 4, 5)).total == 0


@pytest.mark.postgres
def test_a_pooled_connection_the_server_closed_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    from academichub.storage import engine as engines
    from tests.conftest import PG_URL

    engine = engines.make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with sa.create_engine(PG_URL).connect() as admin:  # the server drops it (a restart, an idle timeout)
            assert admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
        monkeypatch.setattr(engines, "PING_AFTER_IDLE", 0.0)  # it sat idle: pinged, found dead, replaced
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != pid
        monkeypatch.setattr(engines, "PING_AFTER_IDLE", 3600.0)  # in steady use: no ping, no extra round trip
        with engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with sa.create_engine(PG_URL).connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        with pytest.raises(sa.exc.OperationalError), engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_read_on_a_connection_pinged_after_a_quiet_spell_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A connection idle past PING_AFTER_IDLE is pinged on checkout; the ping must leave it outside
    # a transaction, or `reading` cannot switch it to autocommit (seen as a 500 from
    # /api/v1/health in bench/load.py after the 10 s its warm-up left connections idle).
    from academichub.storage import engine as engines
    from tests.conftest import PG_URL

    engine = engines.make_engine(PG_URL)
    try:
        with engines.reading(engine) as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        monkeypatch.setattr(engines, "PING_AFTER_IDLE", 0.0)
        for _ in range(3):  # pinged each time, then read outside a transaction
            with engines.reading(engine) as conn:
                assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() == pid  # the same connection
                assert conn.connection.driver_connection.autocommit
        with engine.connect() as conn:  # a plain connection after a ping is in a transaction of its own as before
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() == pid
            assert not conn.connection.driver_connection.autocommit
            conn.rollback()
    finally:
        engine.dispose()


_OTHER_WRITER = """
import sys, time
import sqlalchemy as sa
from academichub.storage.engine import make_engine, write_transaction
engine = make_engine(sys.argv[1])
print("waiting", flush=True)
with write_transaction(engine) as conn:
    conn.exec_driver_sql("INSERT INTO counters (name, value) VALUES ('other', 1)")
print("wrote", flush=True)
"""


def test_sqlite_writers_of_two_processes_queue_on_one_lock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The writer lock spans processes (a file lock the waiter sleeps on), so another process's
    # 换一批 is not left polling through SQLite's busy handler while a bulk ingest writes. Holding
    # only that lock (SQLite itself is free) must hold the other process's writer back.
    import subprocess
    import sys

    from academichub.storage import engine as storage_engine

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = storage_engine.make_engine(url)
    storage_engine.migrate(engine)
    with storage_engine._writer(engine):
        other = subprocess.Popen([sys.executable, "-c", _OTHER_WRITER, url], stdout=subprocess.PIPE, text=True)
        assert other.stdout.readline().strip() == "waiting"
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(timeout=1.5)  # blocked behind this process's turn, neither failing nor writing
        with engine.connect() as conn:
            assert "other" not in {name for (name,) in conn.exec_driver_sql("SELECT name FROM counters")}
    assert other.stdout.readline().strip() == "wrote" and other.wait(timeout=30) == 0
    with engine.connect() as conn:
        assert "other" in {name for (name,) in conn.exec_driver_sql("SELECT name FROM counters")}


def _rows_in_main_file(database: Path, tmp_path: Path) -> int:
    """Rows of table `blobs` in the database file alone, as if its WAL were lost: what checkpoints copied."""
    import sqlite3

    copy = tmp_path / "main-only.db"
    shutil.copyfile(database, copy)
    with closing(sqlite3.connect(copy)) as conn:
        try:
            return conn.execute("SELECT count(*) FROM blobs").fetchone()[0]
        except sqlite3.OperationalError:  # not even the table was checkpointed
            return 0


def test_sqlite_checkpoints_the_wal_after_the_write_lock_not_inside_commits(tmp_path: Path) -> None:
    # SQLite's own checkpoint runs inside the commit that crosses 1,000 WAL pages, while the writer
    # holds the store's write lock (10 s of a 36 s corpus load). Now commits leave the WAL alone and
    # write_transaction checkpoints on a thread after CHECKPOINT_CHANGES rows, outside the lock.
    import time

    from academichub.storage import engine as storage_engine

    database = tmp_path / "store.db"
    engine = storage_engine.make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)")
        first = storage_engine.CHECKPOINT_CHANGES // 2  # about a page each: past SQLite's 1,000 by far
        with write_transaction(engine) as conn:
            conn.exec_driver_sql("INSERT INTO blobs (b) VALUES (?)", [(os.urandom(3000),) for _ in range(first)])
        writer = storage_engine._writer(engine)
        assert not writer._checkpointing
        assert _rows_in_main_file(database, tmp_path) == 0  # the commit did not checkpoint
        with write_transaction(engine) as conn:
            conn.exec_driver_sql("INSERT INTO blobs (b) VALUES (?)", [(os.urandom(3000),) for _ in range(first)])
        deadline = time.monotonic() + 30
        while writer._checkpointing and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows_in_main_file(database, tmp_path) == 2 * first  # copied by the checkpoint thread
    finally:
        engine.dispose()


def test_a_batch_written_in_parts_replans_what_is_left_when_another_writer_came_between(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from academichub.ingest import pipeline

    monkeypatch.setattr(pipeline, "WRITE_PART", 7)
    real = pipeline.write_transaction
    opened = []

    def interleaved(engine):  # type: ignore[no-untyped-def]
        opened.append(1)
        if len(opened) == 3:  # between this batch's second and third parts, another process stores works
            monkeypatch.setattr(pipeline, "write_transaction", real)
            ingest(store, [paper("2509.77777", title="Stored by another writer meanwhile")], source="arxiv")
            monkeypatch.setattr(pipeline, "write_transaction", interleaved)
        return real(engine)

    monkeypatch.setattr(pipeline, "write_transaction", interleaved)
    items = listing_items()
    report = ingest(store, items, source="arxiv")
    assert (report.new, report.updated, report.unchanged) == (88, 0, 0)
    assert len(opened) == 3  # two parts of 7, then everything left in one transaction, planned again
    assert store.works.count() == 89 and store.index.count() == 89
    assert (ingest(store, items, source="arxiv").unchanged) == 88  # each stored once: nothing left to write


def test_a_batch_written_in_parts_stores_every_work_with_its_children(store: Store,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from academichub.ingest import pipeline

    monkeypatch.setattr(pipeline, "WRITE_PART", 10)
    items = listing_items()
    assert ingest(store, items, source="arxiv").new == 88
    stored = {w.paper.arxiv_id: w.paper for w in store.works.get_many(list(range(1, 89)))}
    for item in items:
        kept = stored[item.arxiv_id]
        assert [a.name for a in kept.authors] == [a.name for a in item.authors]
        assert sorted(kept.categories) == sorted(item.categories)


@pytest.mark.parametrize("count", [3, 150])  # PostgreSQL: a multi-row INSERT below bulk.COPY_FROM_ROWS, COPY above
def test_a_bulk_insert_stores_every_value_as_given_on_either_path(store: Store, count: int) -> None:
    from datetime import UTC, datetime

    from academichub.storage import bulk

    assert 3 < bulk.COPY_FROM_ROWS <= 150  # the two counts take the two paths
    table = sa.Table("bulk_check", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("data", sa.JSON), sa.Column("day", sa.Date), sa.Column("at", sa.DateTime(timezone=True)),
                     sa.Column("blob", sa.LargeBinary), sa.Column("score", sa.Float), sa.Column("note", sa.Text))
    table.create(store.engine)
    # Text COPY escapes tabs, newlines and backslashes; an INSERT sends parameters: both must keep them.
    rows = [(i, {"reasons": [["author", f"Ada {i}"]], "n": i}, date(2026, 1, 1 + i % 28),
             datetime(2026, 1, 1, 12, i % 60, tzinfo=UTC), bytes([i % 256, 0, 255]), i / 7,
             None if i % 3 == 0 else f"tab\there\nline \\N 中文 {i}") for i in range(count)]
    try:
        with write_transaction(store.engine) as conn:
            bulk.insert(conn, table, tuple(c.name for c in table.columns), rows)
        with store.engine.connect() as conn:
            stored = [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.id))]
    finally:
        table.drop(store.engine)
    assert [(i, d, day, at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC), bytes(blob), score, note)
            for i, d, day, at, blob, score, note in stored] == rows


def test_two_runs_of_a_new_stream_at_once_record_its_state_without_failing(store: Store) -> None:
    # The state was read, then inserted or updated: two runs of a stream that had never run both
    # inserted, and one failed on the key (PostgreSQL).
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(6)

    def checkpoint(n: int) -> None:
        barrier.wait()
        store.sources.checkpoint("arxiv:listing:race", "arxiv", cursor=str(n), window_start=None, window_end=None)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(checkpoint, range(6)))
    state = store.sources.get("arxiv:listing:race")
    assert state is not None and state.cursor in {str(n) for n in range(6)}


def test_a_paper_dated_in_the_future_is_filed_today_and_does_not_become_the_latest_day(store: Store) -> None:
    # A journal issue dated months ahead (or a feed's bogus 2099) made itself the newest day: the
    # "latest day" showed that one paper and "this week" the week around it.
    from datetime import UTC, datetime, timedelta

    from academichub.radar import periods

    today = datetime.now(UTC).date()
    ingest(store, [Paper(title="Filed on its day", source="crossref", doi="10.1000/past",
                         published=today - timedelta(days=3)),
                   Paper(title="Dated next year", source="crossref", doi="10.1000/future",
                         published=today + timedelta(days=200)),
                   Paper(title="Dated 2099", source="crossref", doi="10.1000/bogus", published=date(2099, 1, 1))],
           source="crossref")
    filed = {w.paper.title: w.feed_date for w in store.works.get_many(store.works.ids())}
    assert filed == {"Filed on its day": today - timedelta(days=3), "Dated next year": today, "Dated 2099": today}
    assert store.works.get_many(store.works.ids())[1].paper.published == today + timedelta(days=200)  # kept as published
    latest = periods.resolve("latest", store.works, recent_days=5)
    assert (latest.start, latest.end) == (today, today)
    hits = store.index.search("dated", limit=10, date_to=today)
    assert hits.total == 2  # the index files them on the same day


def test_a_counters_first_stamps_taken_at_once_are_all_given(store: Store) -> None:
    # The first stamp was an update that found no row, then an insert: two processes taking it at
    # once both inserted, and one failed on the key (two ingests into a new PostgreSQL store).
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from academichub.storage.engine import next_stamp, read_counter, write_transaction

    takers = 8
    barrier = threading.Barrier(takers)

    def take(_: int) -> int:
        barrier.wait()
        with write_transaction(store.engine) as conn:
            return next_stamp(conn, "first-stamps")

    with ThreadPoolExecutor(takers) as pool:
        stamps = sorted(pool.map(take, range(takers)))
    assert stamps == list(range(1, takers + 1))
    with store.engine.connect() as conn:
        assert read_counter(conn, "first-stamps") == takers


def test_a_rebuild_of_the_index_keeps_the_old_documents_searchable_until_it_lands(tmp_path: Path) -> None:
    # The rebuild cleared the index in a commit of its own: while `academichub reindex` ran, every
    # search of a served store found nothing (measured: totals of 0 between 1,471), and a rebuild
    # that failed left it empty.
    from datetime import date

    from academichub.storage.search_index import IndexDoc

    def docs(word: str, count: int, fail_at: int | None = None):  # type: ignore[no-untyped-def]
        for n in range(count):
            if n == fail_at:
                raise RuntimeError("the database went away")
            yield IndexDoc(n + 1, f"{word} paper {n}", f"About {word}.", "A. Author", ["cs.CL"], date(2025, 1, 1))

    index = SearchIndex(tmp_path / "index")
    index.upsert(docs("galaxy", 30))
    reader = SearchIndex(tmp_path / "index")  # another process's reader
    seen_meanwhile: list[int] = []

    def watched():  # type: ignore[no-untyped-def]
        for n, doc in enumerate(docs("quasar", 40)):
            if n == 20:
                reader.index.reload()
                seen_meanwhile.append(reader.search("galaxy").total)
            yield doc

    assert index.replace_all(watched()) == 40
    assert seen_meanwhile == [30]
    assert index.search("galaxy").total == 0 and index.search("quasar").total == 40 and index.count() == 40
    with pytest.raises(RuntimeError):
        index.replace_all(docs("nebula", 40, fail_at=10))
    assert index.count() == 40 and index.search("quasar").total == 40  # a failed rebuild changed nothing


def test_two_embedding_runs_at_once_embed_each_work_once(store: Store, tmp_path: Path) -> None:
    # An ingest and `academichub embed` (or two ingests) finishing together each read the same
    # works as missing and embedded them twice; the later now waits and finds them done.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from academichub.embedding.wordllama_model import WordLlamaEmbedder
    from academichub.worker import embedding_job, jobs
    from tests.conftest import DATA, make_settings

    listing = (DATA / "arxiv_listing/rss_2025-04-04.xml").read_bytes()
    report = jobs.fetch_arxiv(store, make_settings(tmp_path / "fetch"), categories=["cs.CL", "cs.CV"],
                              transport=httpx.MockTransport(lambda _request: httpx.Response(200, content=listing)))
    assert report.new == 88
    embedded: list[int] = []

    class Counting(WordLlamaEmbedder):
        def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
            embedded.append(len(texts))
            return super().embed(texts)

    embedder = Counting()
    barrier = threading.Barrier(3)

    def run(_: int) -> int:
        barrier.wait()
        return embedding_job.embed_missing(store, embedder)

    with ThreadPoolExecutor(3) as pool:
        done = list(pool.map(run, range(3)))
    assert sum(done) == 88 and sum(embedded) == 88 and embedding_job.missing_count(store, embedder) == 0


def test_a_failing_index_writer_is_one_storage_error_and_lets_the_lock_go(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # On a full disk tantivy kills its writer threads: a ValueError and a traceback from `init`.
    from datetime import date

    from academichub.errors import StorageError
    from academichub.storage.search_index import IndexDoc

    doc = IndexDoc(1, "Galaxy paper", "About galaxies.", "A. Author", ["astro-ph.GA"], date(2025, 1, 1))
    index = SearchIndex(tmp_path / "index")

    def killed(self, doc):  # type: ignore[no-untyped-def]
        raise ValueError("An error occurred in a thread: 'An index writer was killed.'")

    monkeypatch.setattr(SearchIndex, "_document", killed)
    with pytest.raises(StorageError, match=r"^search-index: writing .* failed: An error occurred in a thread"):
        index.upsert([doc])
    monkeypatch.undo()
    assert index.upsert([doc]) == 1 and index.count() == 1  # the writer's lock was let go


def test_stored_moments_come_back_in_utc_with_their_zone(store: Store) -> None:
    # SQLite gave every stored time back naive: the API wrote "2026-12-07T03:56:46" there and
    # "…+00:00" on PostgreSQL, and a time given in another zone was stored as its wall time.
    from datetime import UTC, datetime, timedelta, timezone

    from academichub.storage.schema import UtcDateTime

    table = sa.Table("moments_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UtcDateTime()))
    table.create(store.engine)
    try:
        beijing = datetime(2026, 12, 7, 12, 0, tzinfo=timezone(timedelta(hours=8)))
        with store.engine.begin() as conn:
            conn.execute(table.insert(), [{"id": 1, "at": beijing}, {"id": 2, "at": None},
                                          {"id": 3, "at": datetime(2026, 12, 7, 4, 0, tzinfo=UTC)}])
        with store.engine.connect() as conn:
            rows = dict(conn.execute(sa.select(table.c.id, table.c.at)).all())
            latest = conn.execute(sa.select(sa.func.max(table.c.at))).scalar()
            later = conn.execute(sa.select(table.c.id).where(table.c.at > datetime(2026, 12, 7, 3, 30, tzinfo=UTC))).all()
    finally:
        table.drop(store.engine)
    assert rows[1] == datetime(2026, 12, 7, 4, 0, tzinfo=UTC) and rows[1].tzinfo == UTC and rows[2] is None
    assert latest == rows[3] and latest.tzinfo == UTC
    assert sorted(r.id for r in later) == [1, 3]  # both are 04:00 UTC


def test_records_known_unchanged_from_the_digest_store_what_merging_them_would(store: Store, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # A re-run skips loading and merging a work when the record is that work as stored (its digest);
    # every batch below must leave the store and the report as the full path does.
    from academichub.ingest import pipeline
    from academichub.storage.store import Store as StoreClass
    from tests.conftest import make_settings

    items = [i for i in listing_items() if isinstance(i, Paper)]
    journal = replace(items[5], source="crossref", arxiv_id=None, arxiv_version=None, doi="10.1000/j.5",
                      venue="A Journal", also=(("arxiv_id", items[5].arxiv_id),))
    batches = [items, items, [items[0], items[0], replace(items[1], arxiv_version=9, title="Revised"), *items[2:30]],
               [journal, *items[:10]], [journal, *items[:10]], items]

    def run(target: Store) -> list[tuple]:
        reports = [ingest(target, batch, source="arxiv") for batch in batches]
        return [(r.new, r.updated, r.unchanged, r.merged) for r in reports]

    def stored(target: Store) -> dict:
        works = target.works.get_many(target.works.ids())
        return {w.paper.arxiv_id or w.paper.doi: (w.paper, w.sources, w.content_hash) for w in works}

    loaded: list[int] = []
    real_load = store.works.load
    monkeypatch.setattr(store.works, "load", lambda conn, ids: loaded.extend(ids) or real_load(conn, ids))
    fast = run(store)
    # Works loaded to be merged: only the revised preprint and the one the journal record joins,
    # each in the batches with a record that may change it (all 88, again and again, before).
    assert len(set(loaded)) == 2 and len(loaded) == 7, loaded
    with StoreClass.open(make_settings(tmp_path / "reference")) as reference:
        monkeypatch.setattr(pipeline, "_without_unchanged", lambda papers, found, hashes: (papers, found, 0))
        full = run(reference)
        assert stored(reference) == stored(store)
    # Equal reports, but where a batch holds two records of one work: the full path counted the
    # work (batch 2's repeated record counted nowhere, 29 of 31; in batch 3 the preprint's own
    # record and the journal's made one update), the digest counts each identical record unchanged.
    assert [fast[i] for i in (0, 1, 4, 5)] == [full[i] for i in (0, 1, 4, 5)]
    assert (full[2], fast[2]) == ((0, 1, 29, 0), (0, 1, 30, 0)) and (full[3], fast[3]) == ((0, 1, 9, 1), (0, 1, 10, 1))
    assert fast[1] == (0, 0, len(items), 0)  # the identical re-run
    # Works loaded: for the revised record, and for the journal record's preprint and what it then changed.
    assert store.works.count() == len(items)
