"""Recognising one work across sources when no identifier links them: title + first author.

A preprint and its journal version usually share an id (arXiv's journal DOI, Crossref's
`has-preprint` relation, OpenAlex locations); when they do not, their folded titles are
compared, but only between records whose first authors share a family name and whose
identifiers do not contradict each other (two different DOIs, arXiv ids or PMIDs are two
works). The threshold was chosen on a labelled set of real title pairs, see
`tests/test_dedupe.py` and `tools/build_title_pairs.py`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from academichub.keys import title_key
from academichub.model import Paper
from academichub.storage.work_writes import TitleMatch, first_author_key

# Normalised Indel similarity (rapidfuzz ratio / 100) at or above which two titles by the same
# first author are one work. On tests/data/dedupe/title_pairs.jsonl (320 real title pairs of
# one arXiv paper across versions, 1,500 hardest pairs of different papers by the same first
# author) 0.95 keeps precision at 1.0 and recall at 96.9%; 0.90 let 7 different papers through
# ("… for DNA screening" / "… for genetic screening"). See tests/test_dedupe.py.
TITLE_SIMILARITY = 0.95
# Parts of a series and numbered releases ("… II" / "… III", "Gemma 3" / "Gemma 4") differ in
# one token of otherwise equal titles: a differing number or roman numeral means two works.
_NUMBERING = re.compile(r"^(?:\w*\d\w*|(?=[ivxlc]+$)(?:x{0,3})(?:ix|iv|v?i{0,3}))$")
# Notices about a work ("Erratum: …", "Retraction: …", "Comment on …", "Reply to …") repeat its
# title, often with its authors: past about 90 letters the title alone scored above the threshold
# and an erratum was merged into the paper it corrects. A notice word in one title and not the
# other means two works (none of the 320 labelled revision pairs differs by one).
_NOTICE_WORDS = frozenset({
    "erratum", "errata", "corrigendum", "corrigenda", "correction", "corrections", "retraction",
    "retracted", "withdrawn", "withdrawal", "comment", "comments", "reply", "response", "addendum",
    "concern", "rebuttal"})
MIN_WORDS = 4  # shorter titles ("Reply", "Editorial", "Erratum to …") are too ambiguous to match


def title_similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """Similarity of two title keys in [0, 1]; 0 when they differ in a part or version number or a
    notice word, or score below `cutoff` (then the words are not compared: most pairs stop here)."""
    similarity = fuzz.ratio(a, b, score_cutoff=cutoff * 100) / 100.0
    if not similarity:
        return 0.0
    mine, theirs = Counter(a.split()), Counter(b.split())
    differing = (mine - theirs) + (theirs - mine)  # counted: "Correction to: … error correction …"
    if differing.keys() & _NOTICE_WORDS or any(_NUMBERING.match(token) for token in differing):
        return 0.0
    # A short symbol that differs on both sides names another object ("ΔU rings", "UQ rings"):
    # once formulas are keyed as text, two such titles score like one title spelled twice.
    ours, others = [t for t in mine - theirs if len(t) <= 3], [t for t in theirs - mine if len(t) <= 3]
    if ours and others and any(not t.isascii() or not t.isalpha() for t in ours + others):  # not "of"/"in"
        return 0.0
    return similarity


def _contradicts(paper: Paper, match: TitleMatch) -> bool:
    return any(mine and theirs and mine != theirs for mine, theirs in (
        (paper.arxiv_id, match.arxiv_id), (paper.doi, match.doi), (paper.pmid, match.pmid)))


def score(paper: Paper, key: str, family: str, match: TitleMatch) -> float:
    """How well a stored work matches `paper` by title (0 when it must not be merged)."""
    if len(key.split()) < MIN_WORDS or _contradicts(paper, match):
        return 0.0
    if family and match.first_author_key and family != match.first_author_key:
        return 0.0
    if key == match.title_key:
        return 1.0
    if not (family and match.first_author_key):  # fuzzy matching needs the author evidence
        return 0.0
    return title_similarity(key, match.title_key, TITLE_SIMILARITY)


class TitleIndex:
    """Candidate works by title key and by first author's family name."""

    def __init__(self, matches: list[TitleMatch] = ()) -> None:  # type: ignore[assignment]
        self._by_key: dict[str, list[TitleMatch]] = defaultdict(list)
        self._by_family: dict[str, list[TitleMatch]] = defaultdict(list)
        for match in matches:
            self.add(match)

    def add(self, match: TitleMatch) -> None:
        """Make a work findable."""
        self._by_key[match.title_key].append(match)
        if match.first_author_key:
            self._by_family[match.first_author_key].append(match)

    def plausible(self, papers: Iterable[Paper]) -> list[TitleMatch]:
        """The works some of `papers` could be merged with by title: the same title key, or the same
        first author's family and a title at the threshold. A journal's batch asks for every stored
        work of its authors' families (hundreds each for Wang, Li or Zhang), and each was loaded
        whole and compared in Python: 2,000 journal records took 27 s against 51,698 works."""
        kept: dict[int, TitleMatch] = {}
        for paper in papers:
            key, family = title_key(paper.title), first_author_key(paper)
            if len(key.split()) < MIN_WORDS:
                continue
            kept.update((m.id, m) for m in self._by_key.get(key, ()))
            bucket = self._by_family.get(family, ()) if family else ()
            if bucket:  # one C loop over the family's titles; the few at the threshold are scored in full later
                near = process.extract(key, [m.title_key for m in bucket], scorer=fuzz.ratio,
                                       score_cutoff=TITLE_SIMILARITY * 100, limit=None)
                kept.update((bucket[index].id, bucket[index]) for _title, _score, index in near)
        return list(kept.values())

    def best(self, paper: Paper) -> TitleMatch | None:
        """The most similar acceptable candidate for `paper`, or None."""
        key, family = title_key(paper.title), first_author_key(paper)
        if len(key.split()) < MIN_WORDS:
            return None
        mine = paper.arxiv_id
        # Another arXiv id is another work: a bulk arXiv file's many papers by one family name are
        # passed over without scoring their titles.
        candidates = {m.id: m for m in (*self._by_key.get(key, ()), *self._by_family.get(family, ()))
                      if not (mine and m.arxiv_id and m.arxiv_id != mine)}
        scored = [(score(paper, key, family, m), m.id, m) for m in candidates.values()]
        scored = [s for s in scored if s[0] > 0]
        return max(scored)[2] if scored else None
