"""Background jobs as Dramatiq actors on the Redis queue named by ACADEMICHUB_BROKER_URL.

`academichub worker` runs Dramatiq over this module: each worker process builds its services
once from the environment (the composition root) and takes jobs from Redis. Jobs are
idempotent (training skips a radar whose stored model already has these inputs and saves by
radar); a job whose worker dies unacknowledged (kill -9) is handed to another worker after the
heartbeat timeout, and a failing job is retried with exponential backoff.

Reader-model training, the scheduled fetches (each followed by embedding, briefings and
deliveries) and file ingests sent with `ingest --file F --queue` run here. Without a broker URL
nothing here is imported: each web process trains on its own thread and `up` fetches in its
scheduler.
"""

from __future__ import annotations

import functools
import logging

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from academichub.errors import ConfigError, InputError
from academichub.settings import Settings, load_settings
from academichub.worker.queue_status import FETCH, INGEST, TRAINING

log = logging.getLogger(__name__)
RETRIES = 5  # then the message goes to the dead-letter queue (kept a week)
BACKOFF_MS = (2_000, 300_000)  # first retry after ~2 s, at most 5 min apart
# Share of broker commands (per million) that look for dead workers. A look only serves the
# queue of its own command, whose idle consumer polls about once a second: Dramatiq's default,
# 0.1%, left a killed worker's job waiting ~15 minutes, and 5% still ~20 s past the heartbeat
# timeout (measured); 25% brings it back within ~4 s of it, for two cheap sorted-set reads.
MAINTENANCE_CHANCE = 250_000
RETRYING = {"max_retries": RETRIES, "min_backoff": BACKOFF_MS[0], "max_backoff": BACKOFF_MS[1]}


def broker_for(settings: Settings) -> RedisBroker:
    """The Redis broker of these settings (a clear error when none is configured)."""
    if not settings.broker_url:
        raise ConfigError("worker: set ACADEMICHUB_BROKER_URL=redis://host:port/db to run jobs on a queue")
    return RedisBroker(url=settings.broker_url, heartbeat_timeout=int(settings.broker_heartbeat_seconds * 1000),
                       maintenance_chance=MAINTENANCE_CHANCE)


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
    from academichub.sources import registry
    from academichub.worker import jobs

    built = services()
    stream = next((s for s in registry.configured(built.settings) if s.key == source_key), None)
    if stream is None:
        log.warning("fetch: stream %s is no longer configured", source_key)
        return
    jobs.fetch_and_embed(built, stream)


# A file that cannot be read or parsed fails the same way every time: dead-lettered at once.
@dramatiq.actor(queue_name=INGEST, time_limit=6 * 3_600_000, throws=(InputError,), **RETRYING)
def ingest_file(path: str, fmt: str | None = None) -> None:
    """Ingest a local file (a path every worker can read), then index, featurise and embed it.

    Idempotent: works are upserted by identity, and a run redelivered after its worker died
    first catches the index and the features up with what the dead run stored.
    """
    from pathlib import Path

    from academichub.worker import jobs

    jobs.ingest_file_settled(services(), Path(path), fmt=fmt)
