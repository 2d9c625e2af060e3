"""Benchmark: embed 10,000 real abstracts (title + abstract) and print abstracts per second.

    .venv/bin/python bench/embed.py [--model wordllama|minilm|lsa|coauthor] [--count 10000] [--corpus PATH]

Texts come from the shared arXiv corpus (the bundled sample, repeated with a counter, when the
corpus is absent). The model is loaded first and timed apart; the figure is the steady rate of
`Embedder.embed` in the configured batch size, as the after-ingest job calls it. Writes
bench/results/embed-<model>.json.

The learned views (`lsa`, `coauthor`: evaluation.views) are fitted, not loaded: the vocabulary
and the term map are fitted on the corpus's first `--history` works (timed apart, as a scheduled
refit would be), then the next `--count` works are embedded: their TF-IDF rows (which ingest
computes anyway) and the projection, both timed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import time
from itertools import islice
from pathlib import Path

import numpy as np
from figures import save  # bench/figures.py (the script's own directory is on sys.path)

from academichub import tfidf
from academichub.embedding.base import make_embedder, work_text
from academichub.evaluation.protocols import load_corpus
from academichub.evaluation.views import VIEWS, project, term_map
from academichub.settings import EmbeddingSettings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"
SAMPLE = ROOT / "src" / "academichub" / "data" / "sample" / "arxiv-sample.jsonl.gz"


def texts(corpus: Path, count: int) -> list[str]:
    """`count` title + abstract texts, read in file order."""
    path = corpus if corpus.exists() else SAMPLE
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        found = [work_text(r["title"], r.get("abstract") or "") for r in map(json.loads, islice(handle, count))]
    round_ = 1
    while len(found) < count:  # only on the small sample: vary the text so no cache can help
        found += [f"{t} ({round_})" for t in found[: count - len(found)]]
        round_ += 1
    return found


def learned_view(view: str, corpus_path: Path, history: int, count: int) -> None:
    """Fit a learned view on `history` works, then embed the next `count` and print the rates."""
    corpus = load_corpus(corpus_path if corpus_path.exists() else SAMPLE)
    if len(corpus.ids) < history + count:
        raise SystemExit(f"embed: the corpus has {len(corpus.ids)} works; --history plus --count must not exceed it")
    texts_ = corpus.texts
    started = time.perf_counter()
    terms, idf, rows = tfidf.fit_transform(texts_[:history])  # one tokenisation for the vocabulary and its rows
    vectorizer = tfidf.Vectorizer(terms, idf)
    mapping = term_map(view, rows, corpus.authors[:history])
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    day = tfidf.transform(vectorizer, texts_[history: history + count])
    transform_seconds = time.perf_counter() - started
    started = time.perf_counter()
    vectors = project(day, mapping)
    project_seconds = time.perf_counter() - started
    assert vectors.shape == (count, mapping.shape[1])  # every work of the day got a vector
    seconds = transform_seconds + project_seconds
    result = {"model": view, "history": history, "abstracts": count, "dimensions": int(mapping.shape[1]),
              "fit_seconds": round(fit_seconds, 2), "transform_seconds": round(transform_seconds, 2),
              "project_seconds": round(project_seconds, 3), "seconds": round(seconds, 2),
              "abstracts_per_second": round(count / seconds, 1),
              "unit_norm_share": round(float(np.mean(np.isclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3))), 4)}
    print(f"{view}: fitted on {history} works in {fit_seconds:.1f} s; {count} abstracts in {seconds:.2f} s "
          f"({transform_seconds:.2f} s TF-IDF rows, {project_seconds:.3f} s projection) = "
          f"{result['abstracts_per_second']:.0f} abstracts/s ({result['dimensions']}-d)")
    save(f"embed-{view}", result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="wordllama", choices=["wordllama", "minilm", *VIEWS])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=20_000, help="works a learned view is fitted on")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if args.model in VIEWS:
        learned_view(args.model, args.corpus, args.history, args.count)
        return
    batch = texts(args.corpus, args.count)
    started = time.perf_counter()
    embedder = make_embedder(EmbeddingSettings(model=args.model))
    embedder.embed(batch[:8])  # loads the model and warms its tokenizer
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    vectors = embedder.embed(batch)
    seconds = time.perf_counter() - started
    norms = np.linalg.norm(vectors, axis=1)
    result = {"model": embedder.tag, "abstracts": len(batch), "dimensions": int(vectors.shape[1]),
              "load_seconds": round(load_seconds, 2), "seconds": round(seconds, 2),
              "abstracts_per_second": round(len(batch) / seconds, 1),
              "mean_characters": round(sum(map(len, batch)) / len(batch)),
              "unit_norm": bool(np.allclose(norms, 1.0, atol=1e-3)),
              "machine": platform.platform(), "cpus": __import__("os").cpu_count()}
    print(f"{embedder.tag}: {len(batch)} abstracts in {seconds:.1f} s = {result['abstracts_per_second']:.0f} "
          f"abstracts/s ({result['dimensions']}-d; model load {load_seconds:.1f} s)")
    save(f"embed-{args.model}", result)


if __name__ == "__main__":
    main()
