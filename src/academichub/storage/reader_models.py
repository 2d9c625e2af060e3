"""Stored reader models: a radar's trained linear weights, so that every process ranks with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from academichub.storage import upsert
from academichub.storage.board import BoardMemo, radar_slot
from academichub.storage.engine import board_of, reading, touch, write_transaction
from academichub.storage.locks import lock_radar
from academichub.storage.schema import reader_models


@dataclass
class StoredModel:
    """A radar's trained model as stored: what it was trained on, its weights and its positives."""

    radar_id: int
    inputs: str
    vocabulary: int
    embedding: str
    mode: str
    sparse: np.ndarray | None
    sparse_bias: float
    dense: np.ndarray | None
    dense_bias: float
    positives: list[tuple[int | None, str, str]]
    positive_vectors: np.ndarray | None
    trained_at: datetime
    seconds: float


def _blob(values: np.ndarray | None) -> bytes | None:
    return None if values is None else np.asarray(values, dtype=np.float32).tobytes()


def _array(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


class ReaderModelRepo:
    """SQL for reader models."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.board = board_of(engine)
        self._inputs = BoardMemo()

    def get(self, radar_id: int) -> StoredModel | None:
        """The radar's stored model, or None before its first training."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(reader_models).where(reader_models.c.radar_id == radar_id)).first()
        if row is None:
            return None
        vectors = _array(row.positive_vectors)
        positives = [(p[0], p[1], p[2]) for p in row.positives]
        if vectors is not None and positives:
            vectors = vectors.reshape(len(positives), -1)
        return StoredModel(row.radar_id, row.inputs, row.vocabulary, row.embedding, row.mode, _array(row.sparse),
                           row.sparse_bias, _array(row.dense), row.dense_bias, positives, vectors,
                           row.trained_at, row.seconds)

    def inputs(self, radar_id: int) -> str | None:
        """What the stored model was trained on (cheap: no weights are read; none while the
        change board says the radar's model was not stored again)."""
        return self._inputs.get(radar_id, ((self.board, (radar_slot(radar_id),)),), lambda: self._read_inputs(radar_id))

    def _read_inputs(self, radar_id: int) -> str | None:
        with reading(self.engine) as conn:
            return conn.execute(sa.select(reader_models.c.inputs)
                                .where(reader_models.c.radar_id == radar_id)).scalar()

    def save(self, model: StoredModel) -> None:
        """Store a trained model in place of the radar's previous one."""
        values = {"inputs": model.inputs, "vocabulary": model.vocabulary, "embedding": model.embedding,
                  "mode": model.mode, "sparse": _blob(model.sparse), "sparse_bias": float(model.sparse_bias),
                  "dense": _blob(model.dense), "dense_bias": float(model.dense_bias),
                  "positives": [list(p) for p in model.positives],
                  "positive_vectors": _blob(model.positive_vectors),
                  "trained_at": model.trained_at or datetime.now(UTC), "seconds": float(model.seconds)}
        with write_transaction(self.engine) as conn:
            lock_radar(conn, model.radar_id)  # deleted while it trained: nothing to keep it for
            touch(conn, radar_slot(model.radar_id))
            # One statement: another process storing one meanwhile is replaced (ours is as fresh).
            conn.execute(upsert.insert(conn, reader_models).values(radar_id=model.radar_id, **values)
                         .on_conflict_do_update(index_elements=["radar_id"], set_=values))
