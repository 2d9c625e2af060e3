"""The change board: reads kept in memory exactly while no write they depend on committed, in any process."""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from academichub.ingest.pipeline import ingest
from academichub.model import Author, Paper
from academichub.radar.feed import FeedService
from academichub.settings import FeedSettings, Settings
from academichub.storage import board as board_module
from academichub.storage.board import BoardMemo, ChangeBoard, radar_slot, user_slot
from academichub.storage.engine import board_of, migrate, reading, touch, write_transaction
from academichub.storage.feedstate import BatchItem
from academichub.storage.listened_board import AsyncSequence, ListenedBoard
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


def _live(store: Store) -> bool:
    """Whether the store's board is trusted, waiting for a PostgreSQL store's listener to connect."""
    board = board_of(store.engine)
    return board is not None and (board.wait_live(10) if isinstance(board, ListenedBoard) else board.live)


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
    counted = [_Counted(store.engine)] + ([_Counted(store.feed_engine)] if store.feed_engine is not store.engine else [])

    def statements() -> int:
        return sum(len(c.statements) for c in counted)

    def head():  # type: ignore[no-untyped-def]
        return store.feed_state.head(radar_id, user_id)

    assert _live(store)
    first, radars = head(), store.accounts.radars(user_id)
    before = statements()
    assert head() == first and store.accounts.radars(user_id) == radars
    assert statements() == before  # nothing changed: both reads came from memory, on both backends

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


def _writer_in_another_process(home: str, database_url: str | None, radar_id: int, user_id: int, work_id: int,
                               ready, go) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(Path(home), database_url)
    with Store.open(settings, sync=False) as store:
        ready.set()
        go.wait(30)
        store.feedback.add(user_id, work_id, "save")
        store.feed_state.claim(radar_id, [BatchItem(work_id + 1, 0, 1.0, [])], size=1, period="all",
                               anchor_date=None, subs_version=0)


def test_a_write_in_another_process_is_seen_by_the_next_read_here(tmp_path: Path, backend: str | None) -> None:
    settings = make_settings(tmp_path / "home", backend)
    with Store.open(settings) as store:
        user_id, radar_id = _stocked(store)
        work_id = store.works.ids()[0]
        assert _live(store)
        first = store.feed_state.head(radar_id, user_id)
        counted = _Counted(store.engine)
        assert store.feed_state.head(radar_id, user_id) == first and not counted.statements  # kept
        context = multiprocessing.get_context("spawn")
        ready, go = context.Event(), context.Event()
        writer = context.Process(target=_writer_in_another_process,
                                 args=(str(settings.home), backend, radar_id, user_id, work_id, ready, go))
        writer.start()
        assert ready.wait(60)
        go.set()
        writer.join(60)
        assert writer.exitcode == 0
        # SQLite: the writer bumped the shared file before it let the lock go, so the very next read
        # sees it. PostgreSQL: once the commit's notification reached this process's listener.
        waited, after = 0.0, store.feed_state.head(radar_id, user_id)
        while after.number == first.number and waited < 1.0 and backend:
            time.sleep(0.005)
            waited += 0.005
            after = store.feed_state.head(radar_id, user_id)
        assert after.feedback != first.feedback and after.number == first.number + 1
        counted.close()


def test_postgresql_board_moves_on_commits_only_and_trusts_nothing_while_its_listener_is_down(
        tmp_path: Path, backend: str | None) -> None:
    if backend is None:
        pytest.skip("the listened board is PostgreSQL's")
    settings = make_settings(tmp_path / "home", backend)
    with Store.open(settings) as writer_store, Store.open(settings) as store:
        board = board_of(store.engine)
        assert isinstance(board, ListenedBoard) and board.wait_live(10)
        assert board_of(writer_store.engine) is not board  # two stores: the writer's commit reaches this one by notification
        slot = user_slot(11)
        start = board.read(slot)
        with pytest.raises(RuntimeError), write_transaction(writer_store.engine) as conn:
            touch(conn, slot)
            raise RuntimeError("rolled back")
        committed = time.monotonic()
        with write_transaction(writer_store.engine) as conn:
            touch(conn, slot, radar_slot(3))
        while board.read(slot) == start and time.monotonic() - committed < 5:
            time.sleep(0.001)
        assert board.read(slot) == start + 1  # the commit arrived, the rollback never did
        assert time.monotonic() - committed < 1.0
        own = board_of(writer_store.engine)
        assert isinstance(own, ListenedBoard) and own.wait_live(10)
        before_own = own.read(slot)
        with write_transaction(writer_store.engine) as conn:
            touch(conn, slot)
        assert own.read(slot) == before_own + 1  # the writer's process counts its commit at once
        writer_store.sync_board()  # its own notification has come back by now ...
        assert own.read(slot) == before_own + 1  # ... and moved nothing again (no second read of what it kept)

        # The listener's connection is cut: nothing is trusted until it listens again, then every
        # counter has moved (what committed meanwhile was never announced here).
        memo, reads = BoardMemo(), []
        def read() -> int:  # noqa: E306
            reads.append(1)
            return len(reads)
        memo.get("k", ((board, (slot,)),), read)
        memo.get("k", ((board, (slot,)),), read)
        assert len(reads) == 1
        before = board.read(radar_slot(40))
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": board.backend_pid}).scalar()
        deadline = time.monotonic() + 5
        while board.live and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not board.live
        memo.get("k", ((board, (slot,)),), read)
        assert len(reads) == 2  # not trusted while down
        assert board.wait_live(10)
        assert board.read(radar_slot(40)) > before
        memo.get("k", ((board, (slot,)),), read)
        memo.get("k", ((board, (slot,)),), read)
        assert len(reads) == 3  # read once after the listener came back, then kept
    assert not board.live  # the store closed: its listener stopped


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
        if isinstance(board, ListenedBoard):
            pytest.skip("a PostgreSQL board is moved by notifications too (the test above)")
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


def test_a_read_after_another_process_committed_waits_for_its_notification_on_postgresql(
        tmp_path: Path, backend: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend is None:
        pytest.skip("SQLite's board is shared memory: current at the writer's commit")
    from fastapi.testclient import TestClient

    from academichub.storage import listened_board
    from academichub.web.app import create_app

    settings = make_settings(tmp_path / "home", backend)
    with Store.open(settings) as writer:
        user_id, radar_id = _stocked(writer)
        with TestClient(create_app(settings)) as client:
            served = client.app.state.academichub.store
            assert _live(served)
            first = client.get("/api/v1/feed?period=all").json()
            assert client.get("/api/v1/feed?period=all").json() == first
            # The first feed asked the served process's trainer for a model: stored later, it marks the
            # radar changed and the head is read again (seen once in a loaded suite: batch 2, not 1).
            assert client.app.state.academichub.trainer.wait_idle(60)
            # The writer's first 换一批 below builds its window (seconds under a loaded suite): what
            # is kept must outlive it, so the check after it sees the board, not the age limit.
            monkeypatch.setattr(board_module, "MAX_AGE", 600.0)
            kept = served.feed_state.head(radar_id, user_id)
            # From now on the listeners hold every notification until `released` (a fixed delay raced
            # a loaded suite: the 换一批's own work outlasted it).
            original, released = listened_board.parse, threading.Event()
            monkeypatch.setattr(listened_board, "parse", lambda text: (released.wait(10), original(text))[1])

            FeedService(writer, FeedSettings()).next(writer.accounts.get_radar(radar_id), period="all")
            assert served.feed_state.head(radar_id, user_id) == kept  # what a read without waiting would show
            started = time.monotonic()
            threading.Timer(0.3, released.set).start()
            after = client.get("/api/v1/feed?period=all").json()
            assert after["batch"] == first["batch"] + 1  # the request waited for the listener
            assert time.monotonic() - started >= 0.2

            writer.feedback.add(user_id, writer.feed_state.latest(radar_id).items[0].work_id, "like")
            served.sync_board()  # what the batch process does before each 换一批
            assert served.feed_state.head(radar_id, user_id).feedback != kept.feedback


def test_reads_on_postgresql_open_no_transaction_and_the_next_write_is_still_atomic(backend: str | None) -> None:
    if backend is None:
        pytest.skip("SQLite's reads open a transaction of their own (WAL snapshot), without a round trip")
    import psycopg

    one = sa.create_engine(backend, pool_size=1, max_overflow=0)  # one connection: every block below shares it
    migrate(one)
    try:
        with reading(one) as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM counters")).scalar() is not None
            # No BEGIN was sent: the statement ran on its own, and no ROLLBACK will follow.
            assert conn.connection.dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        # The same pooled connection, handed back: writes are transactions again, all or nothing.
        with pytest.raises(RuntimeError), write_transaction(one) as conn:
            conn.execute(sa.text("INSERT INTO counters (name, value) VALUES ('atomic-check', 1)"))
            raise RuntimeError("rolled back")
        with reading(one) as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM counters WHERE name = 'atomic-check'")).scalar() == 0
    finally:
        one.dispose()


def test_the_notification_postgresql_sends_names_the_commits_sequence_and_slots(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("the listened board is PostgreSQL's")
    import psycopg

    from academichub.storage import listened_board

    conninfo = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        channel = listener.execute(f"SELECT {listened_board.CHANNEL_SQL}").fetchone()[0]
        listener.execute(f"LISTEN {channel}")
        with write_transaction(store.engine) as conn:
            touch(conn, radar_slot(3), user_slot(17))
        with write_transaction(store.engine) as conn:
            touch(conn, *range(board_module.SLOTS))  # too many to name: every slot
        heard = [note.payload for note in listener.notifies(timeout=5, stop_after=2)]
    sequence = store.board_sequence()
    assert heard == [listened_board.payload(sequence - 1, {radar_slot(3), user_slot(17)}),
                     listened_board.payload(sequence, range(board_module.SLOTS))]
    assert listened_board.parse(heard[1])[1] == range(board_module.SLOTS)


def test_the_sequence_read_on_the_event_loop_follows_commits_and_connects_again_after_a_loss(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's board is shared memory: there is no sequence to read")
    import asyncio

    import psycopg

    async def reads() -> list[object]:
        reader = store.async_sequence()
        seen: list[object] = [await reader.read() == store.board_sequence()]
        with write_transaction(store.engine) as conn:
            touch(conn, user_slot(5))
        seen.append(await reader.read() == store.board_sequence())
        with reading(store.engine) as conn:  # its connection is cut, as a server restart would
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": reader.backend_pid}).scalar()
        cut = reader.backend_pid
        seen.append(await reader.read() == store.board_sequence())  # connected again, the request served
        seen.append(reader.backend_pid not in (None, cut))
        await reader.close()
        try:  # nothing listens on port 1: an unreachable database fails the read
            await AsyncSequence("postgresql://127.0.0.1:1/test?connect_timeout=5").read()
            seen.append("read an unreachable database")
        except psycopg.OperationalError:
            seen.append("failed")
        return seen

    assert asyncio.run(reads()) == [True, True, True, True, "failed"]


@given(sequence=st.integers(min_value=0, max_value=2**62),
       slots=st.sets(st.integers(min_value=0, max_value=board_module.SLOTS - 1), max_size=board_module.SLOTS))
def test_a_notification_names_its_sequence_and_slots_or_every_slot(sequence: int, slots: set[int]) -> None:
    from academichub.storage import listened_board

    text = listened_board.payload(sequence, slots)
    assert len(text.encode()) < 8000  # PostgreSQL's limit on a payload
    number, named = listened_board.parse(text)
    assert number == sequence and set(named) >= slots  # never fewer: a missed slot would be a stale read


@pytest.mark.parametrize("text", ["", "x", "12:", "12:a,b", "-:3", "7:99999"])
def test_a_garbled_notification_moves_every_slot_or_none_it_cannot_name(text: str) -> None:
    from academichub.storage import listened_board

    _number, named = listened_board.parse(text)
    assert list(named) in ([], list(range(board_module.SLOTS))) or all(0 <= s < board_module.SLOTS for s in named)


def test_a_forked_child_trusts_nothing_its_parents_board_counted(tmp_path: Path, backend: str | None) -> None:
    if backend is None:
        pytest.skip("SQLite's board is a shared file: a forked child maps the same counters")
    import os

    settings = make_settings(tmp_path / "home", backend)
    with Store.open(settings) as store:
        board = board_of(store.engine)
        assert isinstance(board, ListenedBoard) and board.wait_live(10)
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the child's copy of the board has no listening thread behind it
            os.write(write, b"1" if not board.live and board_of(store.engine) is not board else b"0")
            os._exit(0)
        os.waitpid(child, 0)
        assert os.read(read, 1) == b"1"
        assert board.live  # the parent's is unaffected


def test_requests_share_reads_of_the_board_sequence_and_one_that_goes_away_cancels_none(store: Store) -> None:
    import asyncio

    from academichub.web.fresh import _SharedRead, close_reads

    reads: list[float] = []
    real = store.board_sequence
    make_reader = store.async_sequence

    class Slow:
        """The store's own reader of the sequence (on PostgreSQL, its asynchronous connection), slowed."""

        def __init__(self) -> None:
            self.reader = make_reader()

        async def read(self) -> int:
            reads.append(time.monotonic())
            await asyncio.sleep(0.05)  # long enough for every request below to arrive during the first read
            return await self.reader.read() if self.reader is not None else real()

        async def close(self) -> None:
            if self.reader is not None:
                await self.reader.close()

    store.async_sequence = Slow  # type: ignore[method-assign]
    shared = _SharedRead()

    async def requests() -> list[object]:
        first = asyncio.ensure_future(shared.read(store))
        await asyncio.sleep(0.01)  # the first read is running now
        later = [asyncio.ensure_future(shared.read(store)) for _ in range(20)]
        gone = asyncio.ensure_future(shared.read(store))
        await asyncio.sleep(0.01)
        gone.cancel()  # a client that disconnects while it waits
        answered = await asyncio.gather(first, *later, return_exceptions=True)
        await close_reads()
        return answered

    answers = asyncio.run(requests())
    assert answers == [real()] * 21  # nobody got the cancellation, every one an answer
    assert len(reads) == 2  # the first request's read, then one read for all 21 that came during it
