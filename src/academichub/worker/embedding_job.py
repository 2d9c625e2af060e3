"""The embedding job: vectors for works that have none of the configured model (run after ingest)."""

from __future__ import annotations

from collections.abc import Callable

from academichub.embedding.base import Embedder, work_text
from academichub.storage.store import Store

BATCH = 1024  # works per stamped write: each makes every web process's matrix catch up once, and holds the writer lock


def embed_missing(store: Store, embedder: Embedder, *, progress: Callable[[int], None] | None = None,
                  limit: int | None = None) -> int:
    """Embed, in batches, every work without a vector of `embedder`'s model; returns how many."""
    done = 0
    while limit is None or done < limit:
        batch = store.vectors.missing(embedder.tag, limit=BATCH if limit is None else min(BATCH, limit - done))
        if not batch:
            break
        ids = [work_id for work_id, _, _ in batch]
        store.vectors.save(embedder.tag, ids, embedder.embed([work_text(t, a) for _, t, a in batch]))
        done += len(batch)
        if progress:
            progress(len(batch))
    return done


def missing_count(store: Store, embedder: Embedder) -> int:
    """How many works have no vector of `embedder`'s model yet."""
    return store.vectors.count_missing(embedder.tag)
