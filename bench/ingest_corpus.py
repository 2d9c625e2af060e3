"""Benchmark: ingest the whole shared arXiv corpus into a fresh store, then again; then embed it.

    .venv/bin/python bench/ingest_corpus.py [CORPUS] [--postgres URL] [--embed] [--journal N] [--json bench/results/ingest_corpus.json]

For a fresh SQLite store (and, with --postgres, a fresh PostgreSQL database at URL, dropped and
made again), prints works per second for the first load (parse, sanitise, merge, insert, index,
features: a vocabulary fitted on the store and every work's TF-IDF row) and for the re-run,
which must add nothing. It checks what it claims: every work stored once, indexed and
featurised. Then --journal N (2,000) journal versions of stored papers, which only title and first
author place (all must merge). With --embed, the embedding step (wordllama) over the stored works is its own figure.
Writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from academichub.ingest.pipeline import ingest
from academichub.model import Paper
from academichub.settings import load_settings
from academichub.sources.formats import read_items
from academichub.storage.schema import work_features
from academichub.storage.store import Store

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv" / "papers.jsonl.gz"


def _fresh_postgres(url: str) -> str:
    """Drop and create the database the URL names; return the URL."""
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()
    return url


def run(corpus: Path, home: Path, *, database_url: str | None = None, embed: bool = False, journal: int = 0) -> dict:
    overrides = {"database_url": database_url} if database_url else {}
    settings = load_settings(home, schedule={"enabled": False}, **overrides)
    results: dict = {"backend": "postgresql" if database_url else "sqlite"}
    with Store.open(settings) as store:
        for label in ("first_load", "rerun"):
            started = time.perf_counter()
            _fmt, items = read_items(corpus)
            report = ingest(store, items, source="arxiv")
            seconds = time.perf_counter() - started
            results[label] = {**report.to_json(), "wall_seconds": round(seconds, 2),
                              "papers_per_second": round(report.fetched / seconds, 1)}
            print(f"{results['backend']:10} {label:10} {report.fetched} records in {seconds:6.1f} s = "
                  f"{report.fetched / seconds:7.0f} papers/s (new {report.new}, updated {report.updated}, "
                  f"unchanged {report.unchanged}, rejected {report.rejected})")
        if journal:
            results["journal_versions"] = _journal_versions(store, journal)
        results["works"] = store.works.count()
        results["indexed"] = store.index.count()
        vocabulary = store.features.current_version()
        with store.engine.connect() as conn:
            results["featurised"] = conn.execute(sa.select(sa.func.count()).select_from(work_features)
                                                 .where(work_features.c.vocabulary == vocabulary)).scalar()
        if embed:
            results["embedding"] = _embed(store, settings)
    if not database_url:
        results["database_mb"] = round((home / "academichub.db").stat().st_size / 1e6, 1)
    return results


def _journal_versions(store: Store, count: int) -> dict:
    """Journal records (Crossref-like: a DOI, no arXiv id) of `count` stored papers, their titles
    punctuated differently, so each is placed by title and first author among the stored works of
    its family; all must merge into their preprints."""
    ids = random.Random(7).sample(store.works.ids(), 2 * count)  # read from the store, not parsed again
    papers = [w.paper for w in store.works.get_many(ids)
              if w.paper.authors and not w.paper.doi and len(w.paper.title.split()) >= 5]
    picked = papers[:count]
    assert len(picked) == count, f"only {len(picked)} stored papers fit"
    records = [Paper(title=p.title.rstrip(".") + "." if n % 2 else p.title.replace(":", " -"), source="crossref",
                     doi=f"10.99999/bench.{n}", authors=p.authors, venue="Journal of Benchmarks",
                     published=p.published or p.announced) for n, p in enumerate(picked)]
    before = store.works.count()
    started = time.perf_counter()
    report = ingest(store, records, source="crossref")
    seconds = time.perf_counter() - started
    print(f"journal    versions   {count} records in {seconds:6.1f} s = {count / seconds:7.0f} records/s "
          f"(merged {report.merged}, new {report.new}) against {before} stored works")
    return {"records": count, "seconds": round(seconds, 2), "records_per_second": round(count / seconds, 1),
            "merged": report.merged, "new": report.new, "stored_before": before}


def _embed(store: Store, settings) -> dict:  # type: ignore[no-untyped-def]
    from academichub.embedding.base import embedder_or_none
    from academichub.worker import embedding_job

    embedder = embedder_or_none(settings.embedding)
    started = time.perf_counter()
    done = embedding_job.embed_missing(store, embedder)
    seconds = time.perf_counter() - started
    print(f"embedding  {done} works with {embedder.tag} in {seconds:6.1f} s = {done / seconds:7.0f} works/s")
    return {"model": embedder.tag, "works": done, "seconds": round(seconds, 2),
            "works_per_second": round(done / seconds, 1)}


def _checked(results: dict) -> bool:
    journal = results.get("journal_versions")
    ok = (results["rerun"]["new"] == 0 and results["rerun"]["updated"] == 0
          and results["works"] == results["indexed"] == results["featurised"] == results["first_load"]["new"]
          and (journal is None or journal["merged"] == journal["records"] and journal["new"] == 0))
    print(f"{results['backend']}: works {results['works']}, indexed {results['indexed']}, featurised "
          f"{results['featurised']}" + (f", database {results['database_mb']} MB" if "database_mb" in results else "")
          + f"; stored once, indexed and featurised, re-run added nothing: {ok}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--postgres", metavar="URL", help="also load into this PostgreSQL database (recreated)")
    parser.add_argument("--embed", action="store_true", help="embed the stored works as well (its own figure)")
    parser.add_argument("--journal", type=int, default=2000, metavar="N",
                        help="then N journal versions of stored papers, placed by title and first author (0: skip)")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "ingest_corpus.json")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"bench: corpus not found: {args.corpus}")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        runs.append(run(args.corpus, Path(tmp) / "sqlite", embed=args.embed, journal=args.journal))
        if args.postgres:
            runs.append(run(args.corpus, Path(tmp) / "postgres", database_url=_fresh_postgres(args.postgres),
                            journal=args.journal))
    ok = all([_checked(r) for r in runs])
    output = {"corpus": str(args.corpus), "machine": platform.platform(), "python": platform.python_version(),
              "runs": runs, "checked": ok}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(output, indent=2))
    print(f"figures in {args.json}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
