"""The tantivy full-text index of works, kept in step with the database and rebuildable from it.

Measured at 1M papers tantivy answers at p95 ≤ 2.4 ms, against 150–250 ms for SQLite FTS5,
so search goes here while the database stays the source of truth. A small `sync.json` beside
the index records the database it mirrors and how far it has caught up (the newest
`updated_at` indexed); `Store` uses it to catch up after a crash or rebuild when it mismatches.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import tantivy

from academichub.errors import StorageError
from academichub.keys import venue_key

log = logging.getLogger(__name__)
EPOCH = date(1970, 1, 1)
WRITER_HEAP = 128_000_000
WRITER_THREADS = max(1, min(2, os.cpu_count() or 1))  # 2 threads halve bulk indexing here
LOCK_WAIT_SECONDS = 30.0
SEARCH_FIELDS = ["title", "abstract", "authors", "categories"]
SCHEMA_VERSION = "6"  # bump when _schema() changes: an index of another version is rebuilt


@dataclass(frozen=True)
class IndexDoc:
    """What the index keeps of a work."""

    work_id: int
    title: str
    abstract: str
    authors: str
    categories: list[str]
    day: date
    sources: list[str] = field(default_factory=list)
    venue: str | None = None


@dataclass(frozen=True)
class SearchHits:
    """Matching work ids with scores, best first, and the total match count."""

    total: int
    hits: list[tuple[int, float]]


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # A signed field: tantivy-py builds i64 terms, so deleting by term on a u64 field
    # silently matches nothing (and an update would duplicate the work).
    builder.add_integer_field("work_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("abstract", tokenizer_name="en_stem")
    builder.add_text_field("authors", tokenizer_name="default")
    builder.add_text_field("categories", tokenizer_name="raw")
    builder.add_text_field("archives", tokenizer_name="raw")  # "astro-ph" of "astro-ph.GA": cat:astro-ph
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("sources", tokenizer_name="raw")  # "arxiv", "crossref", "nature" …
    builder.add_text_field("venue", tokenizer_name="raw")  # the venue's match key (keys.venue_key), for the venue filter
    return builder.build()


def day_number(value: date) -> int:
    """Days since 1970-01-01, the index's date representation."""
    return (value - EPOCH).days


class SearchIndex:
    """Full-text search over works; one writer at a time across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        version_file = path / "schema_version"
        if not version_file.exists() or version_file.read_text().strip() != SCHEMA_VERSION:
            self._empty()  # an index is derived data: rebuild rather than migrate
        self.schema = _schema()
        try:
            self.index = self._open()
        except StorageError as exc:
            if "corrupt" not in str(exc).lower():
                raise
            # Derived data too: emptied and rebuilt from the database by the store's catch-up (its
            # sync record goes with it), instead of failing every command, `reindex` included,
            # until someone deletes the directory by hand.
            log.warning("search-index: %s is corrupt (%s); rebuilding it from the database", path, exc)
            self._empty()
            self.index = self._open()

    def _empty(self) -> None:
        """Delete everything in the index directory and mark it with this schema version."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "schema_version").write_text(SCHEMA_VERSION)

    def _open(self) -> tantivy.Index:
        try:
            return tantivy.Index(self.schema, path=str(self.path), reuse=True)
        except (OSError, ValueError) as exc:
            raise StorageError(f"search-index: cannot open {self.path}: {exc}") from None

    # -- state shared with the database -------------------------------------------------
    def read_sync(self) -> dict[str, str]:
        """The recorded database fingerprint and watermark."""
        try:
            return json.loads((self.path / "sync.json").read_text())
        except (OSError, ValueError):
            return {}

    def write_sync(self, *, database: str, watermark: str | None) -> None:
        """Record which database this index mirrors and how far it has caught up."""
        tmp = self.path / "sync.json.tmp"
        tmp.write_text(json.dumps({"database": database, "watermark": watermark or ""}))
        tmp.replace(self.path / "sync.json")

    # -- writing ------------------------------------------------------------------------
    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
                break
            except ValueError as exc:  # another process holds the writer lock
                if time.monotonic() > deadline:
                    raise StorageError(f"search-index: writer busy: {exc}") from None
                time.sleep(0.2)
        try:
            yield writer
            writer.commit()
        except ValueError as exc:  # tantivy's own failure (a full disk kills the writer's threads): one line
            with suppress(ValueError):
                writer.rollback()
            raise StorageError(f"search-index: writing {self.path} failed: {exc}{_space_left(self.path)}") from None
        except BaseException:
            writer.rollback()
            raise
        finally:
            with suppress(ValueError):  # a killed writer has no merging threads left to wait for
                writer.wait_merging_threads()  # releases the lock
        self.index.reload()

    def upsert(self, docs: Iterable[IndexDoc]) -> int:
        """Replace the documents of these works; returns how many were written."""
        count = 0
        with self._writer() as writer:
            for doc in docs:
                writer.delete_documents_by_term("work_id", doc.work_id)
                writer.add_document(self._document(doc))
                count += 1
        return count

    def delete(self, work_ids: Iterable[int]) -> None:
        """Remove works from the index."""
        with self._writer() as writer:
            for work_id in work_ids:
                writer.delete_documents_by_term("work_id", work_id)

    def replace_all(self, docs: Iterable[IndexDoc]) -> int:
        """Every document replaced by these in one commit; returns how many were written.

        Readers keep the old documents until the new ones land: cleared in a commit of its own,
        the index answered every search with nothing while it was rebuilt (and stayed so after a
        rebuild that failed)."""
        count = 0
        with self._writer() as writer:
            writer.delete_all_documents()  # what is added after it in this session stays
            for doc in docs:
                writer.add_document(self._document(doc))
                count += 1
        return count

    def _document(self, doc: IndexDoc) -> tantivy.Document:
        document = tantivy.Document()
        document.add_integer("work_id", doc.work_id)
        document.add_text("title", doc.title)
        document.add_text("abstract", doc.abstract)
        document.add_text("authors", doc.authors)
        # Casefolded, as venues are: "cat:cs.ai" and "cat:CS.AI" find what a subscription to either matches.
        for category in dict.fromkeys(c.casefold() for c in doc.categories):
            document.add_text("categories", category)
        for archive in dict.fromkeys(c.casefold().split(".")[0] for c in doc.categories):
            document.add_text("archives", archive)
        document.add_integer("day", day_number(doc.day))
        for source in doc.sources:
            document.add_text("sources", source)
        if doc.venue:
            document.add_text("venue", venue_key(doc.venue))
        return document

    # -- reading ------------------------------------------------------------------------
    def count(self) -> int:
        """Number of indexed works."""
        self.index.reload()
        return self.index.searcher().num_docs

    def work_ids(self) -> list[int]:
        """The work id of every indexed document, a work indexed twice twice (read from the fast
        field: 20 ms for 51,698 documents)."""
        self.index.reload()
        searcher = self.index.searcher()
        if not searcher.num_docs:
            return []
        found = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs)
        return [int(i) for i in searcher.fast_field_values("work_id", [address for _, address in found.hits])]

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        offset: int = 0,
        date_from: date | None = None,
        date_to: date | None = None,
        category: str | None = None,
        source: str | None = None,
        venue: str | None = None,
    ) -> SearchHits:
        """Best matches of a query in tantivy's language (see search.query) within filters."""
        parsed, _errors = self.index.parse_query_lenient(
            query, default_field_names=SEARCH_FIELDS, field_boosts={"title": 2.0}
        )
        clauses = [(tantivy.Occur.Must, parsed)]
        if date_from or date_to:
            clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "day", tantivy.FieldType.Integer,
                day_number(date_from) if date_from else None,
                day_number(date_to) if date_to else None,
            )))
        if category:
            field = "categories" if "." in category else "archives"  # an archive filters on its subjects
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, field, category.casefold())))
        if source:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "sources", source.casefold())))
        if venue:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "venue", venue_key(venue))))
        final = clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
        self.index.reload()
        searcher = self.index.searcher()
        result = searcher.search(final, limit=limit, offset=offset, count=True)
        hits = [(searcher.doc(address)["work_id"][0], float(score)) for score, address in result.hits]
        return SearchHits(total=result.count or 0, hits=hits)


def _space_left(path: Path) -> str:
    """A hint when the disk holding `path` is nearly full (why tantivy's writer usually dies)."""
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return ""
    return f" (only {free / 1e6:.1f} MB free on its disk)" if free < 100e6 else ""
