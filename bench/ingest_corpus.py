"""Benchmark: ingest the whole shared arXiv corpus into a fresh SQLite store, then again.

    .venv/bin/python bench/ingest_corpus.py [CORPUS] [--json bench/results/ingest_corpus.json]

Prints papers per second for the first load (parse, sanitise, merge, insert, index) and for
the re-run, which must add nothing; writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from academichub.ingest.pipeline import ingest
from academichub.settings import load_settings
from academichub.sources.formats import read_items
from academichub.storage.store import Store

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv" / "papers.jsonl.gz"


def run(corpus: Path, home: Path) -> dict:
    settings = load_settings(home, schedule={"enabled": False})
    results = {}
    with Store.open(settings) as store:
        for label in ("first_load", "rerun"):
            started = time.perf_counter()
            _fmt, items = read_items(corpus)
            report = ingest(store, items, source="arxiv")
            seconds = time.perf_counter() - started
            results[label] = {**report.to_json(), "wall_seconds": round(seconds, 2),
                              "papers_per_second": round(report.fetched / seconds, 1)}
            print(f"{label:10} {report.fetched} records in {seconds:6.1f} s = "
                  f"{report.fetched / seconds:7.0f} papers/s (new {report.new}, updated {report.updated}, "
                  f"unchanged {report.unchanged}, rejected {report.rejected})")
        results["works"] = store.works.count()
        results["indexed"] = store.index.count()
    db = home / "academichub.db"
    results["database_mb"] = round(db.stat().st_size / 1e6, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "ingest_corpus.json")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"bench: corpus not found: {args.corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.corpus, Path(tmp) / "home")
    ok = results["rerun"]["new"] == 0 and results["rerun"]["updated"] == 0 and results["works"] == results["indexed"]
    results.update(corpus=str(args.corpus), machine=platform.platform(), python=platform.python_version(),
                   rerun_added_nothing=ok)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"works {results['works']}, indexed {results['indexed']}, database {results['database_mb']} MB; "
          f"re-run added nothing: {ok}; figures in {args.json}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
