"""Jobs are plain functions over a store and settings; the CLI, the web app and the scheduler call them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from academichub.embedding.base import Embedder, embedder_or_none
from academichub.errors import AcademicHubError
from academichub.ingest.pipeline import ingest
from academichub.model.report import RunReport
from academichub.radar.subscriptions import follow
from academichub.settings import Settings
from academichub.sources import arxiv, registry
from academichub.sources.contract import Stream, Window
from academichub.sources.formats import format_source, read_items
from academichub.storage.engine import next_stamp, read_counter, reading, write_transaction
from academichub.storage.locks import one_at_a_time
from academichub.storage.store import Store
from academichub.worker import embedding_job
from academichub.worker.harvest import Harvester

# Jobs receive the services the composition root (academichub.compose.Services) built and never
# build them; the root imports the worker, so the name is only written here, not imported.
Services = Any

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "arxiv-sample.jsonl.gz"
SAMPLE_STAMP, SAMPLE_BEGUN, SAMPLE_DONE = "sample", 1, 2  # a counter: the sample's load begun, then done
DEMO_AUTHOR = "Jianxiang He"  # the sample's first screen follows an author with papers in it, as the product is meant to be used


def ingest_file(store: Store, path: Path, *, fmt: str | None = None,
                progress: Progress | None = None) -> tuple[str, RunReport]:
    """Ingest a local file in any supported format (detected when not named)."""
    fmt, items = read_items(path, fmt)
    return fmt, ingest(store, items, source=format_source(fmt), progress=progress)


def ingest_file_settled(services: Services, path: Path, *, fmt: str | None = None) -> RunReport:
    """A queued file ingest: the ingest, then the index and features caught up and new works embedded.

    The catch-up is what makes a redelivered run complete: a worker killed mid-ingest leaves
    stored works that its unfinished run never indexed or featurised, and a re-run upserts them
    as unchanged.
    """
    from academichub.ingest import features

    store = services.store
    _fmt, report = ingest_file(store, path, fmt=fmt)
    store.sync_index()
    features.catch_up(store)
    embed_new(store, services.settings, embedder=services.embedder)
    log.info("ingest of %s: %s new, %s updated, %s rejected", path, report.new, report.updated, report.rejected)
    return report


def load_sample(store: Store, progress: Progress | None = None) -> RunReport:
    """Load the bundled real sample into the store, marked begun and then finished: a load that
    stopped half way (a full disk, Ctrl+C) is taken up again by the next `init` (sample_unfinished),
    which used to find the store not empty and leave it with part of the sample."""
    _stamp_sample(store, SAMPLE_BEGUN)
    report = ingest_file(store, SAMPLE, fmt="arxiv-jsonl", progress=progress)[1]
    if not report.errors:
        _stamp_sample(store, SAMPLE_DONE)
    return report


def sample_unfinished(store: Store) -> bool:
    """Whether a load of the bundled sample began and never finished."""
    with reading(store.engine) as conn:
        return read_counter(conn, SAMPLE_STAMP) == SAMPLE_BEGUN


def _stamp_sample(store: Store, stage: int) -> None:
    with write_transaction(store.engine) as conn:
        if read_counter(conn, SAMPLE_STAMP) == stage - 1:
            next_stamp(conn, SAMPLE_STAMP)


def start_demo(store: Store) -> None:
    """Make the local reader's radar the demo's: it follows DEMO_AUTHOR unless it follows someone already."""
    _user, radar = store.accounts.ensure_local_user()
    if not store.accounts.subscriptions(radar.id):
        follow(store, radar.id, "author", DEMO_AUTHOR)


def fetch_arxiv(store: Store, settings: Settings, *, method: str = "listing", categories: list[str] | None = None,
                date_from: date | None = None, date_to: date | None = None, author: str | None = None,
                ids: list[str] | None = None, max_results: int = 1000,
                transport: httpx.BaseTransport | None = None, progress: Progress | None = None) -> RunReport:
    """Fetch from arXiv and ingest; failures are classified in the report, never raised."""
    stream = arxiv.stream(settings.sources.arxiv, method=method, categories=categories, author=author, ids=ids)
    window = Window(date_from, date_to) if (date_from or date_to) else None
    return Harvester(store, settings, transport=transport).run(stream, window=window, max_results=max_results,
                                                               progress=progress)


def fetch_stream(store: Store, settings: Settings, stream: Stream, *, window: Window | None = None,
                 transport: httpx.BaseTransport | None = None, progress: Progress | None = None) -> RunReport:
    """Harvest any stream (an explicit window, or incrementally from the last run)."""
    return Harvester(store, settings, transport=transport).run(stream, window=window, progress=progress)


def fetch_all(store: Store, settings: Settings, *, transport: httpx.BaseTransport | None = None,
              progress: Progress | None = None) -> list[tuple[Stream, RunReport]]:
    """One pass over every enabled stream; a failing source does not stop the others."""
    return Harvester(store, settings, transport=transport).run_all(registry.configured(settings), progress)


def embed_new(store: Store, settings: Settings, progress: Progress | None = None, *,
              embedder: Embedder | None = None) -> int:
    """The job after every ingest: embed works that have no vector of the configured model yet.

    A model that cannot run is logged, not raised: ingest has succeeded, and ranking and search
    fall back to text features (and embed on demand) until the model works again.
    """
    embedder = embedder or embedder_or_none(settings.embedding)
    if embedder is None:
        return 0
    try:
        return embedding_job.embed_missing(store, embedder, progress=progress)
    except AcademicHubError as exc:
        log.warning("embedding after ingest failed: %s", exc)
        return 0


def fetch_and_embed(services: Services, stream: Stream) -> RunReport:
    """A scheduled run: fetch one stream, embed what it brought, then write the daily briefings due."""
    store, settings = services.store, services.settings
    report = fetch_stream(store, settings, stream)
    if report.new or report.updated:
        embed_new(store, settings, embedder=services.embedder)
        brief_scheduled(services)
        deliver_due(services)
    return report


def deliver_due(services: Services, *, transport=None, sleep=None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Send the e-mail digests and webhook posts that are due (a new announcement day, or a week)."""
    import time

    # One sender at a time per store: two queue workers finishing fetches together each found the
    # same digests due and sent them twice; the second now waits and finds them sent.
    with one_at_a_time(services.store.engine, "deliveries"):
        return services.delivery(transport=transport, sleep=sleep or time.sleep).run_due()


def brief_scheduled(services: Services) -> list[int]:
    """Write a briefing for every radar that asked for one and has an announcement day not briefed yet.

    An LLM briefing that fails falls back to the offline one inside the service; any other failure
    is logged and the radar is tried again after the next fetch. Returns the new briefings' ids.
    """
    store, settings, service = services.store, services.settings, services.briefing
    with one_at_a_time(store.engine, "briefings"):  # as deliveries: written once
        return _brief_due(store, settings, service)


def _brief_due(store: Store, settings: Settings, service) -> list[int]:  # type: ignore[no-untyped-def]
    from academichub.briefing.service import Request

    newest = store.works.latest_feed_dates(1)
    if not newest:
        return []
    written = []
    for schedule in store.briefings.schedules():
        if schedule.last_anchor is not None and schedule.last_anchor >= newest[0]:
            continue
        try:
            radar = store.accounts.get_radar(schedule.radar_id)
            llm = schedule.llm and settings.llm.configured
            briefing = service.build(Request(radar, schedule.period, schedule.lang, llm))
        except AcademicHubError as exc:
            log.warning("daily briefing of radar %s failed: %s", schedule.radar_id, exc)
            continue
        store.briefings.mark_done(schedule.radar_id, newest[0])
        written.append(briefing.id)
    return written
