"""The change board: reads kept in memory exactly while no write they depend on committed, in any process."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from academichub.ingest.pipeline import ingest
from academichub.model import Author, Paper
from academichub.radar.feed import FeedService
from academichub.settings import FeedSettings, Settings
from academichub.storage import board as board_module
from academichub.storage.board import BoardMemo, ChangeBoard, radar_slot, user_slot
from academichub.storage.engine import board_of, touch, write_transaction
from academichub.storage.feedstate import BatchItem
from academichub.storage.store import Store
from tests.conftest import make_settings


class _Counted:
    """Counts the statements an engine runs, so a test sees which reads went to the database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._seen)
        self.engine = engine

    def _seen(self, _conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        self.statements.append(statement)

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def _paper(n: int, day: date) -> Paper:
    return Paper(title=f"Board paper {n} about sparse retrieval", source="arxiv", arxiv_id=f"2611.{n:05d}",
                 abstract="We study it.", authors=[Author("Ada Board", "ada board")], categories=["cs.IR"],
                 primary_category="cs.IR", announced=day)


def _stocked(store: Store) -> tuple[int, int]:
    ingest(store, [_paper(n, date(2026, 11, 2)) for n in range(40)], source="arxiv")
    user, radar = store.accounts.ensure_local_user()
    return user.id, radar.id


def test_a_kept_read_is_read_again_after_every_kind_of_change(store: Store) -> None:
    user_id, radar_id = _stocked(store)
    feed = FeedService(store, FeedSettings())
    radar = store.accounts.get_radar(radar_id)
    feed.current(radar)
    sqlite = store.engine.dialect.name == "sqlite"
    counted = [_Counted(store.engine)] + ([_Counted(store.feed_engine)] if store.feed_engine is not store.engine else [])

    def statements() -> int:
        return sum(len(c.statements) for c in counted)

    def head():  # type: ignore[no-untyped-def]
        return store.feed_state.head(radar_id, user_id)

    first, radars = head(), store.accounts.radars(user_id)
    before = statements()
    assert head() == first and store.accounts.radars(user_id) == radars
    if sqlite:  # nothing changed: both reads came from memory
        assert statements() == before

    # Each change below must show in the very next read, on both backends.
    store.feedback.add(user_id, store.feed_state.latest(radar_id).items[0].work_id, "like")
    assert head().feedback != first.feedback
    now = head()
    store.accounts.add_subscription(radar_id, "keyword", "retrieval", "retrieval")
    assert head().subs_version == now.subs_version + 1
    assert store.accounts.get_radar(radar_id).subs_version == now.subs_version + 1
    assert [s.value for s in store.accounts.subscriptions(radar_id)] == ["retrieval"]
    assert store.accounts.radars(user_id)[0].subs_version == now.subs_version + 1
    now = head()
    feed.next(store.accounts.get_radar(radar_id), period="all")
    assert head().number == now.number + 1
    assert store.feed_state.latest(radar_id).number == now.number + 1
    other = store.accounts.create_radar(user_id, "second")
    assert [r.id for r in store.accounts.radars(user_id)] == [radar_id, other.id]
    store.accounts.delete_radar(user_id, other.id)
    assert [r.id for r in store.accounts.radars(user_id)] == [radar_id]
    # A shown work corrected by an ingest moves the head; a new work only its store token.
    now = head()
    shown = store.works.get(store.feed_state.latest(radar_id).items[0].work_id)
    newest = store.works.max_updated_at()
    with write_transaction(store.engine) as conn:
        store.works.update(conn, [(shown.id, replace(shown.paper, abstract="A corrected abstract."), shown.sources,
                                   "corrected")])
    assert head().works_updated != now.works_updated and store.works.max_updated_at() > newest
    now = head()
    ingest(store, [_paper(99, date(2026, 11, 3))], source="arxiv")
    assert head() == now and head().store_changed != now.store_changed
    for c in counted:
        c.close()


def _writer_in_another_process(url: str, radar_id: int, user_id: int, work_id: int, ready, go) -> None:  # type: ignore[no-untyped-def]
    from academichub.settings import load_settings

    settings = load_settings(Path(url), schedule={"enabled": False})
    with Store.open(settings, sync=False) as store:
        ready.set()
        go.wait(30)
        store.feedback.add(user_id, work_id, "save")
        store.feed_state.claim(radar_id, [BatchItem(work_id + 1, 0, 1.0, [])], size=1, period="all",
                               anchor_date=None, subs_version=0)


def test_a_write_in_another_process_is_seen_by_the_next_read_here(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    with Store.open(settings) as store:
        user_id, radar_id = _stocked(store)
        work_id = store.works.ids()[0]
        first = store.feed_state.head(radar_id, user_id)
        assert store.feed_state.head(radar_id, user_id) == first  # kept
        context = multiprocessing.get_context("spawn")
        ready, go = context.Event(), context.Event()
        writer = context.Process(target=_writer_in_another_process,
                                 args=(str(settings.home), radar_id, user_id, work_id, ready, go))
        writer.start()
        assert ready.wait(60)
        go.set()
        writer.join(60)
        assert writer.exitcode == 0
        after = store.feed_state.head(radar_id, user_id)
        assert after.feedback != first.feedback and after.number == first.number + 1


def test_marks_are_taken_before_the_read_so_a_change_meanwhile_is_never_kept(tmp_path: Path) -> None:
    board = ChangeBoard(str(tmp_path / "board"))
    memo = BoardMemo()
    value = {"n": 1}

    def read_while_a_writer_commits() -> int:
        seen = value["n"]
        value["n"] = 2  # a writer commits and announces after the marks were taken, during the read
        board.bump([5])
        return seen

    assert memo.get("k", ((board, (5,)),), read_while_a_writer_commits) == 1
    assert memo.get("k", ((board, (5,)),), lambda: value["n"]) == 2  # read again: the marks moved


def test_nothing_is_kept_past_max_age_or_without_a_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    board = ChangeBoard(str(tmp_path / "board"))
    memo = BoardMemo()
    reads = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    memo.get("k", ((board, (1,)),), read)
    memo.get("k", ((board, (1,)),), read)
    assert len(reads) == 1
    monkeypatch.setattr(board_module, "MAX_AGE", 0.0)  # a writer killed between commit and bump is outlived
    memo.get("k", ((board, (1,)),), read)
    assert len(reads) == 2
    memo.get("k", ((None, (1,)),), read)
    memo.get("k", ((None, (1,)),), read)
    assert len(reads) == 4


def test_slots_are_bumped_once_per_commit_under_the_writer_lock_and_never_on_rollback(settings: Settings) -> None:
    with Store.open(settings) as store:
        board = board_of(store.engine)
        if board is None:
            pytest.skip("PostgreSQL has no change board: every read goes to the database")
        slot = user_slot(7)
        start = board.read(slot)
        with pytest.raises(RuntimeError), write_transaction(store.engine) as conn:
            touch(conn, slot)
            raise RuntimeError("rolled back")
        assert board.read(slot) == start

        def write(_: int) -> None:
            for _ in range(25):
                with write_transaction(store.engine) as conn:
                    touch(conn, slot, radar_slot(7))
        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert board.read(slot) == start + 100  # no increment lost between threads


def test_author_answers_and_stored_models_are_read_again_once_written(store: Store) -> None:
    from datetime import UTC, datetime

    from academichub.storage.reader_models import StoredModel

    user_id, radar_id = _stocked(store)
    sub = store.accounts.add_subscription(radar_id, "author", "Ada Board", "ada board")
    before = store.authors.version([sub.id])
    assert store.authors.version([sub.id]) == before  # kept
    store.authors.decide(sub.id, store.works.ids()[0], same_person=True)
    assert store.authors.version([sub.id]) != before
    assert store.reader_models.inputs(radar_id) is None
    model = StoredModel(radar_id, "digest-1", 1, "", "centroid", None, 0.0, None, 0.0, [], None,
                        datetime.now(UTC), 0.1)
    store.reader_models.save(model)
    assert store.reader_models.inputs(radar_id) == "digest-1"
    store.reader_models.save(replace(model, inputs="digest-2"))
    assert store.reader_models.inputs(radar_id) == "digest-2"
