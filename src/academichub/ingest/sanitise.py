"""The last ingest step: make every source string safe and bounded before it is stored.

Titles and abstracts are stored as plain text and escaped when rendered; this step removes what
no renderer should see (control characters, unsafe link schemes) and bounds lengths, so a
hostile or broken feed cannot bloat or poison the store.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache


from academichub.keys import clean_abstract, clean_line, normalise_doi, parse_arxiv_id, safe_url
from academichub.model import Author, Paper

MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_AUTHORS = 2_000
MAX_SHORT = 1_000
ARXIV_DOI_PREFIX = "10.48550/arxiv."


def _bounded(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = clean_line(text)
    return text[:limit] if text else None


@lru_cache(maxsize=65536)  # parsers share one Author per printed name: most are checked once
def _author(author: Author) -> Author:
    name = clean_line(author.name)[:MAX_SHORT]
    affiliations = tuple(clean_line(a)[:MAX_SHORT] for a in author.affiliations if a.strip())
    if name == author.name and affiliations == author.affiliations:
        return author  # already clean (parsers build names with make_author)
    return replace(author, name=name, affiliations=affiliations)


def _identifiers(paper: Paper) -> dict[str, object]:
    """Normalised ids; arXiv's own DataCite DOI (10.48550/arXiv.…) becomes the arXiv id."""
    doi = normalise_doi(paper.doi)
    arxiv_id = paper.arxiv_id
    if doi and doi.startswith(ARXIV_DOI_PREFIX):
        arxiv_id = arxiv_id or _arxiv_of_doi(doi)
        doi = None
    also: list[tuple[str, str]] = []
    for kind, value in paper.also:
        if kind == "doi":
            value = normalise_doi(value) or ""
            if value.startswith(ARXIV_DOI_PREFIX):
                kind, value = "arxiv_id", _arxiv_of_doi(value) or ""
        if value and (kind, value) not in also:
            also.append((kind, value))
    return {"doi": doi, "arxiv_id": arxiv_id, "url": safe_url(paper.url), "also": tuple(also)}


def _arxiv_of_doi(doi: str) -> str | None:
    try:
        return parse_arxiv_id(doi[len(ARXIV_DOI_PREFIX):])[0]
    except ValueError:
        return None


def sanitise_paper(paper: Paper) -> Paper:
    """Return a copy of `paper` with bounded, clean text, normalised ids and only safe links."""
    links = {name: url for name, value in paper.links.items() if (url := safe_url(value))}
    return replace(
        paper,
        **_identifiers(paper),
        title=clean_line(paper.title)[:MAX_TITLE],
        abstract=clean_abstract(paper.abstract)[:MAX_ABSTRACT],
        authors=[_author(a) for a in paper.authors[:MAX_AUTHORS]],
        venue=_bounded(paper.venue, MAX_SHORT),
        journal_ref=_bounded(paper.journal_ref, MAX_SHORT),
        comment=_bounded(paper.comment, MAX_SHORT),
        license=_bounded(paper.license, MAX_SHORT),
        links=links,
    )
