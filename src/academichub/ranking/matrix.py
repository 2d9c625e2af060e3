"""The feature matrix: every stored work's TF-IDF row and embedding, held by each process as a cache.

A process builds it from the stored rows once (or maps the newest snapshot file another process
wrote, in milliseconds), then keeps it in step by loading only the rows stamped after what it
holds. Ranking a window is then an index lookup into these arrays, never a fit. Works stored
since (ids only grow) are appended in place (`ranking.growing`), so a catch-up during a bulk
ingest copies its new rows only, and a snapshot of the same lineage as an earlier one starts with
exactly that one's rows: what was computed over them (a reader's scores) is extended, not redone.
"""

from __future__ import annotations

import itertools
import json
import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from academichub.ranking.growing import Growing
from academichub.scratch import beside
from academichub.storage.features import FeatureRows, Vocabulary
from academichub.storage.store import Store

log = logging.getLogger(__name__)
FILE_FORMAT = 1
KEEP_FILES = 2
REWRITE_SHARE = 0.1  # write a new snapshot file once the rows loaded since the last one exceed this share
_lineages = itertools.count(1)
INDEX_LIMIT = 2**31  # the matrix's int32 indices


@dataclass(frozen=True)
class Snapshot:
    """The matrix at one stamp: rows by ascending work id, aligned sparse and dense features."""

    vocabulary: Vocabulary
    stamp: int
    ids: np.ndarray
    sparse: sp.csr_matrix
    dense_ids: np.ndarray
    dense_raw: np.ndarray | None
    dense: np.ndarray | None  # aligned with ids; zero rows where a work is not embedded yet
    lineage: int = 0  # snapshots of one lineage agree on the rows the smaller one has (0: none)

    def rows(self, work_ids: np.ndarray | list[int]) -> np.ndarray:
        """Row of each id in the matrix, -1 where the work has no features yet."""
        wanted = np.asarray(work_ids, dtype=np.int64)
        if not len(self.ids):
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.searchsorted(self.ids, wanted).clip(0, len(self.ids) - 1)
        return np.where(self.ids[at] == wanted, at, -1)

    @property
    def size(self) -> int:
        """Works in the matrix."""
        return len(self.ids)

    @classmethod
    def empty(cls) -> Snapshot:
        """No features at all (a store without a vocabulary yet): ranking falls back to rules and recency."""
        vocab = Vocabulary(0, "ready", 0, [], np.zeros(0, dtype=np.float32))
        nothing = np.zeros(0, dtype=np.int64)
        return cls(vocab, 0, nothing, sp.csr_matrix((0, 0), dtype=np.float32), nothing, None, None)


def _merge(old_ids: np.ndarray, old: sp.csr_matrix | np.ndarray | None, new_ids: np.ndarray,
           new: sp.csr_matrix | np.ndarray | None) -> tuple[np.ndarray, sp.csr_matrix | np.ndarray | None]:
    """Rows of both, by id, the new row winning where an id is in both."""
    if new is None or not len(new_ids):
        return old_ids, old
    if old is None or not len(old_ids):
        return new_ids, new
    if new_ids[0] > old_ids[-1]:  # works stored since (ids only grow): appended, one copy and no reordering
        return np.concatenate([old_ids, new_ids]), (sp.vstack([old, new], format="csr") if sp.issparse(new)
                                                    else np.vstack([old, new]))
    keep = ~np.isin(old_ids, new_ids)
    ids = np.concatenate([old_ids[keep], new_ids])
    order = np.argsort(ids, kind="stable")
    if sp.issparse(new):
        stacked = sp.vstack([old[np.flatnonzero(keep)], new], format="csr")
    else:
        stacked = np.vstack([old[keep], new])
    return ids[order], stacked[order]


def _align(ids: np.ndarray, dense_ids: np.ndarray, dense: np.ndarray | None) -> np.ndarray | None:
    if dense is None or not len(dense_ids):
        return None
    if len(dense_ids) == len(ids) and np.array_equal(dense_ids, ids):
        # Every row embedded: the vectors are aligned already. Used as they are, a mapped file stays
        # shared by every process, where gathering a copy of it took 1.5 s of a cold process's first feed.
        return dense
    aligned = np.zeros((len(ids), dense.shape[1]), dtype=np.float32)
    at = np.searchsorted(dense_ids, ids).clip(0, len(dense_ids) - 1)
    found = dense_ids[at] == ids
    aligned[found] = dense[at[found]]
    return aligned


class FeatureMatrix:
    """A process's view of the stored features of the served vocabulary and one embedding model."""

    def __init__(self, store: Store, embedding: str | None, folder: Path | None = None) -> None:
        self.store = store
        self.embedding = embedding or ""
        self.folder = folder or store.vectors_dir.parent / "cache" / "features"
        self._snapshot: Snapshot | None = None
        self._since_file = 0
        self._lock = threading.Lock()
        self._grown: _Grown | None = None

    def current(self) -> Snapshot | None:
        """The matrix as of now (None before the store has a vocabulary), or while another thread of
        the process catches up with rows added since (or opens a new vocabulary), as it was a moment ago."""
        version, stamp = self.store.features.head()
        snapshot = self._snapshot
        if version is None:
            return None
        if snapshot is not None and snapshot.vocabulary.id == version and snapshot.stamp == stamp:
            return snapshot
        # A bulk ingest stamps a batch of rows every second or so, and ends with a new vocabulary:
        # one thread catches up (or opens the new one) while the others rank with the matrix they
        # had, whose vocabulary the reader models they use were trained on. Only a cold process waits.
        if not self._lock.acquire(blocking=snapshot is None):
            return snapshot
        try:
            snapshot = self._snapshot
            if snapshot is None or snapshot.vocabulary.id != version:
                snapshot = self._open(version)
            if snapshot.stamp < stamp:
                snapshot = self._catch_up(snapshot)
            self._snapshot = snapshot
            return snapshot
        finally:
            self._lock.release()

    def _open(self, version: int) -> Snapshot:
        vocab = self.store.features.vocabulary(version=version)
        loaded = self._read_file(vocab)
        if loaded is not None:
            return loaded
        rows = self.store.features.rows(version)
        sparse = sp.csr_matrix((rows.data, rows.indices.astype(np.int32), rows.indptr.astype(np.int32)),
                               shape=(len(rows.ids), len(vocab.terms)))
        dense_ids, dense = np.zeros(0, dtype=np.int64), None
        if self.embedding:
            _, dense_ids, dense = self.store.vectors.rows(self.embedding)
        snapshot = Snapshot(vocab, rows.stamp, rows.ids, sparse, dense_ids, dense, _align(rows.ids, dense_ids, dense),
                            next(_lineages))
        self._write_file(snapshot)
        return snapshot

    def _catch_up(self, snapshot: Snapshot) -> Snapshot:
        rows = self.store.features.rows(snapshot.vocabulary.id, after=snapshot.stamp)
        new_ids, new = np.zeros(0, dtype=np.int64), None
        if self.embedding:
            _, new_ids, new = self.store.vectors.rows(self.embedding, after=snapshot.stamp)
        updated = self._appended(snapshot, rows, new_ids, new) or self._merged(snapshot, rows, new_ids, new)
        self._since_file += len(rows.ids)
        if self._since_file > REWRITE_SHARE * max(1, updated.size):
            self._write_file(updated)
        return updated

    def _merged(self, snapshot: Snapshot, rows: FeatureRows, new_ids: np.ndarray, new: np.ndarray | None) -> Snapshot:
        """Rows replaced or inserted among the old ones: a new matrix (and lineage)."""
        self._grown = None
        fresh = sp.csr_matrix((rows.data, rows.indices.astype(np.int32), rows.indptr.astype(np.int32)),
                              shape=(len(rows.ids), len(snapshot.vocabulary.terms)))
        ids, sparse = _merge(snapshot.ids, snapshot.sparse, rows.ids, fresh)
        dense_ids, dense = _merge(snapshot.dense_ids, snapshot.dense_raw, new_ids, new)
        return Snapshot(snapshot.vocabulary, rows.stamp, ids, sparse.tocsr() if sparse is not None else sparse,
                        dense_ids, dense, _align(ids, dense_ids, dense), next(_lineages))

    def _appended(self, snapshot: Snapshot, rows: FeatureRows, new_ids: np.ndarray,
                  new: np.ndarray | None) -> Snapshot | None:
        """Only works newer than every row (and vectors newer than every vector): the rows appended
        in place, in the same lineage; None when the catch-up is not such an append."""
        last = int(snapshot.ids[-1]) if snapshot.size else -1
        if len(rows.ids) and rows.ids[0] <= last or snapshot.sparse.nnz + len(rows.data) >= INDEX_LIMIT:
            return None
        if new is not None and len(new_ids):
            newest = max(last, int(snapshot.dense_ids[-1]) if len(snapshot.dense_ids) else -1)
            if (snapshot.dense is None or new_ids[0] <= newest or new.shape[1] != snapshot.dense.shape[1]):
                return None
        grown = self._grown
        if grown is None or grown.lineage != snapshot.lineage or len(grown.ids) != snapshot.size:
            grown = self._grown = _Grown.of(snapshot)
        ids = grown.ids.extend(rows.ids)
        data = grown.data.extend(rows.data)
        indices = grown.indices.extend(rows.indices)
        indptr = grown.indptr.extend(rows.indptr[1:] + snapshot.sparse.nnz)
        sparse = sp.csr_matrix((data, indices, indptr), shape=(len(ids), len(snapshot.vocabulary.terms)), copy=False)
        dense_ids, dense_raw, dense = snapshot.dense_ids, snapshot.dense_raw, snapshot.dense
        if grown.dense is not None:
            if new is not None and len(new_ids):
                dense_ids, dense_raw = grown.dense_ids.extend(new_ids), grown.dense_raw.extend(new)
            dense = grown.dense.extend(_align(rows.ids, dense_ids, dense_raw)) if len(rows.ids) else grown.dense.view()
        return Snapshot(snapshot.vocabulary, rows.stamp, ids, sparse, dense_ids, dense_raw, dense, snapshot.lineage)

    # -- the snapshot file every process can map -------------------------------------------
    def _name(self, vocab: Vocabulary) -> str:
        tag = "".join(c if c.isalnum() else "_" for c in self.embedding) or "none"
        return f"v{FILE_FORMAT}-{vocab.id}-{tag}"

    def _read_file(self, vocab: Vocabulary) -> Snapshot | None:
        try:
            candidates = sorted(self.folder.glob(self._name(vocab) + "-*"),
                                key=lambda p: int(p.name.rsplit("-", 1)[1]), reverse=True)
            if not candidates:
                return None
            path = candidates[0]
            meta = json.loads((path / "meta.json").read_text())
            load = lambda name: np.load(path / f"{name}.npy", mmap_mode="r")  # noqa: E731
            ids = load("ids")
            sparse = sp.csr_matrix((load("data"), load("indices"), load("indptr")),
                                   shape=(len(ids), len(vocab.terms)), copy=False)
            dense_ids = load("dense_ids")
            dense = load("dense") if (path / "dense.npy").exists() else None
            snapshot = Snapshot(vocab, int(meta["stamp"]), np.asarray(ids), sparse, np.asarray(dense_ids), dense,
                                _align(np.asarray(ids), np.asarray(dense_ids), dense), next(_lineages))
        except (OSError, ValueError, KeyError):
            return None
        self._since_file = 0
        return snapshot

    def _write_file(self, snapshot: Snapshot) -> None:
        """Write the snapshot for other processes (atomically: a directory renamed into place)."""
        name = f"{self._name(snapshot.vocabulary)}-{snapshot.stamp}"
        target = self.folder / name
        temporary = beside(target)
        try:
            if target.exists():
                return
            temporary.mkdir(parents=True, exist_ok=True)
            arrays = {"ids": snapshot.ids, "data": snapshot.sparse.data, "indices": snapshot.sparse.indices,
                      "indptr": snapshot.sparse.indptr, "dense_ids": snapshot.dense_ids}
            if snapshot.dense_raw is not None:
                arrays["dense"] = snapshot.dense_raw
            for key, value in arrays.items():
                np.save(temporary / f"{key}.npy", np.ascontiguousarray(value))
            (temporary / "meta.json").write_text(json.dumps({"stamp": snapshot.stamp}))
            temporary.rename(target)
            self._since_file = 0
            tag = self._name(snapshot.vocabulary).rsplit("-", 1)[1]
            older = sorted((p for p in self.folder.glob(f"v*-{tag}-*") if not p.name.startswith(".")),
                           key=lambda p: p.stat().st_mtime, reverse=True)
            for old in older[KEEP_FILES:]:
                shutil.rmtree(old, ignore_errors=True)  # a process mapping it keeps its open pages
        except OSError as exc:  # a full disk costs only the cache
            if not target.exists():  # else another process wrote the same snapshot first: nothing is lost
                log.warning("features: could not write the matrix file: %s", exc)
            shutil.rmtree(temporary, ignore_errors=True)


@dataclass
class _Grown:
    """The growing arrays behind the snapshots of one lineage (the newest one's rows, with room after them)."""

    lineage: int
    ids: Growing
    data: Growing
    indices: Growing
    indptr: Growing
    dense_ids: Growing
    dense_raw: Growing | None
    dense: Growing | None

    @classmethod
    def of(cls, snapshot: Snapshot) -> _Grown:
        """Buffers holding a copy of the snapshot's rows (a mapped file's rows are read into memory once)."""
        sparse = snapshot.sparse
        dense = snapshot.dense is not None and snapshot.dense_raw is not None
        return cls(snapshot.lineage, Growing(snapshot.ids.astype(np.int64)), Growing(sparse.data.astype(np.float32)),
                   Growing(sparse.indices.astype(np.int32)), Growing(sparse.indptr.astype(np.int32)),
                   Growing(snapshot.dense_ids.astype(np.int64)),
                   Growing(np.asarray(snapshot.dense_raw, dtype=np.float32)) if dense else None,
                   Growing(np.asarray(snapshot.dense, dtype=np.float32)) if dense else None)
