"""Benchmark: parse and parse+store throughput per source format, on the recorded responses.

    .venv/bin/python bench/ingest_formats.py [--corpus ../shared/data/arxiv/papers.jsonl.gz]

For every format, the recorded files under tests/data are parsed repeatedly (parse only), then
ingested into fresh SQLite stores (parse, sanitise, merge, insert, index), and records per
second are printed and written to bench/results/ingest_formats.json. With --corpus the
51,698-paper corpus is parsed too (its store figure is bench/ingest_corpus.py's).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from academichub.ingest.pipeline import ingest
from academichub.settings import load_settings
from academichub.sources.formats import detect_format, format_names, format_source, read_items
from academichub.storage.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
MIN_SECONDS = 1.5


def files_by_format() -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".json", ".gz", ".jsonl") and "dedupe" not in path.parts:
            try:
                fmt = detect_format(path)
                items = list(read_items(path, fmt)[1])
            except Exception:  # error documents (OAI errors, esearch) carry no records
                continue
            if items:
                found[fmt].append(path)
    return found


def parse_rate(paths: list[Path], fmt: str) -> tuple[int, float]:
    records, started, rounds = 0, time.perf_counter(), 0
    while rounds == 0 or time.perf_counter() - started < MIN_SECONDS:
        for path in paths:
            records += len(list(read_items(path, fmt)[1]))
        rounds += 1
    return records, records / (time.perf_counter() - started)


def store_rate(paths: list[Path], fmt: str) -> tuple[int, float]:
    records, seconds, rounds = 0, 0.0, 0
    while rounds == 0 or seconds < MIN_SECONDS:
        with tempfile.TemporaryDirectory() as tmp, Store.open(load_settings(Path(tmp) / "home")) as store:
            started = time.perf_counter()
            for path in paths:
                report = ingest(store, read_items(path, fmt)[1], source=format_source(fmt))
                records += report.fetched
            seconds += time.perf_counter() - started
        rounds += 1
    return records, records / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "ingest_formats.json")
    args = parser.parse_args()
    results = {}
    print(f"{'format':20} {'files':>5} {'records':>8} {'parse rec/s':>12} {'parse+store rec/s':>18}")
    for fmt, paths in sorted(files_by_format().items(), key=lambda kv: format_names().index(kv[0])):
        per_round = sum(len(list(read_items(p, fmt)[1])) for p in paths)
        _, parse = parse_rate(paths, fmt)
        _, store = store_rate(paths, fmt)
        results[fmt] = {"files": len(paths), "records": per_round, "parse_per_second": round(parse),
                        "parse_and_store_per_second": round(store)}
        print(f"{fmt:20} {len(paths):5} {per_round:8} {parse:12.0f} {store:18.0f}")
    if args.corpus:
        started = time.perf_counter()
        count = sum(1 for _ in read_items(args.corpus, "arxiv-jsonl")[1])
        rate = count / (time.perf_counter() - started)
        results["corpus (arxiv-jsonl)"] = {"records": count, "parse_per_second": round(rate)}
        print(f"{'corpus':20} {1:5} {count:8} {rate:12.0f} {'(ingest_corpus.py)':>18}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"figures in {args.json}")


if __name__ == "__main__":
    main()
