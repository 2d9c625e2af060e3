"""Themes: the selected papers clustered on their embeddings, named by their key phrases (class TF-IDF)."""

from __future__ import annotations

from functools import cache

import numpy as np

# Words every abstract uses: they name no theme.
GENERIC = frozenset(["paper", "papers", "propose", "proposed", "proposes", "approach", "approaches", "method", "methods", "results", "result", "show", "shows", "shown", "novel", "new", "present", "presents", "work", "study", "studies", "using", "use", "used", "based", "framework", "model", "models", "demonstrate", "task", "tasks", "performance", "existing", "extensive", "experiments", "experimental", "state", "art", "sota", "achieve", "achieves", "achieving", "significantly", "significant", "different", "various", "improve", "improves", "improved", "improvement", "provide", "provides", "introduce", "introduces", "introduced", "problem", "problems", "address", "challenge", "challenges", "effective", "efficient", "paradigm", "key", "large", "recent", "recently", "however", "including", "furthermore", "moreover", "analysis", "approach", "data", "set", "sets", "benchmark", "benchmarks", "evaluate", "evaluation", "well", "also", "first", "two", "one", "three", "can", "may", "across", "via", "within", "without", "towards", "toward"])


@cache
def stop_words() -> tuple[str, ...]:
    """scikit-learn's English stop words and the generic words above (scikit-learn loads on first use)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return tuple(sorted(ENGLISH_STOP_WORDS | GENERIC))


def choose_k(count: int, smallest: int = 3, largest: int = 8) -> range:
    """Candidate theme counts for `count` papers: a handful, never themes of one paper on average."""
    top = max(1, min(largest, count // 4))
    return range(min(smallest, top), top + 1)


def cluster(vectors: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Theme labels: k-means for each k of `choose_k`, the k with the best cosine silhouette."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    count = len(vectors)
    options = choose_k(count)
    if count < 4 or options.stop - options.start < 1 or max(options) < 2:
        return np.zeros(count, dtype=int)
    best, best_labels = -2.0, np.zeros(count, dtype=int)
    for k in options:
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best:
            best, best_labels = score, labels
    return best_labels


def text_vectors(texts: list[str]) -> np.ndarray:
    """Unit TF-IDF rows, the clustering input when no embedding model is available."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(stop_words=list(stop_words()), sublinear_tf=True, min_df=1).fit_transform(texts)
    return matrix.toarray().astype(np.float32)


def key_phrases(texts: list[str], labels: np.ndarray, *, per_theme: int = 4) -> dict[int, list[str]]:
    """Each cluster's most distinctive phrases: term frequency in the cluster × rarity across clusters."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(ngram_range=(1, 3), stop_words=list(stop_words()), token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9-]{2,}\b",
                                 lowercase=True)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return {int(k): [] for k in set(labels)}
    names = vectorizer.get_feature_names_out()
    clusters = sorted({int(k) for k in labels})
    per_cluster = np.vstack([np.asarray(counts[labels == k].sum(axis=0)).ravel() for k in clusters]).astype(float)
    present = np.vstack([np.asarray((counts[labels == k] > 0).sum(axis=0)).ravel() for k in clusters]).astype(float)
    average = per_cluster.sum() / len(clusters)
    idf = np.log1p(average / np.maximum(per_cluster.sum(axis=0), 1))
    lengths = np.array([n.count(" ") + 1 for n in names])
    phrases: dict[int, list[str]] = {}
    for row, k in enumerate(clusters):
        size = int((labels == k).sum())
        # A phrase must recur (two papers of the theme) unless the theme is a single paper.
        recurring = present[row] >= min(2, size)
        tf = per_cluster[row] / max(per_cluster[row].sum(), 1)
        score = tf * idf * (1 + 0.5 * (lengths > 1)) * recurring
        picked: list[str] = []
        for index in np.argsort(-score):
            if score[index] <= 0 or len(picked) >= per_theme:
                break
            name = str(names[index])
            if any(name in p or p in name for p in picked):
                continue
            picked.append(name)
        phrases[k] = picked
    return phrases
