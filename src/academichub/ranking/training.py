"""Training a reader's model off the request path, on stored features only (nothing is vectorised twice).

Positives and dislikes come from `profile`; the negatives are a random background of the store
taken from the feature matrix; the fitted model is exported as linear weights (`learned.Linear`)
that any process applies to any window with two matrix products.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import numpy as np

from academichub import tfidf
from academichub.embedding.base import Embedder
from academichub.model.accounts import Radar
from academichub.ranking import profile
from academichub.ranking.learned import Example, Pool, UserModel
from academichub.ranking.matrix import Snapshot
from academichub.settings import RankingSettings
from academichub.storage.reader_models import StoredModel
from academichub.storage.store import Store


def examples_from(store: Store, snapshot: Snapshot):  # type: ignore[no-untyped-def]
    """A `profile.Lookup` reading stored works' rows from the matrix (works not featurised yet are skipped)."""

    def lookup(ids: list[int], weights: dict[int, float], kind: str) -> list[Example]:
        if not ids:
            return []
        rows = snapshot.rows(ids)
        titles = store.works.titles([i for i, r in zip(ids, rows, strict=True) if r >= 0])
        dense = snapshot.dense
        return [Example(dense[r] if dense is not None else None, "", weights[i], titles.get(i, ""), kind, i,
                        sparse=snapshot.sparse[r])
                for i, r in zip(ids, rows, strict=True) if r >= 0]

    return lookup


def background(snapshot: Snapshot, count: int, exclude: set[int], seed: int) -> Pool:
    """A reproducible random sample of the store's rows that the positives are contrasted with."""
    rng = np.random.default_rng(seed)
    rows = rng.permutation(snapshot.size)[: count + len(exclude)]
    rows = np.sort(np.array([r for r in rows if int(snapshot.ids[r]) not in exclude][:count], dtype=np.int64))
    dense = np.asarray(snapshot.dense[rows]) if snapshot.dense is not None else None
    return Pool([int(i) for i in snapshot.ids[rows]], snapshot.sparse[rows], dense, 0)


def train(store: Store, snapshot: Snapshot, radar: Radar, settings: RankingSettings, *, embedder: Embedder | None,
          inputs: str, followed: list[int], today: date | None = None) -> StoredModel:
    """Fit a radar's model on what its reader follows (`followed`: the followed authors' papers, newest
    first, which the radar package finds), keeps, likes and dismisses."""
    started = time.perf_counter()
    subs = store.accounts.subscriptions(radar.id)
    examples = profile.build(store, embedder, radar.user_id, subs, followed, settings, today or date.today(),
                             lookup=examples_from(store, snapshot))
    vocab = snapshot.vocabulary
    model = UserModel(tfidf.vectorizer_for(vocab.digest, vocab.terms, vocab.idf), seed=radar.id)
    taken = {e.work_id for e in examples.positives if e.work_id is not None}
    pool = background(snapshot, settings.negatives, taken, seed=radar.id)
    model.fit(examples.positives, examples.dislikes, pool, min_positives=settings.min_positives)
    linear = model.linear()
    # The papers a card can be "similar to" (the reader's own; zero rows where no embedding is known).
    positives = [e for e in model.positives if e.kind not in ("keyword", "follow")]
    dim = next((len(e.vector) for e in positives if e.vector is not None), 0)
    vectors = np.vstack([e.vector if e.vector is not None else np.zeros(dim, np.float32)
                         for e in positives]).astype(np.float32) if dim else None
    return StoredModel(radar.id, inputs, vocab.id, embedder.tag if embedder is not None else "", linear.mode,
                       linear.sparse, linear.sparse_bias, linear.dense, linear.dense_bias,
                       [(e.work_id, e.title, e.kind) for e in positives], vectors, datetime.now(UTC),
                       time.perf_counter() - started)
