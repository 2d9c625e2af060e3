"""Writing works: rows prepared outside the write lock, bulk inserts and updates, and the
lookups ingest plans with (identifiers, stored digests, titles)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from academichub.errors import StorageError
from academichub.keys import family_key, title_key
from academichub.model import ID_KINDS, Paper
from academichub.storage import bulk
from academichub.storage.board import WORKS_ADDED, WORKS_CHANGED
from academichub.storage.bulk import chunks, one_of
from academichub.storage.engine import touch
from academichub.storage.schema import work_authors, work_categories, work_ids, works

FAMILY_KEY_LENGTH = works.c.first_author_key.type.length


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TitleMatch:
    """A stored work found by its title key, with the ids that may forbid a merge."""

    id: int
    title_key: str
    first_author_key: str
    arxiv_id: str | None
    doi: str | None
    pmid: str | None


def first_author_key(paper: Paper) -> str:
    """The family-name key of a paper's first author ('' without authors), cut to its column's length."""
    return family_key(paper.authors[0].key)[:FAMILY_KEY_LENGTH] if paper.authors else ""


WORK_COLUMNS = (
    "arxiv_id", "arxiv_version", "doi", "pmid", "openalex_id", "url", "title", "title_key", "first_author_key",
    "abstract", "primary_category", "venue", "journal_ref", "comment", "submitted", "updated", "announced",
    "published", "feed_date", "announce_type", "license", "links", "sources", "content_hash",
)
_STAMPED = (*WORK_COLUMNS, "created_at", "updated_at")
# A merged record over its stored work; bound names are prefixed (a column's own name is reserved).
_UPDATE_WORK = sa.update(works).where(works.c.id == sa.bindparam("w_id")).values(
    {column: sa.bindparam(f"v_{column}", type_=works.c[column].type) for column in (*WORK_COLUMNS, "updated_at")})
_AUTHOR_COLUMNS = ("work_id", "position", "name", "name_key", "orcid", "affiliations")
_CATEGORY_COLUMNS = ("work_id", "category", "is_primary")
_ID_COLUMNS = ("kind", "value", "work_id")


@dataclass(frozen=True)
class PreparedChildren:
    """The identifiers, authors and categories of works as converted rows, waiting for the work ids."""

    ids: list[list[tuple[str, str]]]
    authors: bulk.Converted  # work id 0 until inserted
    author_counts: list[int]
    categories: bulk.Converted
    category_counts: list[int]


@dataclass(frozen=True)
class PreparedWorks:
    """New works as converted rows (`WorkRepo.prepare`), with their children's rows."""

    items: list[tuple[Paper, list[str], str]]
    works: bulk.Converted
    children: PreparedChildren

    def parts(self, size: int) -> list[PreparedWorks]:
        """The same works in consecutive parts of at most `size`, each insertable on its own."""
        if len(self.items) <= size:
            return [self]
        children = self.children
        author_ends = np.cumsum([0, *children.author_counts]).tolist()
        category_ends = np.cumsum([0, *children.category_counts]).tolist()
        found = []
        for start in range(0, len(self.items), size):
            end = min(start + size, len(self.items))
            found.append(PreparedWorks(self.items[start:end], bulk.Converted(self.works.dialect, self.works.rows[start:end]),
                                       PreparedChildren(
                                           children.ids[start:end],
                                           bulk.Converted(children.authors.dialect,
                                                          children.authors.rows[author_ends[start]:author_ends[end]]),
                                           children.author_counts[start:end],
                                           bulk.Converted(children.categories.dialect,
                                                          children.categories.rows[category_ends[start]:category_ends[end]]),
                                           children.category_counts[start:end])))
        return found


def filed_on(paper: Paper) -> date:
    """The day the feed files a work under: its first announcement (else publication) day, never
    after today (UTC). A journal's issue dated months ahead, or a feed's bogus 2099, made itself
    the newest day: "latest day" showed that one paper, "this week" the week around it."""
    today = datetime.now(UTC).date()
    day = paper.feed_date
    return today if day is None or day > today else day


def _work_values(paper: Paper, sources: list[str], content_hash: str) -> tuple:
    """A work's row, in WORK_COLUMNS order."""
    return (
        paper.arxiv_id, paper.arxiv_version, paper.doi, paper.pmid, paper.openalex_id, paper.url, paper.title,
        title_key(paper.title), first_author_key(paper), paper.abstract, paper.primary_category, paper.venue,
        paper.journal_ref, paper.comment, paper.submitted, paper.updated, paper.announced, paper.published,
        filed_on(paper), paper.announce_type, paper.license, paper.links, tuple(sources),
        content_hash,
    )


class WorkWrites:
    """Bulk writes of works and their identifiers, authors and categories (WorkRepo's writing half)."""

    engine: Engine

    def prepare(self, items: list[tuple[Paper, list[str], str]]) -> PreparedWorks:
        """New works (paper, sources, hash) as rows ready for `insert`, built before its transaction."""
        return PreparedWorks(
            items, bulk.convert(self.engine.dialect, works, WORK_COLUMNS, [_work_values(p, s, h) for p, s, h in items]),
            self._prepare_children([p for p, _, _ in items]))

    def _prepare_children(self, papers: list[Paper]) -> PreparedChildren:
        dialect = self.engine.dialect
        authors = [[(0, i, a.name, a.key, a.orcid, a.affiliations) for i, a in enumerate(p.authors)] for p in papers]
        categories = [[(0, c, c == p.primary_category) for c in p.categories] for p in papers]
        return PreparedChildren(
            [p.all_ids() for p in papers],
            bulk.convert(dialect, work_authors, _AUTHOR_COLUMNS, [row for rows in authors for row in rows]),
            [len(rows) for rows in authors],
            bulk.convert(dialect, work_categories, _CATEGORY_COLUMNS, [row for rows in categories for row in rows]),
            [len(rows) for rows in categories])

    def insert(self, conn: Connection, new: PreparedWorks | list[tuple[Paper, list[str], str]]) -> list[int]:
        """Insert new works (prepared, or (paper, sources, hash)) and return their ids in order."""
        prepared = new if isinstance(new, PreparedWorks) else self.prepare(new)
        if not prepared.items:
            return []
        # The time is taken under the write lock: updated_at then grows in commit order, which the
        # caches that compare the store's newest change rely on.
        touch(conn, WORKS_ADDED)
        now = bulk.convert(conn.dialect, works, ("created_at",), [(_now(),)]).rows[0][0]
        bulk.insert(conn, works, _STAMPED, bulk.Converted(conn.dialect.name,
                                                          [(*row, now, now) for row in prepared.works.rows]))
        # Then one lookup by identifier: INSERT … RETURNING runs row by row on SQLite, and COPY
        # returns nothing.
        papers = [p for p, _, _ in prepared.items]
        found = self._ids_by_primary(conn, papers)
        ids = [next((found[pair] for pair in p.all_ids() if pair in found), None) for p in papers]
        if None in ids:
            raise StorageError("storage: an inserted work could not be found again")
        self._insert_children(conn, ids, prepared.children)
        return ids

    def _insert_children(self, conn: Connection, ids: list[int], prepared: PreparedChildren) -> None:
        """The identifiers, authors and categories of prepared works, under their ids."""
        bulk.insert(conn, work_ids, _ID_COLUMNS,
                    [(kind, value, work_id) for work_id, pairs in zip(ids, prepared.ids, strict=True)
                     for kind, value in pairs])
        for table, columns, converted, counts in (
                (work_authors, _AUTHOR_COLUMNS, prepared.authors, prepared.author_counts),
                (work_categories, _CATEGORY_COLUMNS, prepared.categories, prepared.category_counts)):
            owners = [work_id for work_id, count in zip(ids, counts, strict=True) for _ in range(count)]
            bulk.insert(conn, table, columns, bulk.Converted(converted.dialect, [
                (work_id, *row[1:]) for work_id, row in zip(owners, converted.rows, strict=True)]))

    def update(self, conn: Connection, items: list[tuple[int, Paper, list[str], str]]) -> None:
        """Overwrite existing works (id, paper, sources, hash) with merged records."""
        if not items:
            return
        touch(conn, WORKS_CHANGED)
        now = _now()
        # One statement for the part, sent with every row's values (executemany): a statement per
        # row, each with its own values() to compile, was 40% of placing 2,000 journal versions.
        conn.execute(_UPDATE_WORK, [{"w_id": work_id, "v_updated_at": now,
                                     **{f"v_{column}": value for column, value in
                                        zip(WORK_COLUMNS, _work_values(paper, sources, content_hash), strict=True)}}
                                    for work_id, paper, sources, content_hash in items])
        ids = [work_id for work_id, *_ in items]
        for chunk in chunks(ids):
            for child in (work_authors, work_categories, work_ids):
                conn.execute(sa.delete(child).where(one_of(conn, child.c.work_id, chunk)))
        self._insert_children(conn, ids, self._prepare_children([paper for _, paper, _, _ in items]))

    def _ids_by_primary(self, conn: Connection, papers: list[Paper]) -> dict[tuple[str, str], int]:
        """Row ids by the unique id columns of `works` (used right after inserting)."""
        found: dict[tuple[str, str], int] = {}
        for kind in ID_KINDS:
            column = works.c[kind]
            values = sorted({v for p in papers if (v := getattr(p, kind))})
            for chunk in chunks(values):
                for work_id, value in conn.execute(sa.select(works.c.id, column).where(one_of(conn, column, chunk))):
                    found[(kind, value)] = work_id
        return found

    def find_existing(self, conn: Connection, papers: Iterable[Paper]) -> dict[tuple[str, str], int]:
        """Map every (id kind, value) of the given papers that names a stored work to its id."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for paper in papers:
            for kind, value in paper.all_ids():
                wanted[kind].add(value)
        found: dict[tuple[str, str], int] = {}
        for kind, values in wanted.items():
            for chunk in chunks(sorted(values)):
                rows = conn.execute(sa.select(work_ids.c.value, work_ids.c.work_id)
                                    .where(work_ids.c.kind == kind, one_of(conn, work_ids.c.value, chunk)))
                for value, work_id in rows:
                    found[(kind, value)] = work_id
        return found

    def content_hashes(self, conn: Connection, ids: Iterable[int]) -> dict[int, tuple[str, list[str]]]:
        """The stored digest and sources of works by id (what tells an unchanged record without loading it)."""
        found: dict[int, tuple[str, list[str]]] = {}
        for chunk in chunks(sorted(set(ids))):
            for row in conn.execute(sa.select(works.c.id, works.c.content_hash, works.c.sources)
                                    .where(one_of(conn, works.c.id, chunk))):
                found[row.id] = (row.content_hash, list(row.sources or []))
        return found

    def find_by_titles(self, conn: Connection, keys: Iterable[str], *,
                       families: Iterable[str] = ()) -> list[TitleMatch]:
        """Works whose title key is one of `keys`, or whose first author is one of `families`."""
        columns = (works.c.id, works.c.title_key, works.c.first_author_key, works.c.arxiv_id, works.c.doi,
                   works.c.pmid)
        found: dict[int, TitleMatch] = {}
        for column, values in ((works.c.title_key, keys), (works.c.first_author_key, families)):
            values = sorted({v for v in values if v})
            for chunk in chunks(values):
                for row in conn.execute(sa.select(*columns).where(one_of(conn, column, chunk))):
                    found[row.id] = TitleMatch(*row)
        return list(found.values())
