"""Ingest: sanitise parsed records, merge them with stored works, upsert, index, and report."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy.engine import Connection

from academichub.errors import SourceError
from academichub.ingest.dedupe import TitleIndex
from academichub.ingest.downstream import Downstream
from academichub.ingest.plan import WorkPlan
from academichub.ingest.sanitise import sanitise_paper
from academichub.keys import title_key
from academichub.model import Paper, Rejected
from academichub.model.report import RunReport
from academichub.storage.engine import next_stamp, read_counter, write_transaction
from academichub.storage.store import Store
from academichub.storage.work_writes import PreparedWorks, first_author_key

BATCH_SIZE = 1000  # records planned together (one set of lookups); written WRITE_PART at a time
WRITE_PART = 200  # works per write transaction: under load the lock is held p50 50 ms at a time, not 206 ms per batch
WORKS_STAMP = "works"  # advanced by every batch written: a plan made before it is made again


def stored_hash(paper: Paper, sources: list[str]) -> str:
    """Digest of a record plus its sources: equal digests mean nothing to write."""
    return hashlib.blake2b(f"{paper.content_hash()}|{','.join(sorted(sources))}".encode(),
                           digest_size=16).hexdigest()


def _valid(paper: Paper) -> str | None:
    if not paper.title:
        return "no title"
    if not paper.all_ids():
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
            if isinstance(item, Rejected) and item.not_a_paper:
                self.report.left_out += 1
                self.report.left_out_reasons[item.reason] += 1
                continue
            if isinstance(item, Rejected):
                self._reject(item.reason)
                continue
            try:
                paper = sanitise_paper(item)
            except (TypeError, AttributeError, ValueError) as exc:  # a field of the wrong type got this far
                self._reject(f"malformed record ({type(exc).__name__})")
                continue
            problem = _valid(paper)
            if problem:
                self._reject(problem)
            else:
                papers.append(paper)
        return papers

    def _reject(self, reason: str) -> None:
        self.report.rejected += 1
        self.report.rejected_reasons[reason] += 1

    def write(self, papers: list[Paper]) -> list[tuple[int, Paper, list[str]]]:
        """Store a batch: planned on a read of the store, applied in short write transactions.

        The plan (lookups, merges, hashes: most of a batch's time) is made outside the write lock,
        and applied WRITE_PART works per transaction, so a bulk load holds the lock a few tens of
        milliseconds at a time and other writers (a reader's 换一批) get their turn between. If
        another writer stored works since the plan was made (the works counter moved by more than
        this batch's own parts), what is left is planned again under the lock and written at once.
        """
        engine = self.store.engine
        with engine.connect() as conn:
            expected = read_counter(conn, WORKS_STAMP)
            plan = self._plan(conn, papers)
        parts: list[tuple[PreparedWorks | None, list]] = [(part, []) for part in plan.prepared.parts(WRITE_PART)]
        parts += [(None, plan.updates[start:start + WRITE_PART]) for start in range(0, len(plan.updates), WRITE_PART)]
        changed: list[tuple[int, Paper, list[str]]] = []
        counts = _Counts(merged=plan.merged, unchanged=plan.unchanged)
        for part, updates in parts:  # none: every record was stored as it is
            with write_transaction(engine) as conn:
                # Advancing the counter first takes its row lock on PostgreSQL: writers of works queue here.
                expected += 1
                replanned = next_stamp(conn, WORKS_STAMP) != expected
                if replanned:  # this transaction writes everything that is left, planned again with what
                    again = self._plan(conn, papers)  # the batch stored so far (found as stored now)
                    counts.merged, counts.unchanged = again.merged, max(0, again.unchanged - counts.new)
                    part, updates = again.prepared, again.updates
                new_ids = self.store.works.insert(conn, part) if part is not None else []
                self.store.works.update(conn, updates)
            changed += [(i, p, s) for i, (p, s, _) in zip(new_ids, part.items if part is not None else [], strict=True)]
            changed += [(i, p, s) for i, p, s, _ in updates]
            counts.new += len(new_ids)
            counts.updated += len(updates)
            if replanned:
                break
        self.report.new += counts.new
        self.report.updated += counts.updated
        self.report.unchanged += counts.unchanged
        self.report.merged += counts.merged
        return changed

    def _plan(self, conn: Connection, papers: list[Paper]) -> _Planned:
        works = self.store.works
        found = works.find_existing(conn, papers)
        papers, found, unchanged = _without_unchanged(papers, found, works.content_hashes(conn, found.values()))
        unplaced = [p for p in papers if not any(pair in found for pair in p.all_ids())]
        # Journal records look for their preprint by author too; arXiv records by exact title.
        titled = TitleIndex(works.find_by_titles(conn, (title_key(p.title) for p in unplaced), families=(
            first_author_key(p) for p in unplaced if p.source != "arxiv"))).plausible(unplaced)
        stored_ids = sorted({*found.values(), *(t.id for t in titled)})
        stored = works.load(conn, stored_ids)
        plan = WorkPlan(found, {i: (w.paper, w.sources) for i, w in stored.items()}, titled)
        for paper in papers:
            plan.add(paper)
        inserts = [(p, s, stored_hash(p, s)) for p, s in plan.inserts]
        planned = _Planned(inserts, works.prepare(inserts), merged=plan.merged, unchanged=unchanged)
        for work_id, (merged, sources) in plan.updates.items():
            digest = stored_hash(merged, sources)
            if digest == stored[work_id].content_hash:
                planned.unchanged += 1
            else:
                planned.updates.append((work_id, merged, sources, digest))
        return planned


def _without_unchanged(papers: list[Paper], found: dict[tuple[str, str], int], stored: dict[int, tuple[str, list[str]]]
                       ) -> tuple[list[Paper], dict[tuple[str, str], int], int]:
    """The records that may change something, the stored works their identifiers name, and how many
    records do not: a record whose every identifier names one stored work of its own source alone,
    with the digest that work has, is that work as stored. Known from the digest, without loading
    and merging the work (a re-run of the 51,698-paper corpus spent a third of its time there)."""
    kept: list[Paper] = []
    unchanged = 0
    for paper in papers:
        owners = {found.get(pair) for pair in paper.all_ids()}
        work_id = owners.pop() if len(owners) == 1 else None
        if work_id is not None and work_id in stored and stored[work_id][1] == [paper.source] \
                and stored[work_id][0] == stored_hash(paper, [paper.source]):
            unchanged += 1
        else:
            kept.append(paper)
    if unchanged:  # the works only those records name are not loaded
        named = {pair for paper in kept for pair in paper.all_ids()}
        found = {pair: work_id for pair, work_id in found.items() if pair in named}
    return kept, found, unchanged


@dataclass
class _Counts:
    """What a batch did, for its report."""

    merged: int = 0
    unchanged: int = 0
    new: int = 0
    updated: int = 0


@dataclass
class _Planned:
    """What a batch writes: new works (record, sources, hash), changed ones (id too), and counts."""

    inserts: list[tuple[Paper, list[str], str]]
    prepared: PreparedWorks  # the inserts' rows, made before the write lock is taken
    updates: list[tuple[int, Paper, list[str], str]] = field(default_factory=list)
    unchanged: int = 0
    merged: int = 0


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
    downstream = Downstream(store)
    try:
        for chunk in _batched(items, batch_size):
            papers = batch.prepare(chunk)
            if papers:
                downstream.add(batch.write(papers))
            if progress:
                progress(len(chunk))
    except SourceError as exc:
        report.add_error(exc)
    finally:
        downstream.finish()
        report.seconds = time.perf_counter() - started
    return report
