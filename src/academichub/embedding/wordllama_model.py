"""WordLlama: 16 MB of static token embeddings shipped inside its PyPI package (no network)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from academichub.embedding.base import normalise


@lru_cache(maxsize=1)
def _model():  # type: ignore[no-untyped-def]
    import wordllama
    from wordllama import WordLlama

    # wordllama 0.4.0 looks for its bundled tokenizer in `<cache_dir>/tokenizers/` (and in a
    # `tokenizer/` folder it does not ship); its own package folder is such a cache directory.
    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)


class WordLlamaEmbedder:
    """256-d l2_supercat WordLlama vectors."""

    tag = "wordllama-l2_supercat-256"
    dim = 256

    def __init__(self, batch_size: int = 256) -> None:
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for `texts`."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(_model().embed(texts, norm=True, batch_size=self.batch_size))
