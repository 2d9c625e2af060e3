"""Bulk arXiv metadata files, streamed line by line (never read whole into memory).

Two JSON Lines schemas:
- the arXiv metadata snapshot ("Kaggle" format: arxiv-metadata-oai-snapshot.json, 2M+ lines);
- AcademicHub's corpus format (`papers.jsonl.gz`: id, title, abstract, authors list,
  categories, primary_category, published, first_listed, listing_dates, comment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from academichub import safejson
from academichub.keys import (
    authors_from_text,
    make_author,
    parse_arxiv_id,
    parse_date,
)
from academichub.model import Author, Paper, Rejected
from academichub.sources.arxiv_common import arxiv_paper
from academichub.sources.records import MALFORMED

COMPONENT = "arxiv-bulk"
_SPACED_HYPHEN = re.compile(r"(?<!\s)\s+-(?=\w)")  # from a run's start only: linear on long runs
# How the corpus obtained `published`; these mean it is the v1 submission date.
_SUBMISSION_SOURCES = {"api_updated_v1", "api_published", "oai_arXivRaw_v1_date",
                       "kaggle_versions_v1_created", "atom_published"}


def _kaggle_authors(record: dict[str, Any]) -> list[Author]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        authors = []
        for parts in parsed:
            if isinstance(parts, list) and parts:
                last, first, suffix = (list(parts) + ["", "", ""])[:3]
                first = _SPACED_HYPHEN.sub("-", first)  # the snapshot splits "C.-P." into "C. -P."
                author = make_author(" ".join(p for p in (first, last, suffix) if p))
                if author:
                    authors.append(author)
        return authors
    return authors_from_text(record.get("authors"))


def kaggle_record(record: dict[str, Any]) -> Paper:
    """Convert one arXiv metadata snapshot record."""
    arxiv_id, _ = parse_arxiv_id(str(record["id"]))
    versions = [v for v in record.get("versions") or [] if isinstance(v, dict)]
    numbers = [int(str(v.get("version", "")).lstrip("v")) for v in versions
               if str(v.get("version", "")).lstrip("v").isdigit()]
    first = parse_date(versions[0].get("created")) if versions else None
    return arxiv_paper(
        arxiv_id=arxiv_id,
        version=max(numbers) if numbers else None,
        title=str(record.get("title") or ""),
        abstract=str(record.get("abstract") or ""),
        authors=_kaggle_authors(record),
        categories=str(record.get("categories") or "").split(),
        doi=record.get("doi"),
        journal_ref=record.get("journal-ref"),
        comment=record.get("comments"),
        submitted=first,
        updated=parse_date(record.get("update_date")),
        license=record.get("license"),
    )


def corpus_record(record: dict[str, Any]) -> Paper:
    """Convert one record of the AcademicHub corpus JSONL."""
    arxiv_id, version = parse_arxiv_id(str(record["id"]))
    published = parse_date(record.get("published"))
    announced = parse_date(record.get("first_listed"))
    submitted = published if record.get("published_source") in _SUBMISSION_SOURCES else None
    authors = [a for a in (make_author(str(n)) for n in record.get("authors") or []) if a]
    paper = arxiv_paper(
        arxiv_id=arxiv_id,
        version=version,
        title=str(record.get("title") or ""),
        abstract=str(record.get("abstract") or ""),
        authors=authors,
        categories=[str(c) for c in record.get("categories") or []],
        primary=record.get("primary_category"),
        comment=record.get("comment"),
        submitted=submitted,
        announced=announced,
        announce_type="new" if announced else None,
    )
    paper.published = published
    return paper


def iter_jsonl(
    stream: IO[bytes], convert: Callable[[dict[str, Any]], Paper]
) -> Iterator[Paper | Rejected]:
    """Stream a JSON Lines file, yielding a Paper or a Rejected (with its line) per line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = safejson.loads(line)
        except (ValueError, UnicodeDecodeError):
            yield Rejected("invalid JSON", ref=f"line {number}")
            continue
        if not isinstance(record, dict) or "id" not in record:
            yield Rejected("not a record with an id", ref=f"line {number}")
            continue
        try:
            yield convert(record)
        except MALFORMED as exc:
            if isinstance(exc, ValueError) and str(exc).startswith("normalise: "):  # a normaliser's refusal
                yield Rejected(str(exc).removeprefix("normalise: "), ref=f"line {number}")
            else:  # a field of the wrong type
                yield Rejected(f"malformed record ({type(exc).__name__})", ref=f"line {number}")


def iter_kaggle(stream: IO[bytes]) -> Iterator[Paper | Rejected]:
    """Stream the arXiv metadata snapshot."""
    return iter_jsonl(stream, kaggle_record)


def iter_corpus(stream: IO[bytes]) -> Iterator[Paper | Rejected]:
    """Stream the AcademicHub corpus JSONL."""
    return iter_jsonl(stream, corpus_record)


def looks_like(first_record: dict[str, Any]) -> str | None:
    """Name the bulk schema of a first record, or None."""
    if "authors_parsed" in first_record or "versions" in first_record:
        return "arxiv-kaggle"
    if "listing_dates" in first_record or "first_listed" in first_record or "primary_category" in first_record:
        return "arxiv-jsonl"
    return None

