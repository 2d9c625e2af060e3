"""A reader's library items: matched to stored works, or carrying their own embedding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.model.paper import work_public_id
from academichub.storage.board import user_slot
from academichub.storage.engine import reading, touch, write_transaction
from academichub.storage.locks import lock_row
from academichub.storage.schema import library_items, users, works


@dataclass(frozen=True)
class LibraryRow:
    """One stored library item."""

    id: int
    source: str
    key: str
    title: str
    abstract: str
    year: int | None
    added: date | None
    work_id: int | None
    match: str
    model: str | None
    vector: np.ndarray | None

    @property
    def text(self) -> str:
        """Title and abstract, as a stored work's text reads."""
        return f"{self.title}. {self.abstract}" if self.abstract else self.title


@dataclass(frozen=True)
class LibraryEntry:
    """An imported item as the library page lists it: what it is and what it matched."""

    title: str
    year: int | None
    match: str | None  # how it matched a stored work (doi, arxiv, pmid, title), None when it did not
    paper_id: str | None  # the matched work's public id
    abstract: str = ""

    def to_json(self) -> dict[str, object]:
        """The entry as the API and `library list --source --json` give it."""
        return {"title": self.title, "year": self.year, "match": self.match, "paper": self.paper_id}


class LibraryRepo:
    """SQL for library items."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def replace_source(self, user_id: int, source: str, rows: list[dict]) -> None:
        """Store one import, replacing what an earlier import of the same source stored."""
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            touch(conn, user_slot(user_id))  # the reader's versions (storage.feedback) change
            # Two imports of one reader wait for each other (the user's row locked on PostgreSQL;
            # SQLite has one writer anyway): each deleted before the other's rows were visible,
            # and the second insert failed on the unique key.
            lock_row(conn, users.c.id, user_id)
            conn.execute(sa.delete(library_items).where(library_items.c.user_id == user_id,
                                                        library_items.c.source == source))
            if rows:
                conn.execute(sa.insert(library_items),
                             [{**row, "user_id": user_id, "source": source, "imported_at": now} for row in rows])

    def items(self, user_id: int) -> list[LibraryRow]:
        """Every library item of a user."""
        columns = [library_items.c[name] for name in ("id", "source", "item_key", "title", "abstract", "year", "added",
                                                       "work_id", "match", "model", "vector")]
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(*columns).where(library_items.c.user_id == user_id)
                                .order_by(library_items.c.id))
            return [LibraryRow(*row[:-1], np.frombuffer(row[-1], dtype=np.float32) if row[-1] else None)
                    for row in rows]

    def work_ids(self, user_id: int) -> set[int]:
        """The stored works a user's library items matched (papers the reader knows already)."""
        with reading(self.engine) as conn:
            return set(conn.execute(sa.select(library_items.c.work_id).where(
                library_items.c.user_id == user_id, library_items.c.work_id.is_not(None))).scalars())

    def sources(self, user_id: int) -> list[dict]:
        """Imported sources with their item and match counts."""
        query = (sa.select(library_items.c.source, sa.func.count(), sa.func.count(library_items.c.work_id),
                           sa.func.max(library_items.c.imported_at))
                 .where(library_items.c.user_id == user_id).group_by(library_items.c.source))
        with reading(self.engine) as conn:
            return [{"source": s, "items": n, "matched": m, "imported_at": t} for s, n, m, t in conn.execute(query)]

    def entries(self, user_id: int, source: str, *, limit: int, offset: int = 0) -> list[LibraryEntry]:
        """One imported source's items in the file's order, each with the public id of the stored
        work it matched (a page of them: a file may hold 100,000)."""
        query = (sa.select(library_items.c.title, library_items.c.year, library_items.c.match,
                           library_items.c.work_id, works.c.arxiv_id, works.c.doi, works.c.pmid, works.c.openalex_id,
                           library_items.c.abstract)
                 .select_from(library_items.outerjoin(works, works.c.id == library_items.c.work_id))
                 .where(library_items.c.user_id == user_id, library_items.c.source == source)
                 .order_by(library_items.c.id).limit(limit).offset(offset))
        with reading(self.engine) as conn:
            return [LibraryEntry(title, year, match if work_id else None,
                                 work_public_id(arxiv_id, doi, work_id, pmid, openalex) if work_id else None, abstract)
                    for title, year, match, work_id, arxiv_id, doi, pmid, openalex, abstract in conn.execute(query)]

    def delete_source(self, user_id: int, source: str) -> int:
        """Remove an imported source; returns how many items went."""
        with write_transaction(self.engine) as conn:
            touch(conn, user_slot(user_id))
            return conn.execute(sa.delete(library_items).where(library_items.c.user_id == user_id,
                                                               library_items.c.source == source)).rowcount

    def version(self, user_id: int) -> tuple[int, int]:
        """(count, newest id): changes whenever the library changes, for cache keys."""
        with reading(self.engine) as conn:
            count, newest = conn.execute(sa.select(sa.func.count(), sa.func.max(library_items.c.id))
                                         .where(library_items.c.user_id == user_id)).one()
        return int(count), int(newest or 0)
