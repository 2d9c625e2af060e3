"""Ingest: sanitise parsed records, merge them with stored works, upsert, index, and report."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from academichub.errors import SourceError
from academichub.ingest.merge import merge
from academichub.ingest.sanitise import sanitise_paper
from academichub.model import Paper, Rejected
from academichub.storage.store import Store

BATCH_SIZE = 2000
_ID_FIELDS = ("arxiv_id", "doi", "pmid", "openalex_id")


@dataclass
class RunReport:
    """What one ingest run did, per the health accounting every run records."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    rejected: int = 0
    rejected_reasons: Counter = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def add_error(self, exc: Exception) -> None:
        """Record a classified error."""
        self.errors.append({"kind": getattr(exc, "kind", type(exc).__name__), "message": str(exc)})

    def to_json(self) -> dict[str, Any]:
        """The report as printed by `ingest --json`."""
        return {
            "source": self.source, "fetched": self.fetched, "new": self.new, "updated": self.updated,
            "unchanged": self.unchanged, "merged": self.merged, "rejected": self.rejected,
            "rejected_reasons": dict(self.rejected_reasons), "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


def stored_hash(paper: Paper, sources: list[str]) -> str:
    """Digest of a record plus its sources: equal digests mean nothing to write."""
    return hashlib.blake2b(f"{paper.content_hash()}|{','.join(sorted(sources))}".encode(),
                           digest_size=16).hexdigest()


def _valid(paper: Paper) -> str | None:
    if not paper.title:
        return "no title"
    if not any(getattr(paper, name) for name in _ID_FIELDS):
        return "no identifier"
    return None


def _batched(items: Iterable[Paper | Rejected], size: int) -> Iterator[list[Paper | Rejected]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Batch:
    """One chunk of records on its way into the store."""

    def __init__(self, store: Store, report: RunReport) -> None:
        self.store, self.report = store, report

    def prepare(self, chunk: list[Paper | Rejected]) -> list[Paper]:
        papers: list[Paper] = []
        for item in chunk:
            self.report.fetched += 1
            if isinstance(item, Rejected):
                self._reject(item.reason)
                continue
            paper = sanitise_paper(item)
            problem = _valid(paper)
            if problem:
                self._reject(problem)
            else:
                papers.append(paper)
        return papers

    def _reject(self, reason: str) -> None:
        self.report.rejected += 1
        self.report.rejected_reasons[reason] += 1

    def write(self, papers: list[Paper]) -> list[tuple[int, Paper]]:
        works = self.store.works
        with self.store.engine.begin() as conn:
            found = works.find_existing(conn, papers)
            stored = works.load(conn, sorted(set(found.values())))
            plan = _Plan(found, {i: (w.paper, w.sources) for i, w in stored.items()})
            for paper in papers:
                plan.add(paper)
            updates = []
            for work_id, (merged, sources) in plan.updates.items():
                digest = stored_hash(merged, sources)
                if digest == stored[work_id].content_hash:
                    self.report.unchanged += 1
                else:
                    updates.append((work_id, merged, sources, digest))
            inserts = [(p, s, stored_hash(p, s)) for p, s in plan.inserts]
            new_ids = works.insert(conn, inserts)
            works.update(conn, updates)
        self.report.new += len(inserts)
        self.report.updated += len(updates)
        self.report.merged += plan.merged
        return [*((i, p) for i, (p, _, _) in zip(new_ids, inserts, strict=True)),
                *((i, p) for i, p, _, _ in updates)]


Owner = tuple[str, int]  # ("db", work id) or ("new", index of a pending insert)


class _Plan:
    """Decides within one transaction which stored or new work each record belongs to.

    Identifiers are tried in order (arXiv id, DOI, PMID, OpenAlex id). Two records with
    different arXiv ids are never merged, even when they share a DOI; a secondary id that
    already belongs to another work is dropped from the newcomer, so uniqueness holds.
    """

    def __init__(self, found: dict[tuple[str, str], int], stored: dict[int, tuple[Paper, list[str]]]):
        self.found = found
        self.updates: dict[int, tuple[Paper, list[str]]] = {}
        self._stored = stored
        self.inserts: list[tuple[Paper, list[str]]] = []
        self._new_owner: dict[tuple[str, str], int] = {}
        self.merged = 0

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

    def _target(self, paper: Paper) -> Owner | None:
        for name in _ID_FIELDS:
            value = getattr(paper, name)
            owner = self._owner((name, value)) if value else None
            if owner is None:
                continue
            other = self._record(owner)[0]
            if not (paper.arxiv_id and other.arxiv_id and paper.arxiv_id != other.arxiv_id):
                return owner
        return None

    def add(self, paper: Paper) -> None:
        target = self._target(paper)
        for name in _ID_FIELDS[1:]:
            value = getattr(paper, name)
            owner = self._owner((name, value)) if value else None
            if owner is not None and owner != target:
                paper = replace(paper, **{name: None})
        if target is None:
            self.inserts.append((paper, [paper.source]))
            target = ("new", len(self.inserts) - 1)
        else:
            current, sources = self._record(target)
            # A duplicate within the run, or a second source's record of a stored work.
            self.merged += target[0] == "new" or paper.source not in sources
            merged = (merge(current, paper), sorted({*sources, paper.source}))
            if target[0] == "db":
                self.updates[target[1]] = merged
            else:
                self.inserts[target[1]] = merged
        for name in _ID_FIELDS:
            value = getattr(self._record(target)[0], name)
            if value and target[0] == "new":
                self._new_owner[(name, value)] = target[1]


def ingest(
    store: Store,
    items: Iterable[Paper | Rejected],
    *,
    source: str,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> RunReport:
    """Store parsed records; a source error mid-stream is reported, what came before is kept."""
    report = RunReport(source=source)
    started = time.perf_counter()
    batch = _Batch(store, report)
    changed: list[tuple[int, Paper]] = []
    try:
        for chunk in _batched(items, batch_size):
            papers = batch.prepare(chunk)
            if papers:
                changed += batch.write(papers)
            if progress:
                progress(len(chunk))
    except SourceError as exc:
        report.add_error(exc)
    finally:
        if changed:
            store.index_works(changed)
        report.seconds = time.perf_counter() - started
    return report

