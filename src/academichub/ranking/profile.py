"""What the per-user model learns from: a reader's positives and negatives, with their weights.

Positives: the library (matched works, or items embedded from their own text), likes and
saves, papers surely by followed authors, and keyword subscriptions; weighted by recency.
Dislikes: dismissals and "less like this" (stronger); the random background the model also
contrasts with belongs to the feed's pool (ranking.learned.Pool), not to the profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from academichub.embedding.base import Embedder
from academichub.errors import AcademicHubError
from academichub.model.accounts import Subscription
from academichub.ranking.learned import NEGATIVE_WEIGHTS, Example, recency_weight
from academichub.search.query import positive_text
from academichub.settings import RankingSettings
from academichub.storage.store import Store

FOLLOW_WEIGHT = 0.5  # a followed author's paper or a keyword says less than a paper the reader kept
# An unmatched library item learnt from its own text needs some text: the embedding of "x" (an
# entry of a hand-kept BibTeX file) sat at cosine 0.4 of galaxy papers, and cards said "similar to
# your library paper «x»". A matched item is its stored paper, whatever its entry says.
MIN_OWN_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{2,}")
SAVE_WEIGHT = 1.2


@dataclass
class Profile:
    """Training examples of one reader."""

    positives: list[Example]
    dislikes: list[Example]


def _embed_quietly(embedder: Embedder | None, texts: list[str]) -> np.ndarray | None:
    if embedder is None:
        return None
    try:
        return embedder.embed(texts)
    except AcademicHubError:
        return None  # the window goes on sparse-only too (search and briefings embed on demand)


Lookup = Callable[[list[int], dict[int, float], str], list[Example]]  # stored works as examples


def has_words(text: str) -> bool:
    """Whether an unmatched library item says enough to learn from (three words of two letters)."""
    return len(_WORD.findall(text)) >= MIN_OWN_WORDS


def build(store: Store, embedder: Embedder | None, user_id: int, subscriptions: list[Subscription],
          author_work_ids: list[int], settings: RankingSettings, today: date, *, lookup: Lookup) -> Profile:
    """A reader's positives and dislikes; `lookup` turns stored works into examples with their features."""
    positives: list[Example] = []
    own = []
    library_ids: dict[int, float] = {}
    for row in store.library.items(user_id):
        when = row.added or (date(row.year, 7, 1) if row.year else None)
        weight = recency_weight(when, today, settings.half_life_days)
        if row.work_id is not None:
            library_ids[row.work_id] = max(weight, library_ids.get(row.work_id, 0.0))
        elif has_words(row.text):  # an item no stored work matched: its own text
            vector = row.vector if embedder is not None and row.model == embedder.tag else None  # (of this model)
            own.append(Example(vector, row.text, weight, row.title, "library"))
    positives += lookup(list(library_ids), library_ids, "library") + own
    liked: dict[int, tuple[float, str]] = {}
    disliked: dict[int, tuple[float, str]] = {}
    for item in store.feedback.all(user_id):
        recency = recency_weight(item.created_at.date(), today, settings.half_life_days)
        if item.action in ("like", "save"):
            weight = recency * (SAVE_WEIGHT if item.action == "save" else 1.0)
            liked[item.work_id] = (max(weight, liked.get(item.work_id, (0.0, ""))[0]), item.action)
        else:
            disliked[item.work_id] = (NEGATIVE_WEIGHTS[item.action], item.action)
    for action in ("like", "save"):
        ids = [i for i, (_, a) in liked.items() if a == action]
        positives += lookup(ids, {i: liked[i][0] for i in ids}, action)
    follows = [i for i in author_work_ids if i not in liked and i not in library_ids]
    positives += lookup(follows, dict.fromkeys(follows, FOLLOW_WEIGHT), "follow")
    keywords = [positive_text(s.value) for s in subscriptions if s.kind == "keyword"]
    keywords = [k for k in keywords if k]
    if keywords:
        vectors = _embed_quietly(embedder, keywords)
        positives += [Example(None if vectors is None else vectors[n], k, FOLLOW_WEIGHT, k, "keyword")
                      for n, k in enumerate(keywords)]
    dislikes = []
    for action in ("dismiss", "less"):
        ids = [i for i, (_, a) in disliked.items() if a == action]
        dislikes += lookup(ids, {i: disliked[i][0] for i in ids}, action)
    return Profile(positives, dislikes)
