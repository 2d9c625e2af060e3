"""What follows storing a batch: its TF-IDF features and its index entries, beside the next batch.

A thread takes each stored batch: under a served vocabulary it featurises and saves the batch at
once; in a store without one it counts the batch's terms, so the first vocabulary is fitted (and
every row computed) from those counts when the run ends, not from texts read back and tokenised
twice. The index is written when the run ends, in one commit, while the features are finished.
The tokeniser and numpy release the GIL, so this work runs on the second core while the main
thread parses and stores. A failure here never undoes what was stored: `features.catch_up` and the
index's own catch-up redo it on the next start.
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy.exc import DBAPIError

from academichub.errors import StorageError, refusal
from academichub.ingest import features
from academichub.model import Paper
from academichub.model.works import work_text
from academichub.storage.store import Store
from academichub.tfidf import TermCounts

log = logging.getLogger(__name__)
Changed = list[tuple[int, Paper, list[str]]]  # (work id, stored record, its sources)
_DONE = None


class Downstream:
    """Features (on a thread, batch by batch) and index entries (at the end) of the works a run stored."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.changed: Changed = []
        self._vocabulary = store.features.vocabulary()
        self._counts = TermCounts() if self._vocabulary is None else None
        self._counted: list[int] = []  # ids whose terms are counted, in row order
        self._batches: queue.Queue[Changed | None] = queue.Queue(maxsize=4)
        self._failed = False
        self._index_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ingest-features", daemon=True)
        self._thread.start()

    def add(self, changed: Changed) -> None:
        """Hand over a stored batch's new and updated works."""
        if changed:
            self.changed += changed
            self._batches.put(changed)

    def _run(self) -> None:
        while (batch := self._batches.get()) is not _DONE:
            if self._failed:
                continue
            works = [(work_id, work_text(paper.title, paper.abstract)) for work_id, paper, _ in batch]
            try:
                if self._counts is not None:
                    self._counts.add([text for _, text in works])
                    self._counted += [work_id for work_id, _ in works]
                else:
                    features.save_rows(self.store, self._vocabulary, works)
            except Exception as exc:  # the works are stored; their features are caught up on the next start
                _failed(f"features: featurising a batch of {len(works)} works failed", exc)
                self._failed = True

    def finish(self) -> None:
        """Finish the features and write the index entries (both at once); wait for both."""
        self._batches.put(_DONE)
        self._thread.join()
        indexer = threading.Thread(target=self._index, name="ingest-index", daemon=True)
        indexer.start()
        try:
            self._finish_features()
        finally:
            indexer.join()
        if self._index_error is not None:
            raise self._index_error

    def _index(self) -> None:
        try:
            if self.changed:
                self.store.index_works(self.changed)
        except BaseException as exc:  # raised again by finish, in the caller's thread
            self._index_error = exc

    def _finish_features(self) -> None:
        if self._failed or not self.changed:
            return
        try:
            if self._counts is not None:
                features.first_vocabulary(self.store, self._counts, self._counted)
                return
            served = self.store.features.vocabulary()
            if served is not None and served.id != self._vocabulary.id:  # refitted by another process meanwhile
                features.catch_up(self.store)
            elif features.drifted(self.store, self._vocabulary):
                features.refit(self.store)
        except Exception as exc:  # the works are stored and indexed; their features are caught up on next start
            _failed(f"features: featurising {len(self.changed)} works failed", exc)


def _failed(what: str, exc: Exception) -> None:
    """Log a features failure: the database or the disk refusing (a full disk) in one line, anything
    else with its traceback (a bug)."""
    if isinstance(exc, DBAPIError | OSError | StorageError):
        log.warning("%s: %s", what, refusal(exc))
    else:
        log.exception(what)
