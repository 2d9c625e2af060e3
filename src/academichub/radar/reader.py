"""What the feed knows of one reader on one radar: rules with author records, and a trained model.

Both are rebuilt only when something they depend on changes (the window, the radar's
subscriptions, the reader's feedback or library, an answer about an author), so 换一批
reuses them and a like retrains the model on the next request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from academichub.embedding.base import Embedder
from academichub.radar.authors import records_for
from academichub.ranking import profile
from academichub.ranking.learned import UserModel
from academichub.ranking.ranker import Scored
from academichub.ranking.rules import RuleSet
from academichub.ranking.window import Window
from academichub.settings import RankingSettings
from academichub.storage.accounts import Radar
from academichub.storage.store import Store

FOLLOWED_PAPERS_PER_AUTHOR = 20  # a followed author's newest papers teach the model their topics
CACHED_READERS = 64


@dataclass(frozen=True)
class Reader:
    """A radar's rules and its reader's model scored over one window."""

    rules: RuleSet
    scored: Scored


class ReaderModels:
    """Builds and caches `Reader`s."""

    def __init__(self, store: Store, embedder: Embedder | None, settings: RankingSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._cache: OrderedDict[tuple, Reader] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, radar: Radar, window_key: tuple) -> tuple:
        subs = self.store.accounts.subscriptions(radar.id)
        return (window_key, radar.id, radar.subs_version, self.store.feedback.version(radar.user_id),
                self.store.library.version(radar.user_id),
                self.store.authors.version([s.id for s in subs if s.kind == "author"]))

    def get(self, radar: Radar, window: Window, window_key: tuple, today: date) -> Reader:
        """The reader of this radar over this window (cached while nothing it depends on changes)."""
        key = self._key(radar, window_key)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        reader = self.build(radar, window, today)
        with self._lock:
            self._cache[key] = reader
            while len(self._cache) > CACHED_READERS:
                self._cache.popitem(last=False)
        return reader

    def build(self, radar: Radar, window: Window, today: date) -> Reader:
        """Author records, rules, the reader's examples and the model fitted on them."""
        subs = self.store.accounts.subscriptions(radar.id)
        authors = records_for(self.store, subs)
        followed = [w for record in authors.values() for w in record.papers[:FOLLOWED_PAPERS_PER_AUTHOR]]
        examples = profile.build(self.store, self.embedder, radar.user_id, subs, followed, self.settings, today)
        model = UserModel(window.vectorizer).fit(examples.positives, examples.dislikes, window.pool,
                                                 min_positives=self.settings.min_positives)
        return Reader(RuleSet(subs, authors), Scored.of(model, window))
