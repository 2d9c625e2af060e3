"""Text similarity between a window of candidate works and what a radar follows (TF-IDF cosine)."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z0-9-]{2,}\b"  # words of 3+ characters starting with a letter
MIN_SHOWN = 0.05  # below this a similarity is noise, not a reason to show
TOP_TERMS = 3


class TextModel:
    """TF-IDF vectors of a window's texts, fitted once and reused for every 换一批 over it."""

    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        self._feature_names: np.ndarray | None = None
        self.vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True,
                                          token_pattern=TOKEN_PATTERN)
        try:
            self.matrix = self.vectorizer.fit_transform(texts) if texts else None
        except ValueError:  # no usable terms at all
            self.matrix = None

    def _names(self) -> np.ndarray:
        if self._feature_names is None:  # sklearn rebuilds (and sorts) this array on every call
            self._feature_names = self.vectorizer.get_feature_names_out()
        return self._feature_names

    def profile_vector(self, profile: list[str]) -> np.ndarray | None:
        """The normalised centroid of the profile texts in this window's term space."""
        if self.matrix is None or not any(p.strip() for p in profile):
            return None
        centroid = np.asarray(self.vectorizer.transform(profile).mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        return centroid / norm if norm else None

    def scores(self, profile: np.ndarray | None) -> np.ndarray:
        """Cosine similarity of every window text to the profile (zeros without one)."""
        if profile is None or self.matrix is None:
            return np.zeros(self.size)
        return np.asarray(self.matrix @ profile).ravel()

    def shared_terms(self, row: int, profile: np.ndarray) -> tuple[str, ...]:
        """The terms that contribute most to one text's similarity."""
        contributions = self.matrix[row].multiply(profile).tocoo()
        order = np.argsort(-contributions.data)[:TOP_TERMS]
        names = self._names()
        return tuple(str(names[contributions.col[i]]) for i in order if contributions.data[i] > 0)
