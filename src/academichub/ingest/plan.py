"""Deciding, within one write, which stored or new work each incoming record belongs to.

Identifiers decide first, in order (arXiv id, DOI, PMID, OpenAlex id, URL); two records with
different arXiv ids are never one work, even when they share a DOI. A record no identifier
places is compared by title and first author (see `dedupe`). A secondary identifier that
already belongs to another work is dropped from the newcomer, so uniqueness holds.
"""

from __future__ import annotations

from dataclasses import replace

from academichub.ingest.dedupe import TitleIndex
from academichub.ingest.merge import merge
from academichub.keys import title_key
from academichub.model import ID_KINDS, Paper
from academichub.storage.work_writes import TitleMatch, first_author_key

Owner = tuple[str, int]  # ("db", work id) or ("new", index of a pending insert)


class WorkPlan:
    """Accumulates inserts and merged updates for one batch."""

    def __init__(self, found: dict[tuple[str, str], int], stored: dict[int, tuple[Paper, list[str]]],
                 titled: list[TitleMatch]) -> None:
        self.found = found
        self.updates: dict[int, tuple[Paper, list[str]]] = {}
        self.inserts: list[tuple[Paper, list[str]]] = []
        self.merged = 0
        self._stored = stored
        self._titles = TitleIndex(titled)
        self._new_owner: dict[tuple[str, str], int] = {}

    def _owner(self, key: tuple[str, str]) -> Owner | None:
        if key in self.found:
            return ("db", self.found[key])
        if key in self._new_owner:
            return ("new", self._new_owner[key])
        return None

    def _record(self, owner: Owner) -> tuple[Paper, list[str]]:
        kind, ref = owner
        if kind == "db":
            return self.updates.get(ref) or self._stored[ref]
        return self.inserts[ref]

    def _by_id(self, paper: Paper) -> Owner | None:
        for pair in paper.all_ids():
            owner = self._owner(pair)
            if owner is None:
                continue
            other = self._record(owner)[0]
            if not (paper.arxiv_id and other.arxiv_id and paper.arxiv_id != other.arxiv_id):
                return owner
        return None

    def _by_title(self, paper: Paper) -> Owner | None:
        match = self._titles.best(paper)
        if match is None:
            return None
        return ("new", -1 - match.id) if match.id < 0 else ("db", match.id)  # pending inserts are < 0

    def _stored_record(self, owner: Owner) -> bool:
        return owner[0] == "new" or owner[1] in self._stored

    def add(self, paper: Paper) -> None:
        """Place one record: merge it into a work, or plan a new one."""
        target = self._by_id(paper) or self._by_title(paper)
        if target is not None and not self._stored_record(target):
            target = None  # a title match the batch did not load: insert rather than guess
        paper = self._without_foreign_ids(paper, target)
        if target is None:
            self.inserts.append((paper, [paper.source]))
            target = ("new", len(self.inserts) - 1)
            self._titles.add(TitleMatch(-1 - target[1], title_key(paper.title), first_author_key(paper),
                                        paper.arxiv_id, paper.doi, paper.pmid))
        else:
            current, sources = self._record(target)
            # A duplicate within the run, or a second source's record of a stored work.
            self.merged += target[0] == "new" or paper.source not in sources
            record, sources = merge(current, paper), sorted({*sources, paper.source})
            # A stored work loads with its first source as the record's: written so, its digest is
            # the digest of what is read back (it differed once after a merge, a write more).
            record.source = sources[0]
            merged = (record, sources)
            if target[0] == "db":
                self.updates[target[1]] = merged
            else:
                self.inserts[target[1]] = merged
        if target[0] == "new":
            for pair in self._record(target)[0].all_ids():
                self._new_owner[pair] = target[1]

    def _without_foreign_ids(self, paper: Paper, target: Owner | None) -> Paper:
        """Drop identifiers that already name another work (the arXiv id decides, it stays)."""
        def foreign(pair: tuple[str, str]) -> bool:
            owner = self._owner(pair)
            return owner is not None and owner != target
        secondary = [(kind, v) for kind in ID_KINDS[1:] if (v := getattr(paper, kind))]
        if not paper.also and not secondary:  # an arXiv record with no other id: nothing to drop
            return paper
        cleared = {kind: None for kind, v in secondary if foreign((kind, v))}
        also = tuple(pair for pair in paper.also if not foreign(pair))
        return replace(paper, **cleared, also=also) if cleared or also != paper.also else paper
