"""Text embeddings of works (title + abstract), offline by default, through one small interface."""

from __future__ import annotations

from academichub.embedding.base import Embedder, embedder_or_none, make_embedder, work_text

__all__ = ["Embedder", "embedder_or_none", "make_embedder", "work_text"]
