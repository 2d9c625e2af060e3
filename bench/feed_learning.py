"""Benchmark: the feed request for a reader with a 1,000-paper library over the 51,698-paper window,
side by side with arxiv-sanity-lite's per-request SVM over the same corpus and library.

    .venv/bin/python bench/feed_learning.py [--home /tmp/ah-bench-feed] [--corpus PATH] [--rounds 30]

Loads the shared corpus into a SQLite store (kept in --home and reused), embeds it, and exports
1,000 of its cs.CL papers as a BibTeX library that the importer must match back to stored works
(asserted). Then, with the background trainer a web process runs, it times:
- restart: the first feed of a new process (the matrix file mapped, the stored model read);
- next: 换一批 (p50/p95 over --rounds), the window asserted to hold every stored paper;
- like+next: a like, then 换一批, without waiting for the retrain (p50/p95), and checks that the
  like changed the ranking;
- period switch: the current batch re-ranked for another period;
- asl: arxiv-sanity-lite's svm_rank as its serve.py does on every request (its compute.py TF-IDF
  settings, LinearSVC C=0.01 fitted over every paper, then decision_function and a sort), written
  here from its published recipe; the ratio of its p50 to ours is printed.
Writes bench/results/feed_learning.json.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from figures import save  # bench/figures.py (the script's own directory is on sys.path)

from academichub import compose
from academichub.embedding.base import make_embedder
from academichub.export.citations import to_bibtex
from academichub.ingest.pipeline import ingest
from academichub.library.importer import import_file
from academichub.radar import feedback
from academichub.settings import load_settings
from academichub.sources.formats import read_items
from academichub.storage.store import Store
from academichub.worker import jobs

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"
LIBRARY_SIZE = 1000


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of a list of timings."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(call) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def library_file(store: Store, folder: Path) -> Path:
    """1,000 stored cs.CL papers as a BibTeX file, as a researcher's export would hold them."""
    ids = store.works.ids_in_categories(["cs.cl"])  # ascending already
    chosen = np.random.default_rng(7).choice(ids, LIBRARY_SIZE, replace=False).tolist()
    path = folder / "library.bib"
    path.write_text(to_bibtex(store.works.get_many(chosen)))
    return path


def asl_svm_rank(texts: list[str], positives: np.ndarray, rounds: int) -> list[float]:
    """arxiv-sanity-lite's per-request ranking: fit a LinearSVC over every paper, score all, sort."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
                                 lowercase=True, analyzer="word", stop_words="english",
                                 token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
                                 max_features=20000, norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True,
                                 max_df=0.1, min_df=5)
    x = vectorizer.fit_transform(texts).astype(np.float32)  # compute.py, once
    y = np.zeros(x.shape[0])
    y[positives] = 1
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        clf = LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
        clf.fit(x, y)
        scores = clf.decision_function(x)
        np.argsort(-scores)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:  # noqa: PLR0915 - one measured story, top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/ah-bench-feed"))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--asl-rounds", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings(args.home, schedule={"enabled": False})
    embedder = make_embedder(settings.embedding)
    with Store.open(settings) as store:
        if store.works.count() < 50_000:
            print(f"loading {args.corpus} …", flush=True)
            ingest(store, read_items(args.corpus)[1], source="arxiv")
        embedded = jobs.embed_new(store, settings, embedder=embedder)
        user = store.accounts.create_user(f"bench-{int(time.time())}", "Bench reader")
        radar = store.accounts.default_radar(user.id)
        with tempfile.TemporaryDirectory() as tmp:
            report = import_file(store, embedder, user.id, library_file(store, Path(tmp)))
        matched = sum(report.matched.values())
        assert matched >= 0.99 * LIBRARY_SIZE, f"the library matched only {matched} stored papers"
        library_ids = [row.work_id for row in store.library.items(user.id) if row.work_id is not None]
        print(f"library: {report.imported} items, {matched} matched to stored works", flush=True)

        services = compose.build(settings, store=store, embedder=embedder)
        service, trainer = services.feed, services.trainer
        first, page = timed(lambda: service.current(radar, period="all"))
        trained = trainer.wait_idle(600)
        snapshot = service.matrix.current()
        window_ids, _ = store.works.window(page.period.start, page.period.end)
        window = len(window_ids)
        assert window == store.works.count() == snapshot.size, (window, snapshot.size)
        model = store.reader_models.get(radar.id)
        print(f"window {window} papers; first feed before any model {first:.2f} s; model {model.mode} "
              f"trained in the background in {model.seconds:.1f} s ({trained})", flush=True)

        restart_service = compose.build(settings, store=store, embedder=embedder).feed
        restart, page = timed(lambda: restart_service.next(radar, period="all"))
        titles = [c.work.paper.title[:90] for c in page.cards[:5]]
        nexts = [timed(lambda: service.next(radar, period="all"))[0] for _ in range(args.rounds)]
        likes, changed = [], 0
        period = service._period("all")
        for _ in range(args.rounds):
            shown = service.current(radar, period="all").cards
            seen = service.seen.of(radar.id)
            before = [r.work_id for r in service.ranked(radar, period, seen, 10)]
            feedback.give(store, user.id, shown[-1].work.public_id, "like")
            after = [r.work_id for r in service.ranked(radar, period, seen, 10)]
            changed += before != after
            likes.append(timed(lambda: service.next(radar, period="all"))[0])
        switches = []
        for spec in ("week", "month", "all", "recent") * 3:
            switches.append(timed(lambda spec=spec: service.current(radar, period=spec))[0])
        trainer.wait_idle(600)

        corpus = store.works.texts(window_ids.tolist())
        ids = np.array([i for i, _ in corpus])
        texts = [t for _, t in corpus]
    positives = np.flatnonzero(np.isin(ids, library_ids))
    print(f"arxiv-sanity-lite svm_rank over {len(texts)} papers, {len(positives)} positives …", flush=True)
    asl = asl_svm_rank(texts, positives, args.asl_rounds)

    result = {"window_papers": window, "library_items": report.imported, "library_matched": matched,
              "embedded_now": embedded, "embedding": embedder.tag, "model": model.mode,
              "train_seconds": round(model.seconds, 2), "first_feed_without_model_seconds": round(first, 3),
              "restart_seconds": round(restart, 3),
              "next_p50_ms": round(1000 * statistics.median(nexts), 1),
              "next_p95_ms": round(1000 * percentile(nexts, 0.95), 1),
              "like_next_p50_ms": round(1000 * statistics.median(likes), 1),
              "like_next_p95_ms": round(1000 * percentile(likes, 0.95), 1),
              "likes_that_changed_the_ranking": f"{changed}/{args.rounds}",
              "period_switch_p50_ms": round(1000 * statistics.median(switches), 1),
              "period_switch_max_ms": round(1000 * max(switches), 1),
              "asl_svm_rank_p50_seconds": round(statistics.median(asl), 3),
              "speedup_vs_asl": round(statistics.median(asl) / statistics.median(nexts), 1),
              "rounds": args.rounds, "first_titles": titles}
    print(f"换一批 p50 {result['next_p50_ms']} ms, p95 {result['next_p95_ms']} ms; like then 换一批 "
          f"p50 {result['like_next_p50_ms']} ms, p95 {result['like_next_p95_ms']} ms (ranking changed "
          f"{changed}/{args.rounds}); restart {restart:.3f} s; period switch p50 {result['period_switch_p50_ms']} ms, "
          f"max {result['period_switch_max_ms']} ms; arxiv-sanity-lite svm_rank p50 {statistics.median(asl):.2f} s "
          f"= {result['speedup_vs_asl']}× our 换一批")
    save("feed_learning", result)


if __name__ == "__main__":
    main()
