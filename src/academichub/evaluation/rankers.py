"""The rankers compared by the harness: AcademicHub's and three baselines from open-source radars.

- BM25 (bm25s): the library's text as one long query over the candidates.
- TF-IDF + per-user linear SVM, arxiv-sanity-lite's method with its settings (unigrams and
  bigrams, 20,000 features, max_df 0.1, min_df 5, LinearSVC C=0.01 balanced, every other paper
  of the corpus a negative).
- Recency-weighted centroid cosine, zotero-arxiv-daily's method: similarity of each candidate
  to the library items weighted 1 / (1 + log10(rank by recency)), on the same embeddings.
- The same centroid on arxiv-sanity-lite's TF-IDF rows (the TF-IDF centroid the outside
  evaluation of issue 12 found above our ranker on small libraries).
- AcademicHub: the product's per-user model (ranking.learned): arxiv-sanity-style sparse SVM
  fused with a logistic regression on embeddings, the pool being the candidates plus a random
  background of the history (as the feed's is the window plus a random background of the store),
  positives weighted by recency.

Candidate dense views (evaluation.views, `--dense-views`) run twice each: as the centroid
method's vectors and as our model's dense view in place of the embeddings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

import bm25s
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from academichub import tfidf
from academichub.evaluation import views
from academichub.evaluation.protocols import Corpus
from academichub.ranking.learned import Example, Pool, UserModel, recency_weight
from academichub.settings import RankingSettings

RANKERS = ("academichub", "academichub-sparse", "bm25", "tfidf-svm", "tfidf-centroid", "centroid")
BASELINES = ("bm25", "tfidf-svm", "tfidf-centroid", "centroid")  # the others' methods; academichub-sparse is our own sparse view alone
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG to stderr

MIN_POSITIVES = RankingSettings().min_positives


@dataclass
class Context:
    """What every ranker may use: the corpus rows of the split, their texts, features, vectors."""

    corpus: Corpus
    history: list[int]
    candidates: list[int]
    vectors: np.ndarray  # one unit row per corpus row (embeddings)
    cutoff: date
    negative_rows: list[int] = field(default_factory=list)  # random papers before the cut-off
    half_life_days: float = 180.0
    _cache: dict = field(default_factory=dict)

    def texts(self, rows: list[int]) -> list[str]:
        """Titles and abstracts of rows."""
        return [f"{self.corpus.titles[r]}. {self.corpus.abstracts[r]}" for r in rows]


def bm25(context: Context, library: list[int]) -> np.ndarray:
    """BM25 of the candidates against the library as one query."""
    if "bm25" not in context._cache:
        index = bm25s.BM25()
        index.index(bm25s.tokenize(context.texts(context.candidates), stopwords="en", show_progress=False),
                    show_progress=False)
        context._cache["bm25"] = index
    query = bm25s.tokenize([" ".join(context.texts(library))], stopwords="en", show_progress=False,
                           return_ids=False)[0]
    return np.asarray(context._cache["bm25"].get_scores(query), dtype=np.float64)


def _sanity_features(context: Context):  # type: ignore[no-untyped-def]
    if "sanity" not in context._cache:
        rows = context.history + context.candidates
        vectorizer = TfidfVectorizer(lowercase=True, strip_accents="unicode", stop_words="english",
                                     token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
                                     max_features=20000, norm="l2", use_idf=True, smooth_idf=True,
                                     sublinear_tf=True, max_df=0.1, min_df=5, dtype=np.float32)
        position = {r: i for i, r in enumerate(rows)}
        context._cache["sanity"] = (rows, vectorizer.fit_transform(context.texts(rows)), position)
    return context._cache["sanity"]


def tfidf_svm(context: Context, library: list[int]) -> np.ndarray:
    """arxiv-sanity-lite: a linear SVM over every paper, the library positive, the rest negative."""
    rows, features, _ = _sanity_features(context)
    wanted = set(library)
    labels = np.array([1 if r in wanted else 0 for r in rows])
    classifier = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01).fit(features, labels)
    return classifier.decision_function(features[len(context.history):])


def _recency_ranked(context: Context, library: list[int]) -> tuple[list[int], np.ndarray]:
    """The library newest first and zotero-arxiv-daily's weights of those ranks (summing to one)."""
    newest_first = sorted(library, key=lambda r: context.corpus.days[r], reverse=True)
    weights = np.array([1.0 / (1.0 + np.log10(rank + 1)) for rank in range(len(newest_first))])
    return newest_first, weights / weights.sum()


def centroid(context: Context, library: list[int], vectors: np.ndarray | None = None) -> np.ndarray:
    """zotero-arxiv-daily: recency-weighted mean cosine to the library items (on `vectors`, by
    default the embeddings)."""
    vectors = context.vectors if vectors is None else vectors
    newest_first, weights = _recency_ranked(context, library)
    similarities = vectors[context.candidates] @ vectors[newest_first].T
    return similarities @ weights


def tfidf_centroid(context: Context, library: list[int]) -> np.ndarray:
    """The same recency-weighted mean cosine on arxiv-sanity-lite's TF-IDF rows (unit rows: a
    product is a cosine; a library paper the baseline's vocabulary misses counts as zero)."""
    _, features, position = _sanity_features(context)
    newest_first, weights = _recency_ranked(context, library)
    profile = features[[position[r] for r in newest_first]].T @ weights
    return np.asarray(features[len(context.history):] @ profile, dtype=np.float64).ravel()


def _split_rows(context: Context) -> tuple[tfidf.Vectorizer, sp.csr_matrix, dict[int, int]]:
    """The product's vocabulary and IDF fitted on every paper of the split (as the store's come
    from all it holds), those papers' TF-IDF rows from the same tokenisation, and each corpus
    row's position among them."""
    if "split" not in context._cache:
        rows = context.history + context.candidates
        terms, idf, features = tfidf.fit_transform(context.texts(rows))
        context._cache["split"] = (tfidf.Vectorizer(terms, idf), features, {r: i for i, r in enumerate(rows)})
    return context._cache["split"]


def _pool(context: Context) -> tuple[Pool, tfidf.Vectorizer]:
    """The product's pool (the candidates, then the random background of the history) and its vectorizer."""
    if "pool" not in context._cache:
        vectorizer, features, position = _split_rows(context)
        rows = context.candidates + context.negative_rows
        sparse = features[[position[r] for r in rows]]
        context._cache["pool"] = (Pool(rows, sparse, context.vectors[rows], len(context.candidates)), vectorizer)
    return context._cache["pool"]


def _fitted(context: Context, library: list[int], view: str | None = None,
            half_life: float | None = None) -> tuple[UserModel, Pool]:
    """The product's model of one library, fitted once for all of its scorers (the last one kept);
    with `view`, that view's vectors are its dense view instead of the embeddings; with
    `half_life`, its positives' recency weights have that half-life instead of the product's."""
    half_life = context.half_life_days if half_life is None else half_life
    key = ("model", view, half_life)
    cached = context._cache.get(key)
    if cached is None or cached[0] != library:
        pool, vectorizer = _pool(context)
        _, features, position = _split_rows(context)
        vectors = context.vectors if view is None else view_vectors(context, view)
        if view is not None:
            pool = Pool(pool.ids, pool.sparse, vectors[pool.ids], pool.window_size)
        positives = [Example(vectors[r], text, recency_weight(context.corpus.days[r], context.cutoff, half_life),
                             work_id=r, sparse=features[position[r]])
                     for r, text in zip(library, context.texts(library), strict=True)]
        model = UserModel(vectorizer).fit(positives, [], pool, min_positives=MIN_POSITIVES)
        cached = context._cache[key] = (list(library), model, pool)
    return cached[1], cached[2]


def view_vectors(context: Context, view: str) -> np.ndarray:
    """A (corpus rows × dimensions) matrix of one learned view, fitted on the history's TF-IDF
    rows and filled for the history and the candidates."""
    if ("view", view) not in context._cache:
        _, features, _ = _split_rows(context)
        mapping = views.term_map(view, features[: len(context.history)],
                                 [context.corpus.authors[r] for r in context.history])
        matrix = np.zeros((len(context.corpus.ids), mapping.shape[1]), dtype=np.float32)
        matrix[context.history + context.candidates] = views.project(features, mapping)
        context._cache[("view", view)] = matrix
    return context._cache[("view", view)]


def centroid_in(context: Context, library: list[int], view: str) -> np.ndarray:
    """The centroid method on a learned view's vectors."""
    return centroid(context, library, view_vectors(context, view))


def _window_scores(model: UserModel, pool: Pool, dense: bool = True) -> np.ndarray:
    """A fitted model's scores of the pool's window (the candidates), with or without its dense view."""
    window = slice(0, pool.window_size)
    return model.score(pool.sparse[window], pool.dense[window] if dense else None)


def academichub_in(context: Context, library: list[int], view: str) -> np.ndarray:
    """Our model with a learned view as its dense view (the product's weight)."""
    return _window_scores(*_fitted(context, library, view))


def academichub(context: Context, library: list[int]) -> np.ndarray:
    """AcademicHub's per-user model exactly as the feed uses it (positives weighted by recency)."""
    return _window_scores(*_fitted(context, library))


def academichub_sparse(context: Context, library: list[int]) -> np.ndarray:
    """The same model's sparse view alone: the fusion must never lose to it."""
    return _window_scores(*_fitted(context, library), dense=False)


def academichub_weighted(context: Context, library: list[int], dense_weight: float) -> np.ndarray:
    """The same model with another weight of its dense view (for learning that weight)."""
    model, pool = _fitted(context, library)
    kept, model.dense_weight = model.dense_weight, dense_weight
    try:
        return _window_scores(model, pool)
    finally:
        model.dense_weight = kept


def academichub_recency(context: Context, library: list[int], half_life: float) -> np.ndarray:
    """The same model fitted with another recency half-life of its positives (for learning it;
    `inf`: every positive counts fully)."""
    return _window_scores(*_fitted(context, library, half_life=half_life))


SCORERS = {"academichub": academichub, "academichub-sparse": academichub_sparse, "bm25": bm25,
           "tfidf-svm": tfidf_svm, "tfidf-centroid": tfidf_centroid, "centroid": centroid}
