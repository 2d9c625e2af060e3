"""Dense views learned from a split's own history: candidates for the ranker's dense view.

- `lsa`: a truncated SVD of the history's TF-IDF rows (latent semantic analysis).
- `coauthor`: a truncated SVD of author profiles, each author's earlier papers' TF-IDF rows
  summed, so that its directions are the term combinations one researcher's papers share. It is
  learned from who wrote what before the cut-off; a candidate is projected from its words alone,
  so the content-only protocols stay content only.

Both are term maps (terms × dimensions): a paper's vector is its TF-IDF row times the map,
normalised, which costs one sparse product per paper once the map is fitted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import randomized_svd

VIEWS = ("lsa", "coauthor")
DIMENSIONS = 256  # 512 gained 0.5% beside the SVM (4% alone) on the author tasks of one tuning cut-off, at twice the cost
MAX_AUTHORS = 20  # papers with more authors (consortia) say little about what any one of them writes
SEED = 0


def _coauthor_rows(rows: sp.csr_matrix, authors: Sequence[frozenset[str]]) -> sp.csr_matrix:
    """One L2-normalised row per author with two or more papers: the sum of their papers' rows."""
    papers_of: dict[str, list[int]] = defaultdict(list)
    for row, names in enumerate(authors):
        if len(names) <= MAX_AUTHORS:
            for name in names:
                papers_of[name].append(row)
    # In name order: a frozenset's order changes with each process's string hashing, and the
    # SVD's rounding with the order of its rows.
    groups = [papers_of[name] for name in sorted(papers_of) if len(papers_of[name]) >= 2]
    if not groups:
        raise ValueError("views: no author has two papers in the history; the coauthor view cannot be fitted")
    owner = np.concatenate([np.full(len(papers), i) for i, papers in enumerate(groups)])
    members = sp.csr_matrix((np.ones(len(owner), np.float32), (owner, np.concatenate(groups))),
                            shape=(len(groups), rows.shape[0]))
    return normalize(members @ rows)


def term_map(view: str, history: sp.csr_matrix, authors: Sequence[frozenset[str]],
             dimensions: int = DIMENSIONS) -> np.ndarray:
    """The (terms × dimensions) map of `view`, fitted on the history's TF-IDF rows (and authors)."""
    if view == "lsa":
        matrix = history
    elif view == "coauthor":
        matrix = _coauthor_rows(history, authors)
    else:
        raise ValueError(f"views: unknown view {view!r}; use one of {', '.join(VIEWS)}")
    k = max(1, min(dimensions, *matrix.shape))
    _, _, components = randomized_svd(matrix, k, n_iter=4, random_state=SEED)
    return components.T.astype(np.float32)


def project(rows: sp.csr_matrix, mapping: np.ndarray) -> np.ndarray:
    """Unit vectors of TF-IDF rows in a view (a row with no known term stays zero)."""
    return normalize(np.asarray(rows @ mapping, dtype=np.float32))
