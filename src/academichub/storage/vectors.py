"""Stored embedding vectors: float32 blobs tagged with their model (search: `vector_index`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.storage import bulk
from academichub.storage.engine import next_stamp, read_counter, reading, write_transaction
from academichub.storage.features import STAMP  # one counter: the matrix catches up on rows and vectors at once
from academichub.storage.schema import work_vectors, works

_CHUNK = 500  # vectors per read: each row carries a blob of the model's dimension


class VectorRepo:
    """SQL for work vectors."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def missing(self, model: str, *, limit: int = 1000) -> list[tuple[int, str, str]]:
        """Works without a vector of `model`: (id, title, abstract), oldest ids first."""
        joined = works.outerjoin(work_vectors, sa.and_(work_vectors.c.work_id == works.c.id,
                                                       work_vectors.c.model == model))
        query = (sa.select(works.c.id, works.c.title, works.c.abstract).select_from(joined)
                 .where(work_vectors.c.work_id.is_(None)).order_by(works.c.id).limit(limit))
        with reading(self.engine) as conn:
            return [tuple(row) for row in conn.execute(query)]

    def count_missing(self, model: str) -> int:
        """How many works still lack a vector of `model`."""
        joined = works.outerjoin(work_vectors, sa.and_(work_vectors.c.work_id == works.c.id,
                                                       work_vectors.c.model == model))
        with reading(self.engine) as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(joined)
                                .where(work_vectors.c.work_id.is_(None))).scalar_one()

    def save(self, model: str, ids: Sequence[int], matrix: np.ndarray) -> None:
        """Store (or replace) the vectors of these works, stamped for the feature matrix."""
        if not len(ids):
            return
        with write_transaction(self.engine) as conn:
            stamp = next_stamp(conn, STAMP)
            for chunk in bulk.chunks(list(ids), _CHUNK):
                conn.execute(sa.delete(work_vectors).where(work_vectors.c.model == model,
                                                           work_vectors.c.work_id.in_(chunk)))
            bulk.insert(conn, work_vectors, ("work_id", "model", "vector", "stamp"),
                        [(i, model, np.asarray(v, dtype=np.float32).tobytes(), stamp)
                         for i, v in zip(ids, matrix, strict=True)])

    def load(self, model: str, ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """The vectors of those works that have one: (their ids in the given order, matrix)."""
        found: dict[int, bytes] = {}
        with reading(self.engine) as conn:
            for chunk in bulk.chunks(list(ids), _CHUNK):
                query = sa.select(work_vectors.c.work_id, work_vectors.c.vector).where(
                    work_vectors.c.model == model, work_vectors.c.work_id.in_(chunk))
                found.update((work_id, blob) for work_id, blob in conn.execute(query))
        order = [i for i in ids if i in found]
        if not order:
            return [], np.zeros((0, 0), dtype=np.float32)
        return order, np.vstack([np.frombuffer(found[i], dtype=np.float32) for i in order])

    def version(self, model: str) -> tuple[int, int]:
        """(count, highest work id) of a model's vectors: changes when works are embedded."""
        with reading(self.engine) as conn:
            count, top = conn.execute(sa.select(sa.func.count(), sa.func.max(work_vectors.c.work_id))
                                      .where(work_vectors.c.model == model)).one()
        return int(count), int(top or 0)

    def load_all(self, model: str) -> tuple[list[int], np.ndarray | None]:
        """Every vector of a model, by ascending work id."""
        ids: list[int] = []
        blobs: list[bytes] = []
        query = (sa.select(work_vectors.c.work_id, work_vectors.c.vector).where(work_vectors.c.model == model)
                 .order_by(work_vectors.c.work_id))
        with reading(self.engine) as conn:
            for work_id, blob in conn.execute(query):
                ids.append(work_id)
                blobs.append(blob)
        if not ids:
            return [], None
        return ids, np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)

    def rows(self, model: str, *, after: int = 0) -> tuple[int, np.ndarray, np.ndarray | None]:
        """(counter value, ids, matrix) of a model's vectors stamped after `after`, by ascending id."""
        query = (sa.select(work_vectors.c.work_id, work_vectors.c.vector)
                 .where(work_vectors.c.model == model, work_vectors.c.stamp > after)
                 .order_by(work_vectors.c.work_id))
        ids: list[int] = []
        blobs: list[bytes] = []
        with reading(self.engine) as conn:
            stamp = read_counter(conn, STAMP)  # read first: what commits later is caught next time
            for work_id, blob in conn.execute(query):
                ids.append(work_id)
                blobs.append(blob)
        if not ids:
            return stamp, np.zeros(0, dtype=np.int64), None
        return stamp, np.asarray(ids, dtype=np.int64), np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(
            len(ids), -1)
