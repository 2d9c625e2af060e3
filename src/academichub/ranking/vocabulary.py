"""The corpus-level TF-IDF vocabulary: fitted on the store's works, then used to featurise each work once.

arxiv-sanity-lite's text settings (unigrams and bigrams, English stop words, sublinear TF),
with the vocabulary and IDF taken from the whole store rather than refitted per window, so a
work's row is computed when it arrives and every window, radar and process shares it. The
vocabulary is five times arxiv-sanity-lite's and keeps terms seen in two works (not five): the
rare terms, acronyms and bigrams that name a small field are what a small library is made of
(README, "Ranking quality").
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

MAX_TERMS = 100_000  # arxiv-sanity-lite keeps 20,000; the harness measured 100,000 better on every protocol
MIN_DF, MAX_DF = 2, 0.1  # a term must be in two works and in at most a tenth of them (large stores)
LARGE = 2000  # below this many works every term counts (a test store, a first small ingest)
FIT_SAMPLE = 60_000  # works a vocabulary is fitted on (more changes the terms little, costs seconds)
_CACHE = 4
_lock = threading.Lock()
_vectorizers: OrderedDict[str, TfidfVectorizer] = OrderedDict()


def _vectorizer(documents: int, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    large = documents >= LARGE
    return TfidfVectorizer(lowercase=True, strip_accents="unicode", stop_words="english",
                           token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
                           max_features=None if vocabulary else MAX_TERMS, sublinear_tf=True, dtype=np.float32,
                           min_df=MIN_DF if large else 1, max_df=MAX_DF if large else 1.0, vocabulary=vocabulary)


def fit(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Terms (column order) and IDF of a vocabulary fitted on these texts.

    The same choice as TfidfVectorizer.fit (terms within the document-frequency bounds, the
    most frequent ones kept, smoothed IDF) counted with C-level Counters: sklearn's fit builds
    and sorts a matrix over every distinct bigram and took 25 s at 51,698 works, this 14 s."""
    analyse = _vectorizer(len(texts)).build_analyzer()
    term_counts: Counter[str] = Counter()
    document_counts: Counter[str] = Counter()
    for text in texts:
        tokens = analyse(text)
        term_counts.update(tokens)
        document_counts.update(set(tokens))
    documents = len(texts)
    large = documents >= LARGE
    low, high = (MIN_DF, MAX_DF * documents) if large else (1, documents)
    kept = [(count, term) for term, count in term_counts.items() if low <= document_counts[term] <= high]
    if not kept:  # no usable word at all (stop words only, or no texts)
        return ["academichub"], np.ones(1, dtype=np.float32)
    # The most frequent terms, ties by term, then in alphabetical column order as sklearn has them.
    terms = sorted(term for _, term in heapq.nsmallest(MAX_TERMS, ((-c, t) for c, t in kept)))
    df = np.array([document_counts[t] for t in terms], dtype=np.float64)
    idf = np.log((1 + documents) / (1 + df)) + 1  # sklearn's smooth_idf
    return terms, idf.astype(np.float32)


def _transformer(terms: Sequence[str], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer = _vectorizer(len(terms) + LARGE, {t: i for i, t in enumerate(terms)})
    vectorizer.fit(["academichub"])  # sets the fixed vocabulary up; the IDF is replaced next
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


def fitted(texts: Sequence[str]) -> TfidfVectorizer:
    """A transformer with the vocabulary and IDF of these texts, made as the store's is (uncached)."""
    return _transformer(*fit(texts))


def vectorizer_for(digest: str, terms: Sequence[str], idf: np.ndarray) -> TfidfVectorizer:
    """A transformer for a stored vocabulary (built once per process for each content digest: a
    version number alone would mix up two stores a process opens)."""
    with _lock:
        if digest in _vectorizers:
            _vectorizers.move_to_end(digest)
            return _vectorizers[digest]
    vectorizer = _transformer(terms, idf)
    with _lock:
        _vectorizers[digest] = vectorizer
        while len(_vectorizers) > _CACHE:
            _vectorizers.popitem(last=False)
    return vectorizer


def transform(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows of these texts."""
    return vectorizer.transform(texts).tocsr().astype(np.float32)
