"""What the feed knows of one reader on one radar: rules with author records, and the reader's scores.

The scores come from the radar's stored model (trained in the background, see
`ranking.training`) plus the cheap updates of `ranking.scoring` for feedback newer than it. When
the stored model is missing or older than what it should have learnt from, training is asked for
through `schedule` and the request goes on with what is stored: no request waits for a fit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from academichub import tfidf
from academichub.model.accounts import Radar, Subscription
from academichub.model.feedback import HIDING
from academichub.radar.authors import records_for
from academichub.radar.known import Known
from academichub.radar.lru import Lru, Versioned
from academichub.radar.rules import RuleSet
from academichub.ranking.learned import NEGATIVE_WEIGHTS, Linear
from academichub.ranking.matrix import Snapshot
from academichub.ranking.profile import FOLLOW_WEIGHT, has_words
from academichub.ranking.ranker import Explainer
from academichub.ranking.scoring import ReaderScores, score_all
from academichub.search.query import positive_text
from academichub.storage.reader_models import StoredModel
from academichub.storage.store import Store

CACHED = 64
DISLIKES_USED = 64  # the most recent dismissals that push their neighbours down on the request
MAX_EXPLAINED = 2000  # papers a provisional model's reasons may point at


def authors_version(store: Store, subs: list[Subscription]) -> tuple:
    """Changes whenever an answer or profile of the radar's followed authors does."""
    return store.authors.version([s.id for s in subs if s.kind == "author"])


def inputs_key(store: Store, radar: Radar, subs: list[Subscription], vocabulary: int, embedding: str, *,
               authors: tuple | None = None, versions: tuple | None = None) -> str:
    """A digest of everything a radar's model learns from: it changes when retraining is due
    (`versions`: the reader's feedback and library versions, when read already)."""
    authors = authors if authors is not None else authors_version(store, subs)
    feedback, library = versions or store.feedback.reader_versions(radar.user_id)
    parts = (radar.subs_version, feedback, library, authors, vocabulary, embedding)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Reader:
    """A radar's rules, its reader's scores over the matrix, and what explains them."""

    rules: RuleSet
    rules_key: tuple  # changes whenever the rules do (subscriptions, author decisions)
    scores: ReaderScores
    explainer: Explainer
    stale: bool  # a newer model is due (training was asked for)


class ReaderModels:
    """Builds `Reader`s from stored models, caching scores while nothing they depend on changes."""

    def __init__(self, store: Store, embedding: str, schedule: Callable[[int], None] | None = None) -> None:
        self.store = store
        self.embedding = embedding
        self.schedule = schedule
        self._models: dict[int, StoredModel] = {}
        self._scores = Versioned(CACHED)  # per inputs and matrix rows; a grown matrix extends the last
        self._rules = Lru(CACHED)

    def rules(self, radar: Radar, subs: list[Subscription], authors: tuple) -> tuple[RuleSet, tuple]:
        """The radar's rules with author records and their cache key (per subscriptions and author decisions)."""
        key = (radar.id, radar.subs_version, authors, tuple((s.id, s.kind, s.value_key) for s in subs))
        return self._rules.get_or(key, lambda: RuleSet(subs, records_for(self.store, subs))), key

    def stored(self, radar: Radar) -> StoredModel | None:
        """The radar's stored model (weights are read again only when it was retrained)."""
        model = self._models.get(radar.id)
        inputs = self.store.reader_models.inputs(radar.id)
        if model is None or model.inputs != inputs:
            model = self.store.reader_models.get(radar.id)
            if model is not None:
                self._models[radar.id] = model
        return model

    def get(self, radar: Radar, snapshot: Snapshot, subs: list[Subscription], known: Known) -> Reader:
        """The reader of this radar now."""
        feedback = known.feedback
        authors = authors_version(self.store, subs)
        inputs = inputs_key(self.store, radar, subs, snapshot.vocabulary.id, self.embedding, authors=authors,
                            versions=known.versions)
        model = self.stored(radar)
        usable = model is not None and model.vocabulary == snapshot.vocabulary.id and model.embedding == self.embedding
        stale = not usable or model.inputs != inputs
        if stale and self.schedule is not None:
            self.schedule(radar.id)
        linear = Linear(model.mode, model.sparse, model.sparse_bias, model.dense, model.dense_bias) if usable else None
        trained_on = {p[0] for p in model.positives if p[0] is not None} if usable else set()
        kinds = {f.work_id: f.action for f in feedback if f.action in ("like", "save") and f.work_id not in trained_on}
        own: list[tuple[str, np.ndarray]] = []  # library items no stored work matched, by their own vector
        if not usable:  # nothing trained yet: the library stands in as a centroid until training is done
            for row in self.store.library.items(radar.user_id):
                if row.work_id is not None:
                    kinds.setdefault(row.work_id, "library")
                elif row.vector is not None and row.model == self.embedding and self.embedding and has_words(row.text):
                    own.append((row.title, row.vector))
        liked = sorted(kinds)
        keywords = [positive_text(sub.value) for sub in subs if sub.kind == "keyword"] if not usable else []
        keywords = [k for k in keywords if k]
        dislikes = [(f.work_id, NEGATIVE_WEIGHTS[f.action]) for f in sorted(feedback, key=lambda f: f.created_at)
                    if f.action in HIDING][-DISLIKES_USED:]
        inputs_of = (radar.id, snapshot.vocabulary.id, model.trained_at if usable else None,
                     tuple(liked), tuple(dislikes), len(own), tuple(keywords))
        # Rows of one lineage and size are the same rows; a larger snapshot of the lineage only adds
        # rows, whose scores are appended to the last ones kept for the same inputs.

        version = (snapshot.lineage, snapshot.size, 0 if snapshot.lineage else snapshot.stamp)
        scores = self._scores.get(inputs_of, version, lambda base: self._score(
            snapshot, linear, liked, dislikes, own, keywords, base[1] if base else None))
        if usable:
            explainer = Explainer(model.positives, model.positive_vectors, linear.sparse)
        else:
            explainer = self._provisional(snapshot, kinds, own)
        rules, rules_key = self.rules(radar, subs, authors)
        return Reader(rules, rules_key, scores, explainer, stale)

    @staticmethod
    def _score(snapshot: Snapshot, linear: Linear | None, liked: list[int], dislikes: list[tuple[int, float]],
               own: list[tuple[str, np.ndarray]], keywords: list[str], previous: ReaderScores | None) -> ReaderScores:
        """Scores of the stored model with the cheap updates: new likes, own library vectors, keywords."""
        extra = np.sum([v for _, v in own], axis=0) if own else None
        words = None
        if keywords and snapshot.vocabulary.terms:  # followed keywords pull their topic up, as a centroid would
            vocab = snapshot.vocabulary
            rows = tfidf.transform(tfidf.vectorizer_for(vocab.digest, vocab.terms, vocab.idf), keywords)
            words = np.asarray(rows.sum(axis=0)).ravel() * FOLLOW_WEIGHT
        return score_all(snapshot, linear, fold_ids=liked, dislikes=dislikes, extra_dense=extra, extra_sparse=words,
                         previous=previous)

    def _provisional(self, snapshot: Snapshot, kinds: dict[int, str], own: list[tuple[str, np.ndarray]]) -> Explainer:
        """Reasons before the first training: the liked and library papers themselves."""
        liked = sorted(kinds)
        rows = snapshot.rows(liked)
        present = [(i, r) for i, r in zip(liked, rows, strict=True) if r >= 0][:MAX_EXPLAINED]
        titles = self.store.works.titles([i for i, _ in present])
        positives = [(i, titles.get(i, ""), kinds[i]) for i, _ in present]
        index = np.array([r for _, r in present], dtype=np.int64)
        vectors = np.asarray(snapshot.dense[index]) if snapshot.dense is not None and len(index) else None
        weights = np.asarray(snapshot.sparse[index].sum(axis=0)).ravel() if len(index) else None
        if own and (vectors is not None or not len(index)):
            positives += [(None, title, "library") for title, _ in own[:MAX_EXPLAINED]]
            mine = np.vstack([v for _, v in own[:MAX_EXPLAINED]]).astype(np.float32)
            vectors = mine if vectors is None else np.vstack([vectors, mine])
        return Explainer(positives, vectors, weights)
