"""The Store: one database (SQLite or PostgreSQL) plus its full-text index, opened together."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property
from pathlib import Path

import sqlalchemy as sa

from academichub.errors import StorageError
from academichub.keys import match_form
from academichub.model import Paper
from academichub.settings import Settings
from academichub.storage.accounts import AccountRepo
from academichub.storage.auth import AuthRepo
from academichub.storage.authors import AuthorRepo
from academichub.storage.board import SLOTS
from academichub.storage.briefings import BriefingRepo
from academichub.storage.deliveries import DeliveryRepo
from academichub.storage.engine import (
    board_of,
    board_sequence,
    close_board,
    libpq_url,
    listened_of,
    make_engine,
    migrate,
    normalise_url,
    sync_board,
)
from academichub.storage.features import FeatureRepo
from academichub.storage.feedback import FeedbackRepo
from academichub.storage.feeddb import make_feed_engine
from academichub.storage.feedstate import FeedStateRepo
from academichub.storage.identity import read_identity
from academichub.storage.library import LibraryRepo
from academichub.storage.listened_board import AsyncSequence
from academichub.storage.reader_models import ReaderModelRepo
from academichub.storage.search_index import IndexDoc, SearchHits, SearchIndex
from academichub.storage.sourcestate import SourceStateRepo
from academichub.storage.vector_index import VectorIndex
from academichub.storage.vectors import VectorRepo
from academichub.storage.work_writes import filed_on
from academichub.storage.works import WorkRepo

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


def index_doc(work_id: int, paper: Paper, sources: list[str]) -> IndexDoc:
    """What the search index keeps of a stored work."""
    return IndexDoc(
        work_id=work_id, title=match_form(paper.title), abstract=match_form(paper.abstract),  # "CO2" finds CO₂
        authors=", ".join(a.name for a in paper.authors), categories=paper.categories,
        day=filed_on(paper),  # the day storage files it under
        sources=list(sources), venue=paper.venue,
    )


def database_fingerprint(url: str) -> str:
    """The database URL without its password, naming what an index mirrors."""
    return sa.engine.make_url(normalise_url(url)).render_as_string(hide_password=True)


class Store:
    """Repositories over one engine, and the search index kept in step with them."""

    def __init__(self, engine: sa.Engine, index: SearchIndex, *, database: str,
                 vectors_dir: Path | None = None, ann_threshold: int = 200_000) -> None:
        self.engine = engine
        self.index = index
        self.database = database
        self.vectors_dir = vectors_dir or index.path.parent / "vectors"
        self.ann_threshold = ann_threshold
        self._vector_indexes: dict[str, VectorIndex] = {}
        self.works = WorkRepo(engine)
        self.accounts = AccountRepo(engine)
        self.feed_engine = make_feed_engine(engine)  # the feed's memory: its own file on SQLite
        self.feed_state = FeedStateRepo(self.feed_engine, engine)
        self.sources = SourceStateRepo(engine)
        self.vectors = VectorRepo(engine)
        self.features = FeatureRepo(engine)
        self.reader_models = ReaderModelRepo(engine)
        self.library = LibraryRepo(engine)
        self.feedback = FeedbackRepo(engine)
        self.authors = AuthorRepo(engine)
        self.briefings = BriefingRepo(engine)
        self.auth = AuthRepo(engine)
        self.deliveries = DeliveryRepo(engine)

    @classmethod
    def open(cls, settings: Settings, *, sync: bool = True) -> Store:
        """Open (creating and migrating as needed) the store of these settings."""
        if settings.home.exists() and not settings.home.is_dir():
            raise StorageError(f"storage: the data directory {settings.home} is a file, not a directory")
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.db_url)
        migrate(engine)
        store = cls(engine, SearchIndex(settings.index_dir), database=database_fingerprint(settings.db_url),
                    vectors_dir=settings.home / "vectors", ann_threshold=settings.search.ann_threshold)
        if sync:
            store.sync_index()
        return store

    def close(self) -> None:
        """Release database connections."""
        if self.feed_engine is not self.engine:
            self.feed_engine.dispose()
        close_board(self.engine)
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keeping the index in step ----------------------------------------------------
    @cached_property
    def index_key(self) -> str:
        """What the index records it mirrors: the store's identity, which a copied store keeps
        (read when the index is first synced: a reader-only process never asks)."""
        identity = read_identity(self.engine)
        return f"store:{identity}" if identity else self.database

    def index_works(self, works: Iterable[tuple[int, Paper, list[str]]]) -> int:
        """Write these (work id, record, sources) to the index and advance the watermark."""
        written = self.index.upsert(index_doc(*work) for work in works)
        self._mark_synced()
        return written

    def _mark_synced(self) -> None:
        newest = self.works.max_updated_at()
        self.index.write_sync(database=self.index_key, watermark=newest.isoformat() if newest else None)

    def _docs(self, since: datetime | None, progress: Progress | None) -> Iterable[IndexDoc]:
        for chunk in self.works.iter_all(since=since):
            yield from (index_doc(w.id, w.paper, w.sources) for w in chunk)
            if progress:
                progress(len(chunk))

    def board_listened(self) -> bool:
        """Whether reads here wait for the board to catch up first (engine.listened_of)."""
        return listened_of(self.engine) is not None

    def board_sequence(self) -> int:
        """The store's board sequence number now (storage/listened_board.py; 0 on SQLite)."""
        return board_sequence(self.engine) or 0

    def async_sequence(self) -> AsyncSequence | None:
        """A reader of the board sequence for one event loop (PostgreSQL; None on SQLite)."""
        if self.engine.dialect.name != "postgresql":
            return None
        return AsyncSequence(libpq_url(self.engine))

    def board_caught_up(self, sequence: int) -> bool:
        """Whether reads here may trust the board up to `sequence` (or it stopped listening: nothing is trusted)."""
        board = listened_of(self.engine)
        return board is None or board.caught_up(sequence)

    def distrust_board(self) -> None:
        """Read everything kept again once (the board could not be caught up in time)."""
        board = board_of(self.engine)
        if board is not None:
            board.bump(range(SLOTS))

    def sync_board(self) -> None:
        """Wait until this process's board counts every change committed before now (blocking)."""
        sync_board(self.engine)

    def sync_index(self, progress: Progress | None = None) -> int:
        """Catch the index up with the database: rebuilt when it mirrors another, mended by id when it drifted."""
        state = self.index.read_sync()
        if state.get("database") != self.index_key:
            return self.reindex(progress)
        since = datetime.fromisoformat(state["watermark"]) if state.get("watermark") else None
        written = self.index.upsert(self._docs(since, progress))
        if self.index.count() != self.works.count():
            written += self._mend()
            if self.index.count() != self.works.count():
                return written  # another process is storing works: the next open checks again
        self._mark_synced()
        return written

    def _mend(self) -> int:
        """Index the stored works the index lacks and drop the documents of works no longer stored.

        The watermark is the database's newest update time, so a writer's catch-up can pass works
        another writer committed and has not indexed yet (or never will: it was killed between
        the two). Found by comparing ids, a few tens of milliseconds at 51,698 works; the whole
        index used to be rebuilt (15 s there), by every command opened beside two ingests."""
        indexed = Counter(self.index.work_ids())  # read first: a work is indexed only after its commit,
        stored = set(self.works.ids())  # so every id read there is in this later read unless it was deleted
        present = indexed.keys()
        doubled = {i for i, n in indexed.items() if n > 1}
        if gone := present - stored:
            self.index.delete(gone)
        missing = sorted((stored - present) | (doubled & stored))
        log.info("search index: %d works indexed, %d documents of works no longer stored dropped",
                 len(missing), len(gone))
        return self.index.upsert(index_doc(w.id, w.paper, w.sources) for w in self.works.iter_ids(missing))

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the whole index from the database."""
        written = self.index.replace_all(self._docs(None, progress))
        self._mark_synced()
        return written

    def vector_index(self, model: str) -> VectorIndex:
        """Nearest-neighbour search over every stored vector of a model (one per model and store)."""
        if model not in self._vector_indexes:
            self._vector_indexes[model] = VectorIndex(self.vectors, model, self.vectors_dir,
                                                      ann_threshold=self.ann_threshold)
        return self._vector_indexes[model]

    def search(self, query: str, **filters: object) -> SearchHits:
        """Full-text search; the one search method behind which the index sits."""
        return self.index.search(query, **filters)  # type: ignore[arg-type]
