"""Migrations keep stored data: a store made at the first revision upgrades with nothing lost."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command

from academichub.ingest.pipeline import ingest
from academichub.model import Author, Paper
from academichub.settings import Settings
from academichub.storage.engine import alembic_config, make_engine, migrate
from academichub.storage.store import Store

pytestmark = pytest.mark.usefixtures("backend")


def _downgrade(conn: sa.Connection, revision: str) -> None:
    """Take the store on this connection back to `revision` (to write rows as the code of then did)."""
    config = alembic_config()
    config.attributes["connection"] = conn
    command.downgrade(config, revision)


def test_upgrade_from_the_first_revision_keeps_children_and_backfills_keys(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(sa.text(
            "INSERT INTO works (id, arxiv_id, doi, title, abstract, feed_date, links, sources, content_hash, "
            "created_at, updated_at) VALUES (1, '2509.00001', '10.1/x', 'A Study of Things in Depth', '', "
            "'2025-09-01', '{}', '[\"arxiv\"]', 'h', '2025-09-01', '2025-09-01')"))
        conn.execute(sa.text("INSERT INTO work_authors VALUES (1, 0, 'Ada Lovelace', 'ada lovelace', NULL, '[]')"))
        conn.execute(sa.text("INSERT INTO work_categories VALUES (1, 'cs.LG', :t)"), {"t": True})
    migrate(engine)  # what Store.open does on start
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM work_authors")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM work_categories")).scalar() == 1
        keys = conn.execute(sa.text("SELECT title_key, first_author_key FROM works")).one()
        assert tuple(keys) == ("a study of things in depth", "lovelace")
        ids = conn.execute(sa.text("SELECT kind, value FROM work_ids ORDER BY kind")).fetchall()
        assert [tuple(r) for r in ids] == [("arxiv_id", "2509.00001"), ("doi", "10.1/x")]
    engine.dispose()
    with Store.open(settings) as store:  # and the upgraded store works: the id is found again
        report = ingest(store, [Paper(title="A Study of Things in Depth", source="arxiv", arxiv_id="2509.00001",
                                      authors=[Author("Ada Lovelace", "ada lovelace")],
                                      announced=date(2025, 9, 1))], source="arxiv")
        assert report.new == 0 and store.works.count() == 1


def test_the_migrations_build_exactly_the_schema_the_code_reads(settings: Settings) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from academichub.storage.schema import metadata

    engine = make_engine(settings.db_url)
    migrate(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_keeps_one_feedback_row_per_reader_paper_and_action(settings: Settings) -> None:
    # Two likes sent at once could store two rows before 0011 made them unique; the upgrade keeps
    # the oldest of each and drops the repeats, then refuses a repeat.
    engine = make_engine(settings.db_url)
    with Store.open(settings) as store:  # a work and a reader, at the newest revision
        ingest(store, [Paper(title="Twice Liked", source="arxiv", arxiv_id="2509.00002",
                             authors=[Author("Ada Lovelace", "ada lovelace")], announced=date(2025, 9, 1))],
               source="arxiv")
        user, _radar = store.accounts.ensure_local_user()
    with engine.begin() as conn:
        work_id = conn.execute(sa.text("SELECT id FROM works")).scalar_one()
        _downgrade(conn, "0010")
        for action in ("like", "like", "save", "like"):
            conn.execute(sa.text("INSERT INTO feedback (user_id, work_id, action, created_at) "
                                 "VALUES (:u, :w, :a, '2025-09-02')"), {"u": user.id, "w": work_id, "a": action})
        oldest_like = conn.execute(sa.text("SELECT min(id) FROM feedback WHERE action = 'like'")).scalar()
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, action FROM feedback ORDER BY id")).fetchall()
        assert [tuple(r) for r in rows][0] == (oldest_like, "like") and sorted(a for _, a in rows) == ["like", "save"]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO feedback (user_id, work_id, action, created_at) "
                             "VALUES (:u, :w, 'like', '2025-09-03')"), {"u": user.id, "w": work_id})
    engine.dispose()


def test_upgrade_keeps_one_delivery_per_radar_channel_and_target(settings: Settings) -> None:
    # A form sent twice kept two deliveries before 0012 made them unique; the upgrade keeps the oldest.
    engine = make_engine(settings.db_url)
    with Store.open(settings) as store:
        _user, radar = store.accounts.ensure_local_user()
    with engine.begin() as conn:
        _downgrade(conn, "0011")
        for target in ("ada@example.org", "ada@example.org", "bob@example.org", "ada@example.org"):
            conn.execute(sa.text("INSERT INTO deliveries (radar_id, channel, target, cadence, lang, active, created_at) "
                                 "VALUES (:r, 'email', :t, 'daily', 'zh', true, '2025-09-02')"),
                         {"r": radar.id, "t": target})
        oldest = conn.execute(sa.text("SELECT min(id) FROM deliveries WHERE target = 'ada@example.org'")).scalar()
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, target FROM deliveries ORDER BY target")).fetchall()
        assert [tuple(r) for r in rows][0] == (oldest, "ada@example.org") and len(rows) == 2
    engine.dispose()


def test_upgrade_files_works_dated_after_today_under_today(settings: Settings) -> None:
    # Stored before works were filed at most today: a 2099 issue date made itself the newest day.
    from datetime import UTC, datetime

    from academichub.radar import periods
    from academichub.storage.store import index_doc

    today = datetime.now(UTC).date()
    engine = make_engine(settings.db_url)
    with Store.open(settings) as store:
        ingest(store, [Paper(title="Dated 2099 By Its Journal", source="crossref", doi="10.1000/future",
                             published=date(2099, 1, 1))], source="crossref")
        # Stored after it: the index's watermark is this one's, so only the upgrade can make the
        # index file the first one again.
        ingest(store, [Paper(title="Dated Last Week", source="crossref", doi="10.1000/past",
                             published=date(2025, 9, 1))], source="crossref")
        future = next(w for w in store.works.get_many(store.works.ids()) if w.paper.doi == "10.1000/future")
        store.index.upsert([dataclasses.replace(index_doc(future.id, future.paper, future.sources),
                                                day=date(2099, 1, 1))])  # as the index filed it then
    with engine.begin() as conn:
        _downgrade(conn, "0012")
        conn.execute(sa.text("UPDATE works SET feed_date = '2099-01-01' WHERE doi = '10.1000/future'"))
    migrate(engine)
    engine.dispose()
    with Store.open(settings) as store:  # the index catches up with the moved works as it opens
        days = {w.paper.title: w.feed_date for w in store.works.get_many(store.works.ids())}
        assert days == {"Dated 2099 By Its Journal": today, "Dated Last Week": date(2025, 9, 1)}
        latest = periods.resolve("latest", store.works, recent_days=5)
        assert (latest.start, latest.end) == (today, today)
        assert store.index.search("journal", limit=5, date_to=today).total == 1


def test_upgrade_makes_the_title_key_of_a_title_ending_in_a_parenthesis_and_a_stop_again(settings: Settings) -> None:
    # "… (Extended Version)." was keyed with its parenthesis, which the same title without the stop
    # drops: the journal's record and its preprint never matched by title.
    from academichub.keys import title_key

    engine = make_engine(settings.db_url)
    with Store.open(settings) as store:
        ingest(store, [Paper(title="Concept Probing Under Shift (Extended Version).", source="arxiv",
                             arxiv_id="2509.00003", authors=[Author("Ana Ribeiro", "ana ribeiro")]),
                       Paper(title="A Plain Title Of Five Words.", source="arxiv", arxiv_id="2509.00004")],
               source="arxiv")
    with engine.begin() as conn:
        _downgrade(conn, "0013")
        conn.execute(sa.text("UPDATE works SET title_key = 'concept probing under shift extended version' "
                             "WHERE arxiv_id = '2509.00003'"))  # as the old code keyed it
    migrate(engine)
    with engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT arxiv_id, title_key FROM works")).all())
    engine.dispose()
    assert keys == {"2509.00003": "concept probing under shift", "2509.00004": "a plain title of five words"}
    assert title_key("Concept Probing Under Shift (Extended Version)") == keys["2509.00003"]
    with Store.open(settings) as store:  # and the journal's record of it now joins it
        report = ingest(store, [Paper(title="Concept probing under shift (extended version)", source="crossref",
                                      doi="10.1000/probing", authors=[Author("Ana Ribeiro", "ana ribeiro")])],
                        source="crossref")
        assert report.merged == 1 and store.works.count() == 2


def test_upgrade_makes_a_first_author_key_that_is_a_suffix_again(settings: Settings) -> None:
    # "Martin Luther King Jr." was keyed "jr": a journal's "Martin Luther King" never found it.
    engine = make_engine(settings.db_url)
    king = [Author("Martin Luther King Jr.", "martin luther king jr")]
    with Store.open(settings) as store:
        ingest(store, [Paper(title="Strength to love in a divided field of study", source="arxiv",
                             arxiv_id="2509.00005", authors=king)], source="arxiv")
    with engine.begin() as conn:
        _downgrade(conn, "0014")
        conn.execute(sa.text("UPDATE works SET first_author_key = 'jr' WHERE arxiv_id = '2509.00005'"))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT first_author_key FROM works WHERE arxiv_id = '2509.00005'")).scalar() == "king"
    engine.dispose()
    with Store.open(settings) as store:
        report = ingest(store, [Paper(title="Strength to Love in a Divided Field of Study.", source="crossref",
                                      doi="10.1000/love", authors=[Author("Martin Luther King", "martin luther king")])],
                        source="crossref")
        assert report.merged == 1 and store.works.count() == 1


def _migrate_at(url: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """A process of its own: wait for the others, then bring the store up to date."""
    barrier.wait()
    try:
        migrate(make_engine(url))
        results.put("ok")
    except Exception as exc:  # reported to the test, which names it
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_store_at_once_all_find_it_ready(settings: Settings) -> None:
    """On SQLite each of them created the tables: three `academichub init` of a new home at once
    left one stopped with "table users already exists" (DDL runs outside SQLite's transaction)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_migrate_at, args=(settings.db_url, barrier, results)) for _ in range(4)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert outcomes == ["ok"] * 4
    engine = make_engine(settings.db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar() == 0
    engine.dispose()
