"""What the job queue holds: queued, waiting to retry and dead-lettered jobs, read from Redis.

Dramatiq keeps each queue's messages in `<namespace>:<queue>.msgs`, delayed ones (retries wait
there) under `<queue>.DQ`, and dead-lettered ones in the sorted set `<queue>.XQ` (scored by when
they died) with their bodies in `<queue>.XQ.msgs`. The admin page and `/api/v1/admin/jobs` show them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from academichub.settings import Settings

TRAINING, FETCH, INGEST = "training", "fetch", "ingest"  # the queues of academichub.worker.actors' actors
QUEUES = (TRAINING, FETCH, INGEST)
NAMESPACE = "dramatiq"
DEAD_SHOWN = 20


@dataclass(frozen=True)
class DeadJob:
    """A job that failed every retry."""

    id: str
    actor: str
    args: list
    died_at: datetime
    error: str


@dataclass
class QueueReport:
    """One queue's state."""

    queue: str
    queued: int = 0
    retrying: int = 0
    dead: int = 0
    recent_dead: list[DeadJob] = field(default_factory=list)
    error: str = ""  # when Redis could not be read


def _dead_job(message_id: str, raw: bytes | None, score: float) -> DeadJob:
    body = json.loads(raw) if raw else {}
    trace = (body.get("options") or {}).get("traceback") or ""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return DeadJob(message_id, body.get("actor_name", "?"), body.get("args", []),
                   datetime.fromtimestamp(score / 1000, UTC), lines[-1] if lines else "")


def queue_report(settings: Settings) -> list[QueueReport]:
    """Each queue's counts and latest dead jobs (nothing without a broker; an error row when Redis is down)."""
    if not settings.broker_url:
        return []
    client = redis.Redis.from_url(settings.broker_url, socket_timeout=2, socket_connect_timeout=2)
    reports = []
    for queue in QUEUES:
        name = f"{NAMESPACE}:{queue}"
        try:
            newest = client.zrevrange(f"{name}.XQ", 0, DEAD_SHOWN - 1, withscores=True)
            bodies = client.hmget(f"{name}.XQ.msgs", [m for m, _ in newest]) if newest else []
            reports.append(QueueReport(
                queue, queued=client.hlen(f"{name}.msgs"), retrying=client.hlen(f"{name}.DQ.msgs"),
                dead=client.zcard(f"{name}.XQ"),
                recent_dead=[_dead_job(m.decode(), raw, score) for (m, score), raw in zip(newest, bodies)]))
        except redis.RedisError as exc:
            reports.append(QueueReport(queue, error=f"queue: cannot read {queue} from Redis: {exc}"))
    return reports
