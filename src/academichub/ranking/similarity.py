"""Text similarity between candidate works and what a radar follows (TF-IDF cosine)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

MIN_SHOWN = 0.05  # below this a similarity is noise, not a reason to show
TOP_TERMS = 3


@dataclass(frozen=True)
class Similarity:
    """A score in [0, 1] and the shared terms that produced most of it."""

    score: float
    terms: tuple[str, ...]


def score(candidates: list[str], profile: list[str]) -> list[Similarity]:
    """Cosine similarity of each candidate text to the centroid of the profile texts."""
    if not candidates or not any(p.strip() for p in profile):
        return [Similarity(0.0, ()) for _ in candidates]
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9-]{2,}\b")
    try:
        matrix = vectorizer.fit_transform(candidates + profile)
    except ValueError:  # no usable terms at all
        return [Similarity(0.0, ()) for _ in candidates]
    docs, prof = matrix[: len(candidates)], matrix[len(candidates):]
    centroid = np.asarray(prof.mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    if norm == 0:
        return [Similarity(0.0, ()) for _ in candidates]
    centroid /= norm
    scores = docs @ centroid
    terms = vectorizer.get_feature_names_out()
    result = []
    for row, value in enumerate(scores):
        shared: tuple[str, ...] = ()
        if value >= MIN_SHOWN:
            contributions = docs[row].multiply(centroid).tocoo()
            order = np.argsort(-contributions.data)[:TOP_TERMS]
            shared = tuple(str(terms[contributions.col[i]]) for i in order)
        result.append(Similarity(float(value), shared))
    return result
