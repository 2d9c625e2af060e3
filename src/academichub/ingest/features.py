"""The features stage of ingest: every new or changed work gets its TF-IDF row under the served vocabulary.

The first works of a store fit the first vocabulary; when the store has grown well past what a
vocabulary was fitted on, a new version is fitted and every work featurised under it before it
is published, so readers keep ranking with the old one until the new one is complete. A store
that fits in one fitting sample is fitted and featurised from one tokenisation of its texts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import scipy.sparse as sp

from academichub import tfidf
from academichub.storage.features import WRITE_ROWS, Vocabulary, encode_row
from academichub.storage.store import Store
from academichub.tfidf import TermCounts

log = logging.getLogger(__name__)
CHUNK = WRITE_ROWS  # rows per stamped write: short for the writer lock, few for the matrices catching up
DRIFT_GROWTH = 1.5  # refit once the store holds this many times the works a vocabulary saw
DRIFT_MIN_NEW = 1000
Progress = Callable[[int], None]


def _save(store: Store, version: int, ids: Sequence[int], rows: sp.csr_matrix, *, fresh: bool = False) -> int:
    """Store the rows of these works (in `ids` order) in one stamped batch."""
    indptr, indices, data = rows.indptr, rows.indices, rows.data
    blobs = [encode_row(indices[indptr[r]:indptr[r + 1]], data[indptr[r]:indptr[r + 1]]) for r in range(len(ids))]
    store.features.save(version, ids, blobs, fresh=fresh)
    return len(ids)


def save_rows(store: Store, vocab: Vocabulary, works: Sequence[tuple[int, str]]) -> int:
    """Transform (id, text) pairs under a vocabulary and store their rows."""
    vectorizer = tfidf.vectorizer_for(vocab.digest, vocab.terms, vocab.idf)
    return _save(store, vocab.id, [i for i, _ in works], vectorizer.transform([t for _, t in works]))


def _fill(store: Store, vocab: Vocabulary, progress: Progress | None) -> int:
    """Featurise every work that has no row under this vocabulary yet."""
    done = 0
    while missing := store.features.missing(vocab.id, limit=CHUNK):
        done += save_rows(store, vocab, store.works.texts(missing))
        if progress:
            progress(done)
    return done


def drifted(store: Store, vocab: Vocabulary) -> bool:
    """Whether the store has outgrown a vocabulary."""
    count = store.works.count()
    return count - vocab.documents >= DRIFT_MIN_NEW and count >= DRIFT_GROWTH * vocab.documents


def catch_up(store: Store, progress: Progress | None = None) -> int:
    """Featurise every work that has no row under the served vocabulary (after a crash, or an old store)."""
    vocab = store.features.vocabulary()
    if vocab is None:
        return refit(store, progress) if store.works.count() else 0
    return _fill(store, vocab, progress)


def first_vocabulary(store: Store, counts: TermCounts, ids: list[int], progress: Progress | None = None) -> int:
    """Fit the store's first vocabulary from the counted terms of works `ids` (the rest of the store
    read and counted too) and featurise every work under it; a store past one fitting sample is refitted."""
    stored = store.works.ids()
    if len(stored) > tfidf.FIT_SAMPLE:
        return refit(store, progress)
    counted = set(ids)
    rest = store.works.texts([i for i in stored if i not in counted])  # stored by others, or before
    counts.add([text for _, text in rest])
    return _publish_fitted(store, counts, ids + [i for i, _ in rest], progress)


def _publish_fitted(store: Store, counts: TermCounts, ids: list[int], progress: Progress | None) -> int:
    terms, idf, rows = counts.fit()
    if len(set(ids)) < len(ids):  # a work stored twice in one run (merged with a later record): its last row
        last = {work_id: row for row, work_id in enumerate(ids)}
        ids, rows = list(last), rows[list(last.values())]
    version = store.features.create_vocabulary(terms, idf, len(ids))
    log.info("features: vocabulary %s fitted on all %s works (%s terms)", version, len(ids), len(terms))
    for start in range(0, len(ids), CHUNK):
        _save(store, version, ids[start:start + CHUNK], rows[start:start + CHUNK], fresh=True)
        if progress:
            progress(min(start + CHUNK, len(ids)))
    done = len(ids) + _fill(store, store.features.vocabulary(version=version), progress)  # stored meanwhile
    store.features.publish(version)
    return done


def refit(store: Store, progress: Progress | None = None, *, seed: int = 0) -> int:
    """Fit a new vocabulary on the store, featurise every work under it, then publish it."""
    total = store.works.count()
    if not total:
        return 0
    if total <= tfidf.FIT_SAMPLE:  # the whole store is the sample: fitted and featurised in one pass
        texts = store.works.texts(store.works.ids())
        return _publish_fitted(store, TermCounts([t for _, t in texts]), [i for i, _ in texts], progress)
    sample = store.works.sample_ids(tfidf.FIT_SAMPLE, seed=seed)
    terms, idf = tfidf.fit([t for _, t in store.works.texts(sample)])
    version = store.features.create_vocabulary(terms, idf, total)
    log.info("features: vocabulary %s fitted on %s of %s works (%s terms)", version, len(sample), total, len(terms))
    done = _fill(store, store.features.vocabulary(version=version), progress)
    store.features.publish(version)
    return done
