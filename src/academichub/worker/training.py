"""The reader-model training job, and an in-process runner that keeps it off the request path.

`train_radar` is a plain job (idempotent: it stores the model of what the radar's inputs are when
it starts; a change during training leaves the stored model stale, so the next request asks
again). `BackgroundTrainer` runs it on one thread per process, coalescing repeated requests for
the same radar, which is what a laptop needs; at scale the same job runs on queue workers.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from academichub.embedding.base import Embedder
from academichub.errors import AcademicHubError, NotFoundError
from academichub.radar.authors import records_for
from academichub.radar.reader import inputs_key
from academichub.ranking.matrix import FeatureMatrix
from academichub.ranking.training import train
from academichub.settings import RankingSettings
from academichub.storage.reader_models import StoredModel
from academichub.storage.store import Store

log = logging.getLogger(__name__)
FOLLOWED_PAPERS_PER_AUTHOR = 20  # a followed author's newest papers teach the model their topics


def train_radar(store: Store, matrix: FeatureMatrix, settings: RankingSettings, radar_id: int, *,
                embedder: Embedder | None) -> StoredModel | None:
    """Train and store one radar's model (None when the store has no features yet or the radar is gone)."""
    snapshot = matrix.current()
    if snapshot is None:
        return None
    try:
        radar = store.accounts.get_radar(radar_id)
    except NotFoundError:
        return None  # deleted since the job was asked for: nothing to train (and nothing to retry)
    tag = embedder.tag if embedder is not None else ""
    # The inputs are read before the data: what changes during training makes the result stale, not wrong.
    subs = store.accounts.subscriptions(radar.id)
    inputs = inputs_key(store, radar, subs, snapshot.vocabulary.id, tag)
    if store.reader_models.inputs(radar_id) == inputs:
        return None  # another worker or process trained on exactly this already
    followed = [w for record in records_for(store, subs).values() for w in record.papers[:FOLLOWED_PAPERS_PER_AUTHOR]]
    model = train(store, snapshot, radar, settings, embedder=embedder, inputs=inputs, followed=followed)
    try:
        store.reader_models.save(model)
    except NotFoundError:
        return None  # deleted while it trained
    log.info("trained radar %s (%s, %s positives) in %.2f s", radar_id, model.mode, len(model.positives),
             model.seconds)
    return model


class BackgroundTrainer:
    """Trains radars on a background thread once their inputs settle; scheduling a radar already
    waiting only moves its turn.

    A reader liking papers one after another asked for a retrain at each like, and each ran beside
    the reader's next 换一批 in the same process (0.6 s of CPU each: the like-then-换一批 p95 went
    from about 60 to 129 ms). The cheap update already serves each like at once, so a radar trains
    when it has been still for `retrain_settle_seconds`, or at the latest `SETTLE_CAP` times that
    after it was first asked, so a reader who never stops still gets a retrained model.
    """

    SETTLE_CAP = 5

    def __init__(self, store: Store, matrix: FeatureMatrix, settings: RankingSettings, *,
                 embedder: Embedder | None) -> None:
        self.store, self.matrix, self.settings, self.embedder = store, matrix, settings, embedder
        self._queue: queue.Queue[int] = queue.Queue()
        self._waiting: dict[int, tuple[float, float]] = {}  # radar -> (first asked, may train from), monotonic
        self._busy = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._loop, name="academichub-trainer", daemon=True)
        self._thread.start()

    def schedule(self, radar_id: int) -> None:
        """Ask for a retrain of this radar (returns at once)."""
        now, settle = time.monotonic(), self.settings.retrain_settle_seconds
        with self._lock:
            queued = radar_id in self._waiting
            asked = self._waiting[radar_id][0] if queued else now
            self._waiting[radar_id] = (asked, min(now + settle, asked + self.SETTLE_CAP * settle))
        if not queued:
            self._queue.put(radar_id)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until nothing is waiting or training (for tests, benchmarks and shutdown)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._waiting or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _loop(self) -> None:
        while True:
            radar_id = self._queue.get()
            with self._lock:
                # Until the radar settles: each schedule meanwhile moves its turn (up to the cap).
                while (wait := self._waiting[radar_id][1] - time.monotonic()) > 0:
                    self._idle.wait(wait)
                del self._waiting[radar_id]
                self._busy += 1
            try:
                train_radar(self.store, self.matrix, self.settings, radar_id, embedder=self.embedder)
            except AcademicHubError as exc:
                log.warning("training radar %s failed: %s", radar_id, exc)
            except Exception:  # the trainer thread must outlive any one failure
                log.exception("training radar %s failed", radar_id)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()


class InlineTrainer:
    """Collects radars to train and trains them when asked (a CLI command, after it has answered)."""

    def __init__(self, store: Store, matrix: FeatureMatrix, settings: RankingSettings, *,
                 embedder: Embedder | None) -> None:
        self.store, self.matrix, self.settings, self.embedder = store, matrix, settings, embedder
        self._waiting: list[int] = []

    def schedule(self, radar_id: int) -> None:
        """Remember a radar to train."""
        if radar_id not in self._waiting:
            self._waiting.append(radar_id)

    def wait_idle(self, timeout: float = 0.0) -> bool:  # noqa: ARG002 - the same call as BackgroundTrainer's
        """Train every radar asked for, now."""
        while self._waiting:
            train_radar(self.store, self.matrix, self.settings, self._waiting.pop(0), embedder=self.embedder)
        return True


class QueueTrainer:
    """Sends stale radars to the job queue, where `academichub worker` processes train them.

    A radar is sent again only after RESEND_SECONDS: every ranking of a stale radar asks, and
    one message per request would flood the queue before the first job ran.
    """

    RESEND_SECONDS = 30.0

    def __init__(self) -> None:
        self._sent: dict[int, float] = {}
        self._lock = threading.Lock()

    def schedule(self, radar_id: int) -> None:
        """Queue a training of this radar (unless one was queued moments ago)."""
        now = time.monotonic()
        with self._lock:
            if now - self._sent.get(radar_id, -self.RESEND_SECONDS) < self.RESEND_SECONDS:
                return
            self._sent[radar_id] = now
        try:
            from academichub.worker import actors  # imported on first use: it connects to Redis

            actors.train_radar.send(radar_id)
        except Exception as exc:  # Redis down or unset: the feed ranks on; this is sent again later
            # A reader's page must not fail because the queue is away: the radar is ranked with
            # its stored model and the cheap update of its newest feedback meanwhile, and the
            # next ranking after RESEND_SECONDS sends the job again.
            log.warning("training: could not queue radar %s (%s: %s); sent again in %.0f s", radar_id,
                        type(exc).__name__, exc, self.RESEND_SECONDS)

    def wait_idle(self, timeout: float = 0.0) -> bool:  # noqa: ARG002 - the same call as the others'
        """Nothing to wait for here: the workers train (their models are read from the store)."""
        return False
