"""Time-split evaluation protocols over a corpus: profiles from before a cut-off, ranking after it.

(a) author continuity: a researcher's papers before the cut-off are the library; their papers
    and their co-authors' papers in the window after it are relevant. Rankers see only titles
    and abstracts (author names are hidden), so this measures topical continuity.
(b) category interest: a random sample of a category's papers before the cut-off is the
    library; the category's papers in the window are relevant.
(c) small library: a researcher's library is 3 to 20 of their papers before the cut-off, and
    only their own papers after it are relevant (the held-out evaluation that found the ranker
    at 0.83× of TF-IDF + SVM had libraries of about 11 papers and judged by own papers).
"""

from __future__ import annotations

import gzip
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from academichub import safejson
from academichub.errors import InputError
from academichub.keys import authors_from_text, clean_abstract, clean_line, name_key, parse_date

log = logging.getLogger(__name__)

PROTOCOLS = ("author", "small-library", "category")


@dataclass
class Corpus:
    """A corpus held as parallel lists (index = row)."""

    ids: list[str]
    titles: list[str]
    abstracts: list[str]
    authors: list[frozenset[str]]
    primary: list[str]
    days: list[date]

    @property
    def texts(self) -> list[str]:
        """Title and abstract of every row (what content rankers see)."""
        return [f"{t}. {a}" if a else t for t, a in zip(self.titles, self.abstracts, strict=True)]


@dataclass
class Task:
    """One evaluation query: a library (rows before the cut-off) and relevant candidate rows."""

    protocol: str
    name: str
    library: list[int]
    relevant: set[int]


def load_corpus(path: Path) -> Corpus:
    """Read a corpus JSONL (AcademicHub's format: id, title, abstract, authors, primary_category,
    first_listed or published; arXiv's own metadata snapshot is read too). A malformed line is
    skipped and counted; a file with no record at all, or that is not text, is refused with its name."""
    ids, titles, abstracts, authors, primary, days = [], [], [], [], [], []
    skipped = 0
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    record = safejson.loads(line)  # nested too deeply: a ValueError, skipped like any
                    day = _day(record)
                    if day is None or not record.get("title") or record.get("id") is None:
                        raise ValueError("no id, title or date")
                    parsed = (str(record["id"]), clean_line(record["title"]),
                              clean_abstract(record.get("abstract") or ""),
                              frozenset(name_key(a) for a in _author_names(record)), _primary(record), day)
                except (ValueError, TypeError, AttributeError, KeyError, IndexError):  # not JSON or a bad field
                    skipped += 1
                    continue
                for column, value in zip((ids, titles, abstracts, authors, primary, days), parsed, strict=True):
                    column.append(value)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, OSError) as exc:
        raise InputError(f"corpus: cannot read {path}: {exc}") from None
    if not ids:
        raise InputError(f"corpus: {path} holds no records ({skipped} malformed lines); "
                         "give a JSONL of papers with id, title, abstract, authors and first_listed or published")
    if skipped:
        log.warning("corpus: %d malformed lines of %s skipped", skipped, path)
    return Corpus(ids, titles, abstracts, authors, primary, days)


def _day(record: dict) -> date | None:
    """When a record was first listed: AcademicHub's first_listed or published, else the first
    version's date of arXiv's own metadata snapshot (versions[0].created), else its update_date."""
    day = record.get("first_listed") or record.get("published")
    if day:
        return date.fromisoformat(str(day)[:10])
    versions = record.get("versions")
    if versions and isinstance(versions[0], dict) and versions[0].get("created"):
        return parse_date(str(versions[0]["created"]))
    return date.fromisoformat(str(record["update_date"])[:10]) if record.get("update_date") else None


def _author_names(record: dict) -> list[str]:
    """Author names from a list of names, of {"name": …} objects, arXiv's authors_parsed
    ([last, first, suffix]) or one "A, B and C" string."""
    parsed = record.get("authors_parsed")
    if parsed:
        return [" ".join(p for p in (parts[1], parts[0]) if p) for parts in parsed]
    authors = record.get("authors") or []
    if isinstance(authors, str):
        return [a.name for a in authors_from_text(authors)]
    return [a["name"] if isinstance(a, dict) else str(a) for a in authors]


def _primary(record: dict) -> str:
    """The primary category, else the first of the categories (a list, or arXiv's "cs.CL cs.LG")."""
    if record.get("primary_category"):
        return str(record["primary_category"])
    categories = record.get("categories") or []
    categories = categories.split() if isinstance(categories, str) else categories
    return str(categories[0]) if categories else ""


def split(corpus: Corpus, cutoff: date, end: date, history_from: date) -> tuple[list[int], list[int]]:
    """(rows in [history_from, cutoff), candidate rows in [cutoff, end))."""
    before = [i for i, d in enumerate(corpus.days) if history_from <= d < cutoff]
    after = [i for i, d in enumerate(corpus.days) if cutoff <= d < end]
    return before, after


def _researchers(corpus: Corpus, before: list[int], after: list[int],
                 min_before: int) -> tuple[dict[str, list[int]], dict[str, set[int]], list[str]]:
    """Each author's papers before and after the cut-off, and those with `min_before` papers
    before it and one after (sorted, for a reproducible shuffle)."""
    by_author_before: dict[str, list[int]] = defaultdict(list)
    for row in before:
        for key in corpus.authors[row]:
            by_author_before[key].append(row)
    by_author_after: dict[str, set[int]] = defaultdict(set)
    for row in after:
        for key in corpus.authors[row]:
            by_author_after[key].add(row)
    eligible = sorted(k for k, rows in by_author_before.items() if len(rows) >= min_before and by_author_after.get(k))
    return by_author_before, by_author_after, eligible


def author_tasks(corpus: Corpus, before: list[int], after: list[int], *, count: int, seed: int,
                 min_before: int = 3) -> list[Task]:
    """Researchers with at least `min_before` papers before the cut-off and one after it."""
    by_author_before, by_author_after, eligible = _researchers(corpus, before, after, min_before)
    random.Random(seed).shuffle(eligible)
    tasks = []
    for key in eligible[:count]:
        library = by_author_before[key]
        circle = {key} | {a for row in library for a in corpus.authors[row]}
        relevant = set().union(*(by_author_after.get(a, set()) for a in circle))
        tasks.append(Task("author", key, library, relevant))
    return tasks


def small_library_tasks(corpus: Corpus, before: list[int], after: list[int], *, count: int, seed: int,
                        sizes: tuple[int, int] = (3, 20)) -> list[Task]:
    """Researchers with a small library (3–20 of their earlier papers) judged by their own later papers."""
    by_author_before, by_author_after, eligible = _researchers(corpus, before, after, sizes[0])
    rng = random.Random(seed * 7919 + 1)  # not the author protocol's draw: other researchers
    rng.shuffle(eligible)
    tasks = []
    for key in eligible[:count]:
        history = by_author_before[key]
        size = rng.randint(sizes[0], min(sizes[1], len(history)))
        tasks.append(Task("small-library", key, sorted(rng.sample(history, size)), set(by_author_after[key])))
    return tasks


def category_tasks(corpus: Corpus, before: list[int], after: list[int], *, count: int, seed: int,
                   library_size: int = 30, min_papers: int = 100) -> list[Task]:
    """The `count` largest categories (by papers before the cut-off), each with a sampled library."""
    by_category: dict[str, list[int]] = defaultdict(list)
    for row in before:
        by_category[corpus.primary[row]].append(row)
    after_by_category: dict[str, set[int]] = defaultdict(set)
    for row in after:
        after_by_category[corpus.primary[row]].add(row)
    ranked = sorted((c for c, rows in by_category.items() if len(rows) >= min_papers and after_by_category.get(c)),
                    key=lambda c: (-len(by_category[c]), c))
    rng = random.Random(seed)
    return [Task("category", c, rng.sample(by_category[c], library_size), after_by_category[c])
            for c in ranked[:count]]
