"""The embedding job: vectors for works that have none of the configured model (run after ingest)."""

from __future__ import annotations

from collections.abc import Callable

from academichub.embedding.base import Embedder, work_text
from academichub.storage.locks import one_at_a_time
from academichub.storage.store import Store

BATCH = 1024  # works per stamped write: each makes every web process's matrix catch up once, and holds the writer lock


def embed_missing(store: Store, embedder: Embedder, *, progress: Callable[[int], None] | None = None,
                  limit: int | None = None) -> int:
    """Embed, in batches, every work without a vector of `embedder`'s model; returns how many.

    One process at a time per store: two ingests (or an ingest and `academichub embed`) finishing
    together each read the same works as missing and embedded them twice (9,033 and 7,168 of the
    same 9,033); the later one now waits and finds them done."""
    with one_at_a_time(store.engine, "embedding"):
        return _embed_missing(store, embedder, progress, limit)


def _embed_missing(store: Store, embedder: Embedder, progress: Callable[[int], None] | None,
                   limit: int | None) -> int:
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
