"""Followed authors' records: ids the reader gave (ORCID, OpenAlex) and answers to "是这位 … 吗?"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.storage import upsert
from academichub.storage.board import AUTHORS, BoardMemo
from academichub.storage.engine import board_of, reading, touch, write_transaction
from academichub.storage.schema import author_decisions, author_profiles


class AuthorRepo:
    """SQL for author decisions and profiles."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.board = board_of(engine)
        self._versions = BoardMemo()

    def decide(self, subscription_id: int, work_id: int, same_person: bool) -> None:
        """Remember whether a paper is by the followed author (a later answer replaces it)."""
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            touch(conn, AUTHORS)
            # One statement: a delete then an insert let two answers at once both insert (PostgreSQL).
            conn.execute(upsert.insert(conn, author_decisions).values(
                subscription_id=subscription_id, work_id=work_id, same_person=same_person, decided_at=now)
                .on_conflict_do_update(index_elements=["subscription_id", "work_id"],
                                       set_={"same_person": same_person, "decided_at": now}))

    def decisions(self, subscription_ids: Sequence[int]) -> dict[int, dict[int, bool]]:
        """Subscription id -> {work id: same person?}."""
        result: dict[int, dict[int, bool]] = {i: {} for i in subscription_ids}
        if not subscription_ids:
            return result
        query = sa.select(author_decisions.c.subscription_id, author_decisions.c.work_id,
                          author_decisions.c.same_person).where(
            author_decisions.c.subscription_id.in_(list(subscription_ids)))
        with reading(self.engine) as conn:
            for sub_id, work_id, same in conn.execute(query):
                result[sub_id][work_id] = bool(same)
        return result

    def set_profile(self, subscription_id: int, *, orcid: str | None = None, openalex_id: str | None = None) -> None:
        """Store the ids known for a followed author."""
        with write_transaction(self.engine) as conn:
            touch(conn, AUTHORS)
            conn.execute(sa.delete(author_profiles).where(author_profiles.c.subscription_id == subscription_id))
            conn.execute(sa.insert(author_profiles).values(subscription_id=subscription_id, orcid=orcid,
                                                           openalex_id=openalex_id, updated_at=datetime.now(UTC)))

    def profiles(self, subscription_ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
        """Subscription id -> (ORCID, OpenAlex id) for those with a profile."""
        if not subscription_ids:
            return {}
        query = sa.select(author_profiles.c.subscription_id, author_profiles.c.orcid,
                          author_profiles.c.openalex_id).where(
            author_profiles.c.subscription_id.in_(list(subscription_ids)))
        with reading(self.engine) as conn:
            return {sub_id: (orcid, openalex) for sub_id, orcid, openalex in conn.execute(query)}

    def version(self, subscription_ids: Sequence[int]) -> tuple[int, str]:
        """Changes whenever a decision or profile of these subscriptions changes, for cache keys (from
        memory while the change board says no answer or profile changed)."""
        if not subscription_ids:
            return 0, ""
        ids = tuple(subscription_ids)
        return self._versions.get(ids, ((self.board, (AUTHORS,)),), lambda: self._read_version(ids))

    def _read_version(self, ids: Sequence[int]) -> tuple[int, str]:
        ids = list(ids)
        decided = author_decisions.c.subscription_id.in_(ids)
        query = sa.select(sa.select(sa.func.count()).select_from(author_decisions).where(decided).scalar_subquery(),
                          sa.select(sa.func.max(author_decisions.c.decided_at)).where(decided).scalar_subquery(),
                          sa.select(sa.func.max(author_profiles.c.updated_at))
                          .where(author_profiles.c.subscription_id.in_(ids)).scalar_subquery())
        with reading(self.engine) as conn:
            count, newest, profiled = conn.execute(query).one()
        return int(count), f"{newest}|{profiled}"
