"""Running the evaluation: build the tasks, embed what they need (cached), score every ranker."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from academichub.embedding.base import Embedder
from academichub.errors import InputError
from academichub.evaluation import metrics
from academichub.evaluation.protocols import (
    Corpus,
    Task,
    author_tasks,
    category_tasks,
    load_corpus,
    split,
)
from academichub.evaluation.rankers import RANKERS, SCORERS, Context
from academichub.settings import RankingSettings

Progress = Callable[[int], None]


@dataclass
class EvalConfig:
    """A documented, reproducible evaluation run."""

    corpus: Path
    cutoff: date
    end: date
    history_from: date
    author_tasks: int = 150
    category_tasks: int = 20
    library_size: int = 30
    negatives: int = RankingSettings().negatives
    seed: int = 7


@dataclass
class EvalResult:
    """Mean metrics per protocol and ranker, and how the run was made."""

    config: EvalConfig
    tasks: dict[str, int]
    table: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    seconds: float = 0.0
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form of the result."""
        return {"corpus": str(self.config.corpus), "cutoff": self.config.cutoff.isoformat(),
                "end": self.config.end.isoformat(), "history_from": self.config.history_from.isoformat(),
                "seed": self.config.seed, "embedding": self.model, "tasks": self.tasks, "results": self.table,
                "seconds": round(self.seconds, 1)}


def embed_rows(corpus: Corpus, rows: list[int], embedder: Embedder, cache_dir: Path | None) -> np.ndarray:
    """A (len(corpus), dim) matrix with the given rows embedded, cached per corpus and model."""
    cache = None
    if cache_dir is not None:
        digest = hashlib.sha1(f"{embedder.tag}|{len(corpus.ids)}|{corpus.ids[0]}|{corpus.ids[-1]}".encode())
        cache = cache_dir / f"corpus-{digest.hexdigest()[:16]}.npy"
    matrix = np.load(cache) if cache is not None and cache.exists() else None
    missing = [r for r in rows if matrix is None or not np.any(matrix[r])]
    if missing:
        vectors = embedder.embed(corpus_texts(corpus, missing))
        if matrix is None:
            matrix = np.zeros((len(corpus.ids), vectors.shape[1]), dtype=np.float32)
        matrix[missing] = vectors
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, matrix)
    return matrix


def corpus_texts(corpus: Corpus, rows: list[int]) -> list[str]:
    """What is embedded of corpus rows."""
    return [f"{corpus.titles[r]}. {corpus.abstracts[r]}" for r in rows]


def build_tasks(corpus: Corpus, config: EvalConfig) -> tuple[list[int], list[int], list[Task]]:
    """The split and the tasks of both protocols."""
    history, candidates = split(corpus, config.cutoff, config.end, config.history_from)
    tasks = author_tasks(corpus, history, candidates, count=config.author_tasks, seed=config.seed)
    tasks += category_tasks(corpus, history, candidates, count=config.category_tasks, seed=config.seed,
                            library_size=config.library_size)
    return history, candidates, tasks


def evaluate(config: EvalConfig, embedder: Embedder, *, cache_dir: Path | None = None,
             progress: Progress | None = None) -> EvalResult:
    """Run every ranker on every task; report nDCG@10, recall@50 and MRR per protocol."""
    started = time.perf_counter()
    corpus = load_corpus(config.corpus)
    history, candidates, tasks = build_tasks(corpus, config)
    if not tasks:  # an empty table would read as a result
        raise InputError(f"eval: no task in {config.corpus.name}: {len(history)} papers from {config.history_from} "
                         f"before the cut-off {config.cutoff}, {len(candidates)} from it until {config.end}; "
                         "choose dates the corpus covers")
    negatives = random.Random(config.seed).sample(history, min(config.negatives, len(history)))
    needed = sorted(set(candidates) | set(negatives) | {r for t in tasks for r in t.library})
    vectors = embed_rows(corpus, needed, embedder, cache_dir)
    context = Context(corpus, history, candidates, vectors, config.cutoff, negatives)
    row_of = {row: position for position, row in enumerate(candidates)}
    scores: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for task in tasks:
        relevant = {row_of[r] for r in task.relevant}
        for ranker in RANKERS:
            s = SCORERS[ranker](context, task.library)
            scores.setdefault((task.protocol, ranker), []).append(
                (metrics.ndcg_at(s, relevant, 10), metrics.recall_at(s, relevant, 50),
                 metrics.reciprocal_rank(s, relevant)))
        if progress:
            progress(1)
    result = EvalResult(config, {p: sum(1 for t in tasks if t.protocol == p) for p in ("author", "category")},
                        model=embedder.tag)
    for (protocol, ranker), values in scores.items():
        mean = np.mean(np.array(values), axis=0)
        result.table.setdefault(protocol, {})[ranker] = {"ndcg@10": round(float(mean[0]), 4),
                                                         "recall@50": round(float(mean[1]), 4),
                                                         "mrr": round(float(mean[2]), 4)}
    result.seconds = time.perf_counter() - started
    return result
