"""Reader feedback on works: like, save, dismiss, "less like this" — undoable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.model.feedback import Feedback
from academichub.storage import upsert
from academichub.storage.board import BoardMemo, user_slot
from academichub.storage.engine import board_of, reading, touch, write_transaction
from academichub.storage.locks import lock_row
from academichub.storage.schema import feedback, library_items, users


def _reader_versions() -> sa.Select:
    # Built once: what FeedbackRepo.version and LibraryRepo.version read, as one statement.
    def of(table: sa.Table) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
        mine = table.c.user_id == sa.bindparam("user")
        return (sa.select(sa.func.count()).select_from(table).where(mine).scalar_subquery(),
                sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)).where(mine).scalar_subquery())
    return sa.select(*of(feedback), *of(library_items))


_READER_VERSIONS = _reader_versions()


class FeedbackRepo:
    """SQL for feedback."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.board = board_of(engine)
        self._versions = BoardMemo()

    def add(self, user_id: int, work_id: int, action: str, *, replacing: Sequence[str] = ()) -> Feedback:
        """Record feedback (giving the same feedback twice keeps one), taking back the `replacing`
        actions on the work in the same transaction."""
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            touch(conn, user_slot(user_id))
            # A reader's feedback is written one change at a time (PostgreSQL; SQLite has one
            # writer): a like and a dismissal sent at once each took back what it saw, and both stayed.
            lock_row(conn, users.c.id, user_id)
            if replacing:
                conn.execute(sa.delete(feedback).where(feedback.c.user_id == user_id, feedback.c.work_id == work_id,
                                                       feedback.c.action.in_(list(replacing))))
            new_id = conn.execute(upsert.insert(conn, feedback).values(
                user_id=user_id, work_id=work_id, action=action, created_at=now)
                .on_conflict_do_nothing(index_elements=["user_id", "work_id", "action"])
                .returning(feedback.c.id)).scalar()
            if new_id is None:
                row = conn.execute(sa.select(feedback).where(
                    feedback.c.user_id == user_id, feedback.c.work_id == work_id, feedback.c.action == action)).one()
                return Feedback(row.id, row.work_id, row.action, row.created_at)
        return Feedback(new_id, work_id, action, now)

    def remove(self, user_id: int, work_id: int, action: str | None = None) -> int:
        """Undo feedback on a work (one action, or all of it); returns how many went."""
        query = sa.delete(feedback).where(feedback.c.user_id == user_id, feedback.c.work_id == work_id)
        if action is not None:
            query = query.where(feedback.c.action == action)
        with write_transaction(self.engine) as conn:
            touch(conn, user_slot(user_id))
            return conn.execute(query).rowcount

    def all(self, user_id: int) -> list[Feedback]:
        """A user's feedback, oldest first."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(feedback).where(feedback.c.user_id == user_id).order_by(feedback.c.id))
            return [Feedback(r.id, r.work_id, r.action, r.created_at) for r in rows]

    def on(self, user_id: int, work_ids: list[int]) -> dict[int, set[str]]:
        """The actions a user took on each of these works."""
        result: dict[int, set[str]] = {}
        with reading(self.engine) as conn:
            for start in range(0, len(work_ids), 500):
                query = sa.select(feedback.c.work_id, feedback.c.action).where(
                    feedback.c.user_id == user_id, feedback.c.work_id.in_(work_ids[start:start + 500]))
                for work_id, action in conn.execute(query):
                    result.setdefault(work_id, set()).add(action)
        return result

    def reader_versions(self, user_id: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """(feedback version, library version) of a reader in one read, each (count, newest id); from
        memory while the change board says neither changed."""
        return self._versions.get(user_id, ((self.board, (user_slot(user_id),)),),
                                  lambda: self._read_versions(user_id))

    def _read_versions(self, user_id: int) -> tuple[tuple[int, int], tuple[int, int]]:
        with reading(self.engine) as conn:
            row = conn.execute(_READER_VERSIONS, {"user": user_id}).one()
        return (int(row[0]), int(row[1])), (int(row[2]), int(row[3]))

    def version(self, user_id: int) -> tuple[int, int]:
        """(count, newest id): changes whenever feedback changes, for cache keys."""
        with reading(self.engine) as conn:
            count, newest = conn.execute(sa.select(sa.func.count(), sa.func.max(feedback.c.id))
                                         .where(feedback.c.user_id == user_id)).one()
        return int(count), int(newest or 0)
