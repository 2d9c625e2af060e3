"""Background jobs as Dramatiq actors on the Redis queue named by ACADEMICHUB_BROKER_URL.

`academichub worker` runs Dramatiq over this module: each worker process builds its services
once from the environment (the composition root) and takes jobs from Redis. Jobs are
idempotent (training skips a radar whose stored model already has these inputs and saves by
radar); a job whose worker dies unacknowledged (kill -9) is handed to another worker after the
heartbeat timeout, and a failing job is retried with exponential backoff.

Reader-model training and the scheduled fetches (each followed by embedding, briefings and
deliveries) run here; a file ingest still runs in its command. Without a broker URL nothing here
is imported: each web process trains on its own thread and `up` fetches in its scheduler.
"""

from __future__ import annotations

import functools
import logging

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from academichub.errors import ConfigError
from academichub.settings import Settings, load_settings
from academichub.worker.queue_status import FETCH, TRAINING

log = logging.getLogger(__name__)
RETRIES = 5  # then the message goes to the dead-letter queue (kept a week)
BACKOFF_MS = (2_000, 300_000)  # first retry after ~2 s, at most 5 min apart
HEARTBEAT_MS = 15_000  # a worker silent this long is dead: its unacknowledged jobs are redelivered
RETRYING = {"max_retries": RETRIES, "min_backoff": BACKOFF_MS[0], "max_backoff": BACKOFF_MS[1]}


def broker_for(settings: Settings) -> RedisBroker:
    """The Redis broker of these settings (a clear error when none is configured)."""
    if not settings.broker_url:
        raise ConfigError("worker: set ACADEMICHUB_BROKER_URL=redis://host:port/db to run jobs on a queue")
    return RedisBroker(url=settings.broker_url, heartbeat_timeout=HEARTBEAT_MS)


dramatiq.set_broker(broker_for(load_settings()))


@functools.cache
def services():  # type: ignore[no-untyped-def]
    """This worker process's services, built once (caches warm across jobs)."""
    from academichub import compose

    return compose.build(load_settings(), background=False)


@dramatiq.actor(queue_name=TRAINING, **RETRYING)
def train_radar(radar_id: int) -> None:
    """Train and store a radar's reader model (nothing when its stored model is current)."""
    from academichub.worker.training import train_radar as train

    built = services()
    train(built.store, built.feed.matrix, built.settings.ranking, radar_id, embedder=built.embedder)


@dramatiq.actor(queue_name=FETCH, time_limit=3_600_000, **RETRYING)
def fetch_stream(source_key: str) -> None:
    """Fetch one configured stream, embed what it brought, then write the briefings and deliveries due.

    Idempotent: a stream resumes from its stored cursor and works are upserted by identity.
    """
    from academichub.worker import jobs, streams

    built = services()
    stream = next((s for s in streams.configured(built.settings) if s.key == source_key), None)
    if stream is None:
        log.warning("fetch: stream %s is no longer configured", source_key)
        return
    jobs.fetch_and_embed(built, stream)
