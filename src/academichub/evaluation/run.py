"""Running the evaluation: build the tasks, embed what they need (cached), score every ranker."""

from __future__ import annotations

import hashlib
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from academichub.embedding.base import Embedder
from academichub.errors import InputError
from academichub.evaluation import metrics
from academichub.evaluation.protocols import (
    PROTOCOLS,
    Corpus,
    Task,
    author_tasks,
    category_tasks,
    load_corpus,
    small_library_tasks,
    split,
)
from academichub.evaluation.rankers import (
    BASELINES,
    RANKERS,
    SCORERS,
    Context,
    academichub_in,
    academichub_recency,
    academichub_weighted,
    centroid_in,
)
from academichub.scratch import beside
from academichub.settings import RankingSettings

Progress = Callable[[int], None]
log = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    """A documented, reproducible evaluation run."""

    corpus: Path
    cutoff: date
    end: date
    history_from: date
    author_tasks: int = 150
    category_tasks: int = 20
    small_tasks: int = 150
    dense_weights: tuple[float, ...] = ()  # extra runs of our model with these dense-view weights
    dense_views: tuple[str, ...] = ()  # learned views (evaluation.views) run as centroid and as our dense view
    half_lives: tuple[float, ...] = ()  # extra runs of our model with these recency half-lives (days; inf: none)
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
    per_task: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # nDCG@10 of each task, in order

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
        cache = cache_dir / f"corpus-{_texts_digest(corpus, embedder.tag)}.npy"
    matrix = _cached(cache, len(corpus.ids)) if cache is not None else None
    missing = [r for r in rows if matrix is None or not np.any(matrix[r])]
    if missing:
        vectors = embedder.embed(corpus_texts(corpus, missing))
        if matrix is None:
            matrix = np.zeros((len(corpus.ids), vectors.shape[1]), dtype=np.float32)
        matrix[missing] = vectors
        if cache is not None:
            _save(cache, matrix)
    return matrix


def _texts_digest(corpus: Corpus, tag: str) -> str:
    """The cache's name: the model and every row's embedded text, in order. Keyed on the count and
    the first and last ids, a corpus with one abstract edited (or another corpus of the same
    bounds) was ranked on the vectors of the old text."""
    digest = hashlib.blake2b(tag.encode(), digest_size=8)
    for row in range(len(corpus.ids)):
        digest.update(f"\x1e{corpus.titles[row]}\x1f{corpus.abstracts[row]}".encode())
    return digest.hexdigest()


def _cached(cache: Path, rows: int) -> np.ndarray | None:
    """The cached matrix, or None when there is none or it cannot be used (cut short by a run that
    was killed while writing it, or of another shape): it is made again, never trusted."""
    if not cache.exists():
        return None
    try:
        matrix = np.load(cache)
    except (OSError, ValueError, EOFError) as exc:
        log.warning("embedding cache %s unreadable (%s): embedding again", cache, exc)
        return None
    if matrix.ndim != 2 or matrix.shape[0] != rows:
        log.warning("embedding cache %s has shape %s, not %d rows: embedding again", cache, matrix.shape, rows)
        return None
    return matrix


def _save(cache: Path, matrix: np.ndarray) -> None:
    """Write the cache whole or not at all (a temporary file renamed into place), so that a run
    reading it meanwhile, or after this one was killed, never sees half a matrix."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = beside(cache, ".npy")  # np.save adds .npy to a name without it
    try:
        np.save(temporary, matrix)
        os.replace(temporary, cache)
    except OSError as exc:  # a full disk costs only the cache
        log.warning("embedding cache %s not written: %s", cache, exc)
        temporary.unlink(missing_ok=True)


def corpus_texts(corpus: Corpus, rows: list[int]) -> list[str]:
    """What is embedded of corpus rows."""
    return [f"{corpus.titles[r]}. {corpus.abstracts[r]}" for r in rows]


def build_tasks(corpus: Corpus, config: EvalConfig) -> tuple[list[int], list[int], list[Task]]:
    """The split and the tasks of both protocols."""
    history, candidates = split(corpus, config.cutoff, config.end, config.history_from)
    tasks = author_tasks(corpus, history, candidates, count=config.author_tasks, seed=config.seed)
    if config.small_tasks:
        tasks += small_library_tasks(corpus, history, candidates, count=config.small_tasks, seed=config.seed)
    tasks += category_tasks(corpus, history, candidates, count=config.category_tasks, seed=config.seed,
                            library_size=config.library_size)
    return history, candidates, tasks


def weighted_name(weight: float) -> str:
    """The table's name of our model run with another dense-view weight."""
    return f"academichub@dense={weight:g}"


def recency_name(half_life: float) -> str:
    """The table's name of our model fitted with another recency half-life."""
    return f"academichub@half-life={half_life:g}"


def view_names(view: str) -> tuple[str, str]:
    """The table's names of a learned view run as the centroid's vectors and as our dense view."""
    return f"centroid@{view}", f"academichub@{view}"


def protocol_mean(results: list[EvalResult], ranker: str) -> float:
    """A ranker's mean nDCG@10 over protocols of the protocol means on these runs (so the many
    author tasks do not outvote the categories)."""
    protocol_means = []
    for protocol in PROTOCOLS:
        values = [v for r in results for v in r.per_task.get((protocol, ranker), [])]
        if values:
            protocol_means.append(float(np.mean(values)))
    return round(float(np.mean(protocol_means)), 4) if protocol_means else 0.0


def best_setting(results: list[EvalResult], rankers: dict[Any, str],
                 prefer: Callable[[Any], Any]) -> tuple[Any, dict[Any, float]] | None:
    """The setting whose ranker has the best nDCG@10 on these runs (protocol_mean), and each
    setting's; ties go to the setting `prefer` ranks highest."""
    if not rankers or not results:
        return None
    by_setting = {setting: protocol_mean(results, name) for setting, name in rankers.items()}
    return max(by_setting, key=lambda s: (by_setting[s], prefer(s))), by_setting


def learned_weight(results: list[EvalResult], weights: tuple[float, ...]) -> tuple[float, dict[float, float]] | None:
    """The dense-view weight with the best nDCG@10 on these runs (ties: the smaller), and each weight's."""
    return best_setting(results, {w: weighted_name(w) for w in weights}, lambda w: -w)


def learned_half_life(results: list[EvalResult], half_lives: tuple[float, ...]) -> tuple[float, dict[float, float]] | None:
    """The recency half-life with the best nDCG@10 on these runs, and each one's; ties keep the
    longer one (the weaker assumption)."""
    return best_setting(results, {h: recency_name(h) for h in half_lives}, lambda h: h)


def best_dense_view(results: list[EvalResult], candidates: tuple[str, ...]) -> tuple[str, dict[str, float]] | None:
    """Our model's dense view with the best nDCG@10 on these runs (the embeddings or a learned
    view), and each one's; ties keep the embeddings, then the order given."""
    if not candidates:
        return None
    names = {"embeddings": "academichub", **{view: view_names(view)[1] for view in candidates}}
    order = list(names)
    return best_setting(results, names, lambda v: -order.index(v))


def tuned(results: list[EvalResult], choose: Callable[[list[EvalResult]], tuple[Any, dict[Any, float]] | None],
          label: str, key: Callable[[Any], Any] = lambda k: k) -> dict[str, Any] | None:
    """A setting `choose`n on the tuning cut-offs, with each option's mean there and on the
    held-out cut-offs (None without held-out runs); options are named by `key` in the JSON."""
    tuning = choose([r for r in results if r.config.cutoff < TUNING_BEFORE])
    if tuning is None:
        return None
    held_out = choose([r for r in results if r.config.cutoff >= TUNING_BEFORE])
    return {label: tuning[0], "tuning": {key(k): v for k, v in tuning[1].items()},
            "held_out": {key(k): v for k, v in held_out[1].items()} if held_out else None}


_corpora: dict[Path, Corpus] = {}


def _corpus(path: Path) -> Corpus:
    """A corpus read once per process (several runs of one evaluation share it)."""
    if path not in _corpora:
        _corpora[path] = load_corpus(path)
    return _corpora[path]


def evaluate(config: EvalConfig, embedder: Embedder, *, cache_dir: Path | None = None,
             progress: Progress | None = None) -> EvalResult:
    """Run every ranker on every task; report nDCG@10, recall@50 and MRR per protocol."""
    started = time.perf_counter()
    corpus = _corpus(config.corpus)
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
        runs = [(ranker, partial(SCORERS[ranker], context, task.library)) for ranker in RANKERS]
        runs += [(weighted_name(w), partial(academichub_weighted, context, task.library, w))
                 for w in config.dense_weights]
        runs += [(recency_name(h), partial(academichub_recency, context, task.library, h))
                 for h in config.half_lives]
        for view in config.dense_views:
            as_centroid, as_dense = view_names(view)
            runs += [(as_centroid, partial(centroid_in, context, task.library, view)),
                     (as_dense, partial(academichub_in, context, task.library, view))]
        for ranker, scorer in runs:
            s = scorer()
            scores.setdefault((task.protocol, ranker), []).append(
                (metrics.ndcg_at(s, relevant, 10), metrics.recall_at(s, relevant, 50),
                 metrics.reciprocal_rank(s, relevant)))
        if progress:
            progress(1)
    counts = {p: sum(1 for t in tasks if t.protocol == p) for p in PROTOCOLS}
    result = EvalResult(config, {p: n for p, n in counts.items() if n}, model=embedder.tag,
                        per_task={key: [v[0] for v in values] for key, values in scores.items()})
    for (protocol, ranker), values in scores.items():
        mean = np.mean(np.array(values), axis=0)
        result.table.setdefault(protocol, {})[ranker] = {"ndcg@10": round(float(mean[0]), 4),
                                                         "recall@50": round(float(mean[1]), 4),
                                                         "mrr": round(float(mean[2]), 4)}
    result.seconds = time.perf_counter() - started
    return result


TUNING_BEFORE = date(2026, 1, 1)  # cut-offs before this may be tuned on; later ones are held out
BOOTSTRAP = 2000


def _interval(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """95% bootstrap interval of the mean (resampling tasks, i.e. researchers or categories)."""
    if len(values) < 2:
        return float(values.mean()), float(values.mean())
    means = values[rng.integers(0, len(values), size=(BOOTSTRAP, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def summarise(results: list[EvalResult], ours: str = "academichub", seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per protocol, over every run: each ranker's mean nDCG@10 with its 95% interval, and ours
    against each baseline paired task by task (mean difference, its interval, the ratio of means).

    Tasks are pooled across cut-offs and seeds; the interval resamples them, so a protocol with
    few tasks (categories) gets the wide interval it deserves."""
    rng = np.random.default_rng(seed)
    pooled: dict[tuple[str, str], list[float]] = {}
    for result in results:
        for key, values in result.per_task.items():
            pooled.setdefault(key, []).extend(values)
    summary: dict[str, dict[str, Any]] = {}
    for protocol in PROTOCOLS:
        rankers = {r: np.array(v) for (p, r), v in pooled.items() if p == protocol}
        if ours not in rankers:
            continue
        row: dict[str, Any] = {"tasks": len(rankers[ours]), "rankers": {}, "versus": {}}
        for ranker, values in rankers.items():
            low, high = _interval(values, rng)
            row["rankers"][ranker] = {"ndcg@10": round(float(values.mean()), 4), "ci95": [round(low, 4), round(high, 4)]}
        baselines = {r: v for r, v in rankers.items() if r in BASELINES}
        for ranker, values in ((r, v) for r, v in rankers.items() if r != ours):
            low, high = _interval(rankers[ours] - values, rng)
            row["versus"][ranker] = {"difference": round(float((rankers[ours] - values).mean()), 4),
                                     "ci95": [round(low, 4), round(high, 4)],
                                     "ratio": round(float(rankers[ours].mean() / max(values.mean(), 1e-9)), 3)}
        best = max(baselines, key=lambda r: baselines[r].mean())
        row["best_baseline"] = best
        row["ratio_to_best"] = row["versus"][best]["ratio"]
        summary[protocol] = row
    return summary
