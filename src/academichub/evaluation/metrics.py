"""Ranking metrics over a score vector and a set of relevant rows."""

from __future__ import annotations

import numpy as np


def _order(scores: np.ndarray) -> np.ndarray:
    # Ties broken by row number so that a constant scorer is not lucky.
    return np.lexsort((np.arange(len(scores)), -scores))


def ndcg_at(scores: np.ndarray, relevant: set[int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the top `k` (binary relevance)."""
    if not relevant:
        return 0.0
    top = _order(scores)[:k]
    gain = sum(1.0 / np.log2(rank + 2) for rank, row in enumerate(top) if row in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return float(gain / ideal)


def recall_at(scores: np.ndarray, relevant: set[int], k: int = 50) -> float:
    """Share of the relevant rows found in the top `k`."""
    if not relevant:
        return 0.0
    return sum(1 for row in _order(scores)[:k] if row in relevant) / len(relevant)


def reciprocal_rank(scores: np.ndarray, relevant: set[int]) -> float:
    """1 / rank of the first relevant row (0 when none is ranked)."""
    for rank, row in enumerate(_order(scores), start=1):
        if row in relevant:
            return 1.0 / rank
    return 0.0
