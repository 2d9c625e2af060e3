"""Benchmark: the feed request (rank + 换一批) for a reader with a 1,000-paper library over a
50,000-paper window, on SQLite with the default embedding model.

    .venv/bin/python bench/feed_learning.py [--home /tmp/ah-bench-feed] [--corpus PATH] [--rounds 20]

Loads the shared 51,698-paper corpus into a store (kept in --home and reused by later runs),
embeds it, imports the first 1,000 entries of a real researcher's .bib, then times:
- cold: the first feed of a process with no window cached (TF-IDF fit, vectors, model);
- restart: a new process-level service whose window comes from the data directory's cache;
- next: 换一批 with the reader's model cached (p50/p95 over --rounds requests);
- like+next: a like, then 换一批, which retrains the per-user model on the request (p50/p95).
Writes bench/results/feed_learning.json.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from figures import save  # bench/figures.py (the script's own directory is on sys.path)

from academichub.embedding.base import make_embedder
from academichub.ingest.pipeline import ingest
from academichub.library.importer import READERS, import_items, read_library_file
from academichub.radar import feedback
from academichub.radar.feed import FeedService
from academichub.settings import load_settings
from academichub.sources.formats import read_items
from academichub.storage.store import Store
from academichub.worker import jobs

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CORPUS = SHARED / "arxiv" / "papers.jsonl.gz"
LIBRARY = SHARED / "library" / "bibtex" / "researcher_library_1436-2.bib"
LIBRARY_SIZE = 1000


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of a list of timings."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(call) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/ah-bench-feed"))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rounds", type=int, default=20)
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
        fmt, text = read_library_file(LIBRARY)
        entries = READERS[fmt](text)[:LIBRARY_SIZE]
        seconds, report = timed(lambda: import_items(store, embedder, user.id, entries, source=LIBRARY.name, fmt=fmt))
        print(f"library: {report.imported} items ({sum(report.matched.values())} matched in the corpus) in {seconds:.1f} s")

        service = FeedService.for_settings(store, settings, embedder=embedder)
        cold, page = timed(lambda: service.current(radar, period="all"))
        window = len(store.works.ids_in_window(page.period.start, page.period.end))
        print(f"window {window} papers; cold feed {cold:.2f} s; first titles:")
        for card in page.cards[:5]:
            print(f"  - {card.work.paper.title[:100]}")
        restart, _ = timed(lambda: FeedService.for_settings(store, settings, embedder=embedder).next(radar))
        nexts = [timed(lambda: service.next(radar))[0] for _ in range(args.rounds)]
        retrains = []
        for _ in range(args.rounds):
            shown = service.current(radar).cards
            feedback.give(store, user.id, shown[0].work.public_id, "like")
            retrains.append(timed(lambda: service.next(radar))[0])

    result = {"window_papers": window, "library_items": report.imported, "library_matched": sum(report.matched.values()),
              "embedded_now": embedded, "cold_seconds": round(cold, 3), "restart_seconds": round(restart, 3),
              "next_p50": round(statistics.median(nexts), 3), "next_p95": round(percentile(nexts, 0.95), 3),
              "like_next_p50": round(statistics.median(retrains), 3),
              "like_next_p95": round(percentile(retrains, 0.95), 3), "rounds": args.rounds,
              "embedding": embedder.tag, "machine": platform.platform()}
    print(f"换一批: p50 {result['next_p50'] * 1000:.0f} ms, p95 {result['next_p95'] * 1000:.0f} ms; "
          f"like then 换一批 (retrain): p50 {result['like_next_p50'] * 1000:.0f} ms, "
          f"p95 {result['like_next_p95'] * 1000:.0f} ms; restart (window from disk cache) {restart:.2f} s")
    save("feed_learning", result)


if __name__ == "__main__":
    main()
