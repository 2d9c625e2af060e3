"""Stored text features: TF-IDF vocabularies (versioned) and each work's sparse row under one.

Rows are written in stamped batches (`counters["features"]`), so a process that holds the
feature matrix catches up by loading only the rows stamped after what it has.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.storage import bulk
from academichub.storage.engine import next_stamp, read_counter, reading, write_transaction
from academichub.storage.schema import counters, feature_vocabularies, work_features, works

STAMP = "features"
_CHUNK = 500
_FEATURE_COLUMNS = ("work_id", "vocabulary", "stamp", "indices", "data")
WRITE_ROWS = 2000  # rows per write transaction of a bulk step: the writer lock is held ~50 ms at a time
# Built once: the served vocabulary and the newest stamp, read by every ranking request.
_HEAD = sa.select(sa.select(sa.func.max(feature_vocabularies.c.id)).where(feature_vocabularies.c.state == "ready")
                  .scalar_subquery(),
                  sa.select(counters.c.value).where(counters.c.name == STAMP).scalar_subquery())


@dataclass(frozen=True)
class Vocabulary:
    """A fitted vocabulary: its version, terms in column order and their IDF."""

    id: int
    state: str
    documents: int
    terms: list[str]
    idf: np.ndarray
    digest: str = ""  # of the terms and IDF: versions restart in every store, the content does not


@dataclass(frozen=True)
class FeatureRows:
    """Sparse rows of some works: ids and CSR parts (indptr over the rows, column indices, values)."""

    ids: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    stamp: int


def encode_row(indices: np.ndarray, data: np.ndarray) -> tuple[bytes, bytes]:
    """A sparse row as the two blobs stored."""
    return np.asarray(indices, dtype=np.int32).tobytes(), np.asarray(data, dtype=np.float32).tobytes()


class FeatureRepo:
    """SQL for vocabularies and work features."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def vocabulary(self, *, state: str = "ready", version: int | None = None) -> Vocabulary | None:
        """The newest vocabulary in a state (or one version), with its terms."""
        query = sa.select(feature_vocabularies)
        query = (query.where(feature_vocabularies.c.id == version) if version is not None
                 else query.where(feature_vocabularies.c.state == state))
        with reading(self.engine) as conn:
            row = conn.execute(query.order_by(feature_vocabularies.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        terms = row.terms.decode("utf-8").split("\n") if row.terms else []
        digest = hashlib.sha256(row.terms + b"\0" + row.idf).hexdigest()
        return Vocabulary(row.id, row.state, row.documents, terms, np.frombuffer(row.idf, dtype=np.float32), digest)

    def current_version(self) -> int | None:
        """Id of the vocabulary features are served under (the newest ready one)."""
        return self.head()[0]

    def head(self) -> tuple[int | None, int]:
        """(served vocabulary, newest stamp) in one read: what a process checks its matrix against."""
        with reading(self.engine) as conn:
            version, stamp = conn.execute(_HEAD).one()
        return version, int(stamp or 0)

    def create_vocabulary(self, terms: Sequence[str], idf: np.ndarray, documents: int) -> int:
        """Record a vocabulary being built (its features are written next)."""
        if any("\n" in t for t in terms):
            raise ValueError("storage: a vocabulary term contains a newline")
        with self.engine.begin() as conn:
            return conn.execute(sa.insert(feature_vocabularies).values(
                state="building", documents=documents, terms="\n".join(terms).encode("utf-8"),
                idf=np.asarray(idf, dtype=np.float32).tobytes(), created_at=datetime.now(UTC))
                .returning(feature_vocabularies.c.id)).scalar_one()

    def publish(self, version: int) -> None:
        """Serve this vocabulary from now on; older ones are retired and their rows dropped."""
        with write_transaction(self.engine) as conn:
            conn.execute(sa.update(feature_vocabularies).where(feature_vocabularies.c.id == version)
                         .values(state="ready"))
            conn.execute(sa.update(feature_vocabularies).where(feature_vocabularies.c.id < version)
                         .values(state="retired", terms=b"", idf=b""))
            next_stamp(conn, STAMP)  # readers notice the switch
        # Rows of retired vocabularies are never read again: they go a few thousand per transaction,
        # so the store's writer lock is never held long (a reader's 换一批 waits for it).
        older = sa.select(feature_vocabularies.c.id).where(feature_vocabularies.c.id < version)
        some = (sa.select(work_features.c.work_id).where(work_features.c.vocabulary.in_(older))
                .limit(WRITE_ROWS).scalar_subquery())
        while True:
            with write_transaction(self.engine) as conn:
                gone = conn.execute(sa.delete(work_features).where(work_features.c.vocabulary.in_(older),
                                                                   work_features.c.work_id.in_(some))).rowcount
            if not gone:
                return

    def save(self, version: int, ids: Sequence[int], rows: Sequence[tuple[bytes, bytes]], *,
             fresh: bool = False) -> int:
        """Store (or replace) the rows of these works under a vocabulary, in one stamped transaction
        (`fresh`: the caller knows none of them has a row under it yet, so none is deleted first)."""
        if not ids:
            return self.stamp()
        with write_transaction(self.engine) as conn:
            stamp = next_stamp(conn, STAMP)
            for start in range(0, 0 if fresh else len(ids), _CHUNK):
                chunk = list(ids[start:start + _CHUNK])
                conn.execute(sa.delete(work_features).where(work_features.c.vocabulary == version,
                                                            work_features.c.work_id.in_(chunk)))
            bulk.insert(conn, work_features, _FEATURE_COLUMNS,
                        [(i, version, stamp, idx, val) for i, (idx, val) in zip(ids, rows, strict=True)])
        return stamp

    def stamp(self) -> int:
        """The newest stamp given to any feature or vector write."""
        with reading(self.engine) as conn:
            return read_counter(conn, STAMP)

    def rows(self, version: int, *, after: int = 0) -> FeatureRows:
        """Rows of a vocabulary stamped after `after` (all with 0), by ascending work id."""
        query = (sa.select(work_features.c.work_id, work_features.c.indices, work_features.c.data)
                 .where(work_features.c.vocabulary == version, work_features.c.stamp > after)
                 .order_by(work_features.c.work_id))
        ids: list[int] = []
        indices: list[bytes] = []
        values: list[bytes] = []
        with reading(self.engine) as conn:
            stamp = read_counter(conn, STAMP)  # read first: rows committed later are caught next time
            for work_id, idx, val in conn.execute(query):
                ids.append(work_id)
                indices.append(idx)
                values.append(val)
        lengths = np.fromiter((len(b) // 4 for b in indices), dtype=np.int64, count=len(indices))
        indptr = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return FeatureRows(np.asarray(ids, dtype=np.int64), indptr,
                           np.frombuffer(b"".join(indices), dtype=np.int32),
                           np.frombuffer(b"".join(values), dtype=np.float32), stamp)

    def missing(self, version: int, *, limit: int = 5000) -> list[int]:
        """Ids of works without a row under this vocabulary, ascending."""
        joined = works.outerjoin(work_features, sa.and_(work_features.c.work_id == works.c.id,
                                                        work_features.c.vocabulary == version))
        query = (sa.select(works.c.id).select_from(joined)
                 .where(work_features.c.work_id.is_(None)).order_by(works.c.id).limit(limit))
        with reading(self.engine) as conn:
            return list(conn.execute(query).scalars())
