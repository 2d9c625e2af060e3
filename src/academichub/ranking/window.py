"""A feed window: a period's candidates with their sparse and dense features, built once and cached.

The pool is the window followed by a random background of the store (papers outside the
window): the per-user model contrasts a reader's positives with both, and the TF-IDF
vocabulary is fitted on both, so a window of one topic still has a meaningful vocabulary.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from academichub.embedding.base import Embedder
from academichub.ranking.learned import Pool, sparse_vectorizer
from academichub.ranking.vectors import try_vectors_for
from academichub.storage.store import Store
from academichub.storage.works import Candidate

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

TOP_TERMS = 3
CACHE_FORMAT = 1  # bump when Window's fields change: older cache files are then ignored
CACHE_FILES = 4  # fitted windows kept on disk (the newest)


def _fit(texts: list[str]) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    """The pool's vectorizer and matrix; texts without a usable word still get a (blank) vocabulary."""
    try:
        vectorizer = sparse_vectorizer(len(texts))
        return vectorizer, vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # empty vocabulary (stop words only, or no texts)
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
        fitted = vectorizer.fit_transform([*texts, "academichub"])
        return vectorizer, fitted[: len(texts)].tocsr()


@dataclass
class Window:
    """The candidates of a period and the pool the per-user model works on."""

    candidates: list[Candidate]
    pool: Pool
    vectorizer: TfidfVectorizer
    _names: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(cls, store: Store, embedder: Embedder | None, ids: list[int], *, background: int) -> Window:
        """Load, vectorise and embed a window (and its background) of stored works."""
        candidates = store.works.candidates(ids)
        window_ids = [c.id for c in candidates]
        others = store.works.candidates(store.works.sample_ids(background, exclude=set(window_ids)))
        everything = candidates + others
        vectorizer, sparse = _fit([c.text for c in everything])
        pool_ids = [c.id for c in everything]
        dense = try_vectors_for(store, embedder, pool_ids) if embedder is not None else None
        return cls(candidates, Pool(pool_ids, sparse, dense, len(candidates)), vectorizer)

    @classmethod
    def cached(cls, store: Store, embedder: Embedder | None, ids: list[int], *, background: int,
               key: tuple) -> Window:
        """The window of `key` from the data directory's cache, else built and cached there.

        Fitting the TF-IDF vocabulary dominates a CLI call (seconds for a few thousand papers),
        so each process that asks for the same window of an unchanged store reuses the file.
        """
        folder = store.vectors_dir.parent / "cache" / "windows"
        digest = hashlib.sha256(repr((CACHE_FORMAT, store.database, background, key)).encode()).hexdigest()[:24]
        path = folder / f"{digest}.pickle"
        try:
            with path.open("rb") as handle:
                window = pickle.load(handle)  # our own file in the data directory, never from a source
            if isinstance(window, cls):
                path.touch()
                return window
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            pass
        window = cls.build(store, embedder, ids, background=background)
        _save(window, folder, path)
        return window

    @property
    def size(self) -> int:
        """Number of candidates."""
        return len(self.candidates)

    @property
    def sparse(self) -> sp.csr_matrix:
        """TF-IDF rows of the candidates."""
        return self.pool.sparse[: self.size]

    @property
    def dense(self) -> np.ndarray | None:
        """Embedding rows of the candidates (None when ranking runs without embeddings)."""
        return None if self.pool.dense is None else self.pool.dense[: self.size]

    def shared_terms(self, row: int, profile: np.ndarray) -> tuple[str, ...]:
        """The terms that contribute most to one candidate's similarity to a sparse profile."""
        contributions = self.pool.sparse[row].multiply(profile).tocoo()
        order = np.argsort(-contributions.data)[:TOP_TERMS]
        if self._names is None:  # sklearn rebuilds (and sorts) this array on every call
            self._names = self.vectorizer.get_feature_names_out()
        return tuple(str(self._names[contributions.col[i]]) for i in order if contributions.data[i] > 0)


def _save(window: Window, folder: Path, path: Path) -> None:
    """Write a window atomically and keep only the newest few; a full disk only costs the cache."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        window.vectorizer.stop_words_ = None  # sklearn keeps every pruned term here: large and unused
        window._names = None
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(window, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
        files = sorted(folder.glob("*.pickle"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in files[CACHE_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
