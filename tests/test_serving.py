"""The serving path: batches claimed under concurrency, toggles that never repeat, feedback without a fit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from academichub.radar import feedback
from academichub.radar.feed import FeedService
from academichub.radar.subscriptions import follow
from academichub.ranking.learned import UserModel
from academichub.settings import FeedSettings
from academichub.storage.accounts import Radar
from academichub.storage.store import Store
from academichub.worker.training import InlineTrainer, train_radar
from tests.browser import running_server
from tests.conftest import make_settings


def _url_of(store: Store) -> str | None:
    url = store.engine.url
    return None if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=False)


def test_concurrent_next_over_http_never_repeats_and_never_fails(sample_store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "served", _url_of(sample_store))
    from academichub.web.app import create_app

    app_settings = settings
    with running_server(app_settings, app=create_app(app_settings, store=sample_store)) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.get("/api/v1/feed").status_code == 200
        barrier = threading.Barrier(6)

        def clicks(_: int) -> list[dict]:
            pages = []
            with httpx.Client(base_url=base, timeout=60) as client:
                barrier.wait()
                for _ in range(4):
                    response = client.post("/api/v1/feed/next", json={"period": "all"})
                    assert response.status_code == 200, response.text
                    pages.append(response.json())
            return pages

        with ThreadPoolExecutor(6) as pool:
            pages = [p for result in pool.map(clicks, range(6)) for p in result]
    shown = [item["id"] for page in pages for item in page["items"]]
    assert len(pages) == 24 and len(shown) == 240
    assert len(set(shown)) == len(shown)  # no paper in two batches
    assert len({page["batch"] for page in pages}) == 24


def test_two_processes_racing_on_one_radar_never_share_a_paper(sample_store: Store, fresh_radar: Radar) -> None:
    # Two services stand for two web processes: each has its own matrix and caches, one database.
    services = [FeedService(sample_store, FeedSettings()), FeedService(sample_store, FeedSettings())]
    services[0].current(fresh_radar)
    barrier = threading.Barrier(8)

    def click(n: int) -> list[int]:
        barrier.wait()
        return [c.work.id for c in services[n % 2].next(fresh_radar, period="all").cards]

    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(click, range(8)))
    shown = [i for batch in batches for i in batch]
    assert all(len(b) == 10 for b in batches)
    assert len(set(shown)) == len(shown) == 80


def _never_back(feed: FeedService, radar: Radar, steps) -> None:  # type: ignore[no-untyped-def]
    """Run steps that each show a page; a paper that left the screen must never come back."""
    gone: set[int] = set()
    showing: set[int] = set()
    for step in steps:
        now = {c.work.id for c in step().cards}
        assert not now & gone, "a paper shown earlier came back"
        gone |= showing - now
        showing = now


def test_toggling_a_chip_or_the_period_never_brings_a_paper_back(sample_store: Store, fresh_radar: Radar) -> None:
    feed = FeedService(sample_store, FeedSettings())
    radar_id = fresh_radar.id

    def radar() -> Radar:
        return sample_store.accounts.get_radar(radar_id)

    def toggle(add: bool):  # type: ignore[no-untyped-def]
        def step():  # type: ignore[no-untyped-def]
            if add:
                follow(sample_store, radar_id, "keyword", "language model")
            else:
                sub = next(s for s in sample_store.accounts.subscriptions(radar_id) if s.kind == "keyword")
                sample_store.accounts.remove_subscription(radar_id, sub.id)
            return feed.current(radar())
        return step

    _never_back(feed, fresh_radar, [lambda: feed.current(radar()), toggle(True), toggle(False), toggle(True),
                                    toggle(False), lambda: feed.current(radar(), period="week"),
                                    lambda: feed.current(radar(), period="recent"),
                                    lambda: feed.current(radar(), period="week"),
                                    lambda: feed.next(radar()), lambda: feed.current(radar(), period="recent")])


def test_a_like_changes_the_next_batch_without_a_fit_then_the_trained_model_replaces_it(
        sample_store: Store, fresh_radar: Radar, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = FeedService(sample_store, FeedSettings())
    trainer = InlineTrainer(sample_store, feed.matrix, feed.ranking, embedder=None)
    feed.readers.schedule = trainer.schedule
    user = fresh_radar.user_id
    cold = feed.current(fresh_radar, period="all")
    assert all(c.reasons[0].kind == "recent" for c in cold.cards)
    galaxies = [sample_store.works.get(i).public_id for i, _ in sample_store.search("galaxy", limit=6).hits]
    for paper in galaxies:
        feedback.give(sample_store, user, paper, "like")

    def no_fit(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a model was fitted on the request")

    with monkeypatch.context() as patch:
        patch.setattr(UserModel, "fit", no_fit)
        cheap = feed.next(fresh_radar, period="all")
    astro = sum(any(c.startswith("astro-ph") for c in card.work.paper.categories) for card in cheap.cards)
    assert astro >= 7, [c.work.paper.title for c in cheap.cards]
    assert any(r.kind == "similar_to" and r.detail == "like" for c in cheap.cards for r in c.reasons) or \
        any(r.kind == "similar" for c in cheap.cards for r in c.reasons)
    assert sample_store.reader_models.get(fresh_radar.id) is None and fresh_radar.id in trainer._waiting

    trainer.wait_idle()  # what the background job does
    stored = sample_store.reader_models.get(fresh_radar.id)
    assert stored is not None and stored.mode == "classifier"
    assert {p[0] for p in stored.positives} >= {sample_store.works.id_for_public(g) for g in galaxies}
    snapshot = feed.matrix.current()
    reader = feed.readers.get(sample_store.accounts.get_radar(fresh_radar.id), snapshot,
                              sample_store.accounts.subscriptions(fresh_radar.id), sample_store.feedback.all(user))
    assert not reader.stale and reader.scores.linear is not None and reader.scores.fold_sparse is None
    trained = feed.next(fresh_radar, period="all")
    assert sum(any(c.startswith("astro-ph") for c in card.work.paper.categories) for card in trained.cards) >= 7
    assert train_radar(sample_store, feed.matrix, feed.ranking, fresh_radar.id, embedder=None) is None  # up to date


def test_a_new_process_ranks_from_stored_features_and_models(sample_store: Store, fresh_radar: Radar) -> None:
    first = FeedService(sample_store, FeedSettings())
    follow(sample_store, fresh_radar.id, "keyword", "black hole")
    radar = sample_store.accounts.get_radar(fresh_radar.id)
    train_radar(sample_store, first.matrix, first.ranking, radar.id, embedder=None)
    before = [r.work_id for r in first.ranked(radar, first._period("all"), set(), 20)]
    second = FeedService(sample_store, FeedSettings())  # cold: maps the matrix file, reads the stored model
    assert [r.work_id for r in second.ranked(radar, second._period("all"), set(), 20)] == before
    assert second.matrix.current().size == sample_store.works.count()
