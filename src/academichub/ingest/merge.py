"""Merging two descriptions of one work into one record.

The rules make merging idempotent (merge(a, b) merged with b again changes nothing), so
re-ingesting a listing writes nothing, and a newer arXiv version updates the work in place.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from academichub.model import Author, Paper

# DOI prefixes of preprint servers (bioRxiv/medRxiv, Research Square, Preprints.org, OSF and its
# archives, SSRN, ChemRxiv, TechRxiv, Authorea): a work with a journal DOI too shows that one.
PREPRINT_DOI_PREFIXES = ("10.1101/", "10.21203/", "10.20944/", "10.31219/", "10.31234/", "10.31235/",
                         "10.2139/", "10.26434/", "10.36227/", "10.22541/")


def _journal_record(existing: Paper, incoming: Paper) -> Paper | None:
    """The record of the journal version, when one of the two is a journal's and the other a preprint."""
    def is_journal(paper: Paper) -> bool:
        return bool(paper.doi) and not paper.doi.startswith(PREPRINT_DOI_PREFIXES) and not paper.arxiv_id
    journals = [p for p in (existing, incoming) if is_journal(p)]
    return journals[0] if len(journals) == 1 else None


def _min(a: date | None, b: date | None) -> date | None:
    return min(d for d in (a, b) if d) if (a or b) else None


def _max(a: date | None, b: date | None) -> date | None:
    return max(d for d in (a, b) if d) if (a or b) else None


def is_older(incoming: Paper, existing: Paper) -> bool:
    """True when `incoming` describes an earlier arXiv version than `existing`."""
    return (incoming.arxiv_version is not None and existing.arxiv_version is not None
            and incoming.arxiv_version < existing.arxiv_version)


def _authors(existing: list[Author], incoming: list[Author]) -> list[Author]:
    """Take the incoming list, keeping ORCIDs and affiliations only the existing one knew."""
    known = {a.key: a for a in existing}
    merged = []
    for author in incoming:
        old = known.get(author.key)
        if old is not None:
            author = replace(author, orcid=author.orcid or old.orcid,
                             affiliations=author.affiliations or old.affiliations)
        merged.append(author)
    return merged


def _categories(existing: Paper, incoming: Paper, base: Paper, other: Paper) -> tuple[list[str], str | None]:
    if existing.source == incoming.source:  # a newer record of one source replaces its categories
        return base.categories or other.categories, base.primary_category or other.primary_category
    # Across sources the first source's classification leads (arXiv's stays primary on its work).
    merged = list(dict.fromkeys([*existing.categories, *incoming.categories]))
    return merged, existing.primary_category or incoming.primary_category


def _same_record(existing: Paper, incoming: Paper) -> bool:
    """Whether `incoming` is a newer copy of the record that leads `existing` (its source, its DOI)."""
    return incoming.source == existing.source and bool(incoming.doi) and incoming.doi == existing.doi


def _leading(existing: Paper, incoming: Paper, journal: Paper | None) -> tuple[Paper, Paper]:
    """(base, other): the record whose title, abstract and authors the work shows, and the other.

    Decided by what the records are, never by which came last: with the newest record leading,
    each version sent again took the work's text back, so every fetch of either source rewrote
    (and re-indexed) the work and its card flipped. An arXiv work shows arXiv's latest version; a
    preprint with its journal version shows the journal's; otherwise the stored text stays, and
    the other record only fills what it lacks. A work holding an arXiv id is an arXiv work."""
    if incoming.source == "arxiv":  # arXiv's own record (OpenAlex's carries the arXiv id too: its DataCite DOI)
        return (existing, incoming) if is_older(incoming, existing) else (incoming, existing)
    if existing.arxiv_id:
        return existing, incoming
    if journal is not None:  # never the same record: only one of the two is a journal's
        return journal, existing if journal is incoming else incoming
    return (incoming, existing) if _same_record(existing, incoming) else (existing, incoming)


def merge(existing: Paper, incoming: Paper) -> Paper:
    """Combine a stored record with a new description of the same work."""
    journal = _journal_record(existing, incoming)
    base, other = _leading(existing, incoming, journal)
    categories, primary = _categories(existing, incoming, base, other)
    announced = _min(existing.announced, incoming.announced)
    if announced is not None and announced == existing.announced:
        announce_type = existing.announce_type or incoming.announce_type
    else:
        announce_type = incoming.announce_type or existing.announce_type
    authors = (_authors(other.authors, base.authors) if base.authors else other.authors)
    merged = replace(
        base,
        title=base.title or other.title,
        abstract=base.abstract or other.abstract,
        authors=authors,
        arxiv_id=existing.arxiv_id or incoming.arxiv_id,
        arxiv_version=max((v for v in (existing.arxiv_version, incoming.arxiv_version) if v), default=None),
        doi=(journal.doi if journal else None) or base.doi or other.doi,
        pmid=base.pmid or other.pmid,
        openalex_id=base.openalex_id or other.openalex_id,
        url=base.url or other.url,
        also=(),
        categories=categories,
        primary_category=primary,
        venue=(journal.venue if journal else None) or base.venue or other.venue,
        journal_ref=base.journal_ref or other.journal_ref,
        comment=base.comment or other.comment,
        submitted=_min(existing.submitted, incoming.submitted),
        published=_min(existing.published, incoming.published),
        announced=announced,
        updated=_max(existing.updated, incoming.updated),
        announce_type=announce_type,
        links={**other.links, **base.links, **(journal.links if journal else {})},
        license=base.license or other.license,
        source=existing.source,
    )
    # Every identifier either record knew survives: what is not primary is kept as "also".
    primary = set(merged.all_ids())
    merged.also = tuple(sorted({*existing.all_ids(), *incoming.all_ids()} - primary))
    return merged
