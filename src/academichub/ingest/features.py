"""The features stage of ingest: every new or changed work gets its TF-IDF row under the served vocabulary.

The first works of a store fit the first vocabulary; when the store has grown well past what a
vocabulary was fitted on, a new version is fitted and every work featurised under it before it
is published, so readers keep ranking with the old one until the new one is complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from academichub.ranking import vocabulary
from academichub.storage.features import Vocabulary, encode_row
from academichub.storage.store import Store

log = logging.getLogger(__name__)
CHUNK = 4000
DRIFT_GROWTH = 1.5  # refit once the store holds this many times the works a vocabulary saw
DRIFT_MIN_NEW = 1000
Progress = Callable[[int], None]


def _write(store: Store, vocab: Vocabulary, rows: list[tuple[int, str]]) -> int:
    """Transform (id, text) pairs under a vocabulary and store their rows in one stamped batch."""
    matrix = vocabulary.transform(vocabulary.vectorizer_for(vocab.digest, vocab.terms, vocab.idf), [t for _, t in rows])
    blobs = [encode_row(matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]],
                        matrix.data[matrix.indptr[r]:matrix.indptr[r + 1]]) for r in range(matrix.shape[0])]
    store.features.save(vocab.id, [i for i, _ in rows], blobs)
    return len(rows)


def _fill(store: Store, vocab: Vocabulary, progress: Progress | None) -> int:
    """Featurise every work that has no row under this vocabulary yet."""
    done = 0
    while missing := store.features.missing(vocab.id, limit=CHUNK):
        done += _write(store, vocab, store.works.texts(missing))
        if progress:
            progress(done)
    return done


def featurise(store: Store, ids: Sequence[int], progress: Progress | None = None) -> int:
    """Write the rows of these works under the served vocabulary (fitting the first one if none)."""
    vocab = store.features.vocabulary()
    if vocab is None:
        return refit(store, progress)
    done = 0
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        done += _write(store, vocab, store.works.texts(ids[start:start + CHUNK]))
        if progress:
            progress(done)
    if drifted(store, vocab):
        refit(store, progress)
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


def refit(store: Store, progress: Progress | None = None, *, seed: int = 0) -> int:
    """Fit a new vocabulary on the store, featurise every work under it, then publish it."""
    total = store.works.count()
    if not total:
        return 0
    sample = store.works.sample_ids(min(total, vocabulary.FIT_SAMPLE), seed=seed)
    terms, idf = vocabulary.fit([t for _, t in store.works.texts(sample)])
    version = store.features.create_vocabulary(terms, idf, total)
    log.info("features: vocabulary %s fitted on %s of %s works (%s terms)", version, len(sample), total, len(terms))
    done = _fill(store, store.features.vocabulary(version=version), progress)
    store.features.publish(version)
    return done
