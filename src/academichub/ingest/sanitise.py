"""The last ingest step: make every source string safe and bounded before it is stored.

Titles and abstracts are stored as plain text and escaped when rendered; this step removes what
no renderer should see (control characters, unsafe link schemes) and bounds lengths, so a
hostile or broken feed cannot bloat or poison the store.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from academichub.keys import clean_abstract, clean_line, doi_url, normalise_doi, parse_arxiv_id, safe_url, strip_control
from academichub.limits import ROW_ID_MAX, fitting
from academichub.model import Author, Paper
from academichub.storage.schema import work_authors, work_categories, work_ids, works

MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_AUTHORS = 2_000
MAX_SHORT = 1_000
ARXIV_DOI_PREFIX = "10.48550/arxiv."
# What the columns hold. PostgreSQL refuses a longer value, and one such record failed its whole
# batch of a thousand; an identifier that long names nothing real, so it is dropped.
_ID_LENGTHS = {kind: works.c[kind].type.length for kind in ("arxiv_id", "doi", "pmid", "openalex_id", "url")}
_ID_VALUE = work_ids.c.value.type.length
_CATEGORY = work_categories.c.category.type.length
_ORCID = work_authors.c.orcid.type.length
_NAME_KEY = work_authors.c.name_key.type.length
_ANNOUNCE_TYPE = works.c.announce_type.type.length


def _token(value: str | None, length: int) -> str | None:
    """An identifier or code as stored, or None when it cannot be one: longer than its column, or
    holding a control character (a NUL in a DOI failed its batch on PostgreSQL)."""
    return fitting(value, length) if value is None or value.isprintable() else None


def _fits(kind: str, value: str | None) -> str | None:
    return _token(value, _ID_LENGTHS[kind])


def _bounded(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = clean_line(text)
    return text[:limit] if text else None


@lru_cache(maxsize=65536)  # parsers share one Author per printed name: most are checked once
def _author(author: Author) -> Author:
    name = clean_line(author.name)[:MAX_SHORT]
    affiliations = tuple(clean_line(a)[:MAX_SHORT] for a in author.affiliations if a.strip())
    orcid = _token(author.orcid, _ORCID)
    key = strip_control(author.key)[:_NAME_KEY]
    if name == author.name and affiliations == author.affiliations and orcid == author.orcid and key == author.key:
        return author  # already clean (parsers build names with make_author)
    return replace(author, name=name, affiliations=affiliations, orcid=orcid, key=key)


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
        if _token(value, _ID_VALUE) and (kind, value) not in also:
            also.append((kind, value))
    return {"doi": _fits("doi", doi), "arxiv_id": _fits("arxiv_id", arxiv_id), "url": _fits("url", safe_url(paper.url)),
            "pmid": _fits("pmid", paper.pmid), "openalex_id": _fits("openalex_id", paper.openalex_id),
            "also": tuple(also)}


def _arxiv_of_doi(doi: str) -> str | None:
    try:
        return parse_arxiv_id(doi[len(ARXIV_DOI_PREFIX):])[0]
    except ValueError:
        return None


def sanitise_paper(paper: Paper) -> Paper:
    """Return a copy of `paper` with bounded, clean text, normalised ids and only safe links."""
    links = {name: url for name, value in paper.links.items() if (url := safe_url(value))}
    # One spelling: Crossref's upper case and arXiv's lower case of one DOI made two links, and
    # each merge of the two records took the other.
    if doi_link := normalise_doi(links.get("doi")):
        links["doi"] = doi_url(doi_link)
    return replace(
        paper,
        **_identifiers(paper),
        title=clean_line(paper.title)[:MAX_TITLE],
        abstract=clean_abstract(paper.abstract)[:MAX_ABSTRACT],
        authors=[_author(a) for a in paper.authors[:MAX_AUTHORS]],
        categories=[c for c in paper.categories if _token(c, _CATEGORY)],
        primary_category=_token(paper.primary_category, _CATEGORY),
        announce_type=_token(paper.announce_type, _ANNOUNCE_TYPE),
        arxiv_version=paper.arxiv_version if (paper.arxiv_version or 0) <= ROW_ID_MAX else None,
        venue=_bounded(paper.venue, MAX_SHORT),
        journal_ref=_bounded(paper.journal_ref, MAX_SHORT),
        comment=_bounded(paper.comment, MAX_SHORT),
        license=_bounded(paper.license, MAX_SHORT),
        links=links,
    )
