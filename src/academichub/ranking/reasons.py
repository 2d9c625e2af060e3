"""Why a paper is in the feed: reasons, their weights, and the rule matches of a window as arrays.

The ranker lifts rule matches by these weights; which subscriptions a paper matches is the
radar's business (radar/rules.py), so this module imports nothing of radar or search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from academichub.tfidf import words, written_together

# Weights order the feed: a followed author outranks a keyword, which outranks a category.
WEIGHTS = {"author": 4.0, "keyword": 2.0, "venue": 1.5, "category": 1.0, "author?": 1.0}
SHOWN_TERMS = 3  # shared terms a "similar" reason names


@dataclass(frozen=True)
class Reason:
    """Why a card is shown: a kind, the followed value (or a title), and optional evidence."""

    kind: str
    value: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        """Structured form for the API and the stored batch."""
        data = {"kind": self.kind, "value": self.value}
        if self.detail:
            data["detail"] = self.detail
        return data


class RuleMatches:
    """The papers a radar's rules match in a window, as arrays: a boost per paper, reasons on demand.

    Categories and venues match thousands of papers of a large window; they are kept as one sorted
    id array per subscription (no object per paper), the few author and keyword matches as lists.
    """

    def __init__(self, bulk: list[tuple[int, Reason, np.ndarray]], checked: dict[int, list[tuple[int, Reason]]]) -> None:
        self._bulk = [(position, reason, ids if _ascending(ids) else np.unique(ids)) for position, reason, ids in bulk]
        self._checked = checked
        self._last_boosts: tuple[np.ndarray, np.ndarray] | None = None
        bulk_ids = [ids for _, _, ids in self._bulk if len(ids)]
        if len(bulk_ids) == 1 and not checked:  # one followed field: its ids as they are (ascending now)
            self.ids = bulk_ids[0]
        else:
            self.ids = np.unique(np.concatenate([*bulk_ids, np.fromiter(checked, dtype=np.int64, count=len(checked))]))
        self.scores = np.zeros(len(self.ids))
        for _, reason, ids in self._bulk:
            self.scores[np.searchsorted(self.ids, ids)] += WEIGHTS[reason.kind]
        for work_id, pairs in checked.items():
            self.scores[np.searchsorted(self.ids, work_id)] += rule_score([r for _, r in pairs])

    @classmethod
    def empty(cls) -> RuleMatches:
        """No rule matches anything."""
        return cls([], {})

    def __len__(self) -> int:
        return len(self.ids)

    def reasons(self, work_id: int) -> list[Reason]:
        """The rules this paper matches, as RuleSet.match orders them (strongest, then as followed)."""
        pairs = list(self._checked.get(work_id, []))
        for position, reason, ids in self._bulk:
            at = np.searchsorted(ids, work_id)
            if at < len(ids) and ids[at] == work_id:
                pairs.append((position, reason))
        return [r for _, r in sorted(pairs, key=lambda p: (-WEIGHTS[p[1].kind], p[0]))]

    def boosts(self, ids: np.ndarray) -> np.ndarray:
        """The summed rule weights of these papers (0 where no rule matches); asked again for the same
        array (a kept window), the same answer without searching again."""
        last = self._last_boosts
        if last is not None and last[0] is ids:
            return last[1]
        boost = self._boosts(ids)
        boost.flags.writeable = False  # shared by every ranking of the window
        self._last_boosts = (ids, boost)
        return boost

    def _boosts(self, ids: np.ndarray) -> np.ndarray:
        boost = np.zeros(len(ids))
        if len(self.ids):
            at = np.clip(np.searchsorted(self.ids, ids), 0, len(self.ids) - 1)
            hit = self.ids[at] == ids
            boost[hit] = self.scores[at[hit]]
        return boost

    def as_dict(self) -> dict[int, list[Reason]]:
        """Every matched paper with its reasons (for checks; a large window makes this slow)."""
        return {int(work_id): self.reasons(int(work_id)) for work_id in self.ids}


def as_written(reasons: list[Reason], text: str) -> list[Reason]:
    """The reasons with each "similar" one keeping only the terms its paper writes as they read
    ("on video, temporal, fails capture" was shown for a paper that "fails to capture"); a
    "similar" reason left with no term goes."""
    if not any(r.kind == "similar" for r in reasons):
        return reasons
    text_words = words(text)
    kept = []
    for reason in reasons:
        if reason.kind == "similar":
            terms = distinct_terms([t for t in reason.value.split(", ") if written_together(t, text_words)])
            if not terms:
                continue
            reason = Reason(reason.kind, ", ".join(terms), reason.detail)
        kept.append(reason)
    return kept


def distinct_terms(terms: list[str]) -> list[str]:
    """The first SHOWN_TERMS terms, best first, none inside another: a phrase takes the place of the
    words it holds ("manually annotated, annotated" and "reward, process reward" were shown)."""
    chosen: list[tuple[str, set[str]]] = []
    for term in terms:
        held = set(term.split())
        if any(held <= other for _, other in chosen):
            continue
        inside = [i for i, (_, other) in enumerate(chosen) if other <= held]
        if inside:
            chosen[inside[0]] = (term, held)
            chosen = [c for i, c in enumerate(chosen) if i not in inside[1:]]
        else:
            chosen.append((term, held))
    return [term for term, _ in chosen[:SHOWN_TERMS]]


def _ascending(ids: np.ndarray) -> bool:
    """Whether ids are already sorted and distinct (as the database's id sets are): no sort needed."""
    return bool(np.all(ids[1:] > ids[:-1]))


def rule_score(reasons: list[Reason]) -> float:
    """Sum of the weights of matched rules."""
    return sum(WEIGHTS.get(r.kind, 0.0) for r in reasons)
