"""Benchmark: embed 10,000 real abstracts (title + abstract) and print abstracts per second.

    .venv/bin/python bench/embed.py [--model wordllama|minilm] [--count 10000] [--corpus PATH]

Texts come from the shared arXiv corpus (the bundled sample, repeated with a counter, when the
corpus is absent). The model is loaded first and timed apart; the figure is the steady rate of
`Embedder.embed` in the configured batch size, as the after-ingest job calls it. Writes
bench/results/embed-<model>.json.
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

from academichub.embedding.base import make_embedder, work_text
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="wordllama", choices=["wordllama", "minilm"])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
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
