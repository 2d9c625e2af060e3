"""The composition root: the one place that builds AcademicHub's services from settings.

The web app, every CLI command, the scheduler and the benchmarks take their store, feed,
trainer, briefing and delivery services from `build`, so a service is configured the same way
wherever it runs, and jobs receive the services they use instead of assembling their own. The
store is opened here too (`open_store`, `prepare_store`): web and CLI hold a `Store` handed out
by this module and never import the storage package themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from academichub.auth.accounts import Accounts
from academichub.auth.secret import load_secret
from academichub.briefing.service import BriefingService
from academichub.delivery.deliveries import Deliveries
from academichub.delivery.service import DeliveryService
from academichub.embedding.base import Embedder, embedder_or_none
from academichub.ingest import features
from academichub.radar.feed import FeedService
from academichub.settings import Settings
from academichub.storage.engine import POOL_SIZE, connection_lost, database_unavailable
from academichub.storage.store import Store
from academichub.worker.training import BackgroundTrainer, InlineTrainer, QueueTrainer

__all__ = ["REQUEST_THREADS", "Accounts", "Deliveries", "Services", "Store", "build", "connection_lost",
           "database_unavailable", "open_store", "prepare_store"]
REQUEST_THREADS = POOL_SIZE  # threads a web process serves requests on: one pooled connection each
_CONFIGURED: Any = object()  # "the embedder the settings name", told apart from an explicit None


@dataclass
class Services:
    """Everything built from one set of settings over one store."""

    settings: Settings
    store: Store
    embedder: Embedder | None
    feed: FeedService
    trainer: BackgroundTrainer | InlineTrainer | QueueTrainer
    briefing: BriefingService
    accounts: Accounts  # readers, radars, chips and credentials, as web and CLI use them
    deliveries: Deliveries  # the readers' deliveries, checked before they are kept

    @property
    def secret(self) -> bytes:
        """The install's secret (form tokens, signed links), read from the data directory."""
        return load_secret(self.settings)

    def delivery(self, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> DeliveryService:
        """The delivery service (a transport seam for tests; real HTTP and SMTP otherwise)."""
        return DeliveryService(self.settings, self.secret, self.feed, briefing=self.briefing, transport=transport,
                               sleep=sleep)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()


def build(settings: Settings, *, store: Store | None = None, embedder: Embedder | None = _CONFIGURED,
          background: bool = True, http_client: Any = None) -> Services:
    """The services of these settings over `store` (opened here unless given).

    With a broker URL, stale reader models go to the job queue; otherwise `background` trains
    them on a thread (a web process), or when asked (`trainer.wait_idle()`, as the CLI does after
    answering).
    """
    store = store or Store.open(settings)
    if embedder is _CONFIGURED:
        embedder = embedder_or_none(settings.embedding)
    feed = FeedService(store, settings.feed, ranking=settings.ranking, embedder=embedder)
    if settings.broker_url:  # `academichub worker` processes train; any process reads their models
        trainer: BackgroundTrainer | InlineTrainer | QueueTrainer = QueueTrainer()
    else:
        kind = BackgroundTrainer if background else InlineTrainer
        trainer = kind(store, feed.matrix, settings.ranking, embedder=feed.embedder)
    feed.readers.schedule = trainer.schedule
    return Services(settings, store, embedder, feed, trainer, BriefingService(settings, feed, http_client=http_client),
                    Accounts(store), Deliveries(store, settings.delivery))


def open_store(settings: Settings, *, sync: bool = True) -> Store:
    """Open (creating and migrating as needed) the store of these settings; `sync` catches the
    full-text index up (a reader-only process, such as one of `serve --workers`, skips it)."""
    return Store.open(settings, sync=sync)


def prepare_store(settings: Settings) -> Store:
    """Open the store and bring what it derives up to date: schema, full-text index, features.

    Done once before serving: by the app of a single process, by `serve --workers N` before its
    workers start (they only read the index and the features it wrote).
    """
    store = open_store(settings)
    features.catch_up(store)  # a store from before features, or a crash mid-ingest: rows are written now
    return store


def scheduler(settings: Settings, store: Store):  # type: ignore[no-untyped-def]
    """The scheduler `serve` starts: with a broker it only sends fetch jobs (`academichub worker`
    runs them); without one it fetches on its own thread with services of its own."""
    from academichub.sources import registry
    from academichub.worker import jobs
    from academichub.worker.scheduler import QueuedFetches, Scheduler

    def streams() -> list:
        return registry.configured(settings)

    if settings.broker_url:
        from academichub.worker import actors

        queued = QueuedFetches(actors.fetch_stream.send, store.sources.get)
        return Scheduler(settings.schedule, streams, store.sources.get, queued, waiting=queued.waiting)
    scheduled = build(settings, store=store)  # one per process
    return Scheduler(settings.schedule, streams, store.sources.get, lambda stream: jobs.fetch_and_embed(scheduled, stream))
