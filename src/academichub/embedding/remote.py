"""Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, …)."""

from __future__ import annotations

import numpy as np

from academichub.embedding.base import normalise
from academichub.errors import ConfigError, SourceError
from academichub.settings import EmbeddingSettings


class RemoteEmbedder:
    """Calls `POST {base_url}/embeddings` in batches through the `openai` client."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        if not settings.base_url:
            raise ConfigError("embedding: the openai model needs embedding.base_url")
        from openai import OpenAI

        key = settings.api_key.get_secret_value() if settings.api_key else "unused"
        self.client = OpenAI(base_url=settings.base_url, api_key=key, timeout=settings.timeout, max_retries=2)
        self.model = settings.remote_model
        self.batch_size = settings.batch_size
        self.tag = f"openai:{settings.remote_model}"
        self.dim = 0  # known after the first answer

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for `texts`, asked for in batches."""
        from openai import OpenAIError

        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            try:
                answer = self.client.embeddings.create(model=self.model, input=texts[start:start + self.batch_size])
            except OpenAIError as exc:
                raise SourceError(f"embeddings endpoint failed: {exc}", component="embedding") from None
            rows += [item.embedding for item in sorted(answer.data, key=lambda d: d.index)]
        matrix = normalise(np.array(rows, dtype=np.float32)) if rows else np.zeros((0, self.dim), np.float32)
        self.dim = matrix.shape[1] if len(matrix) else self.dim
        return matrix
