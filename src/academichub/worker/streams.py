"""Streams: the unit a source is harvested in (a category listing, a journal, a query, a feed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from academichub.errors import InputError
from academichub.settings import Settings, SourceSettings
from academichub.sources import biorxiv, journal_rss


@dataclass(frozen=True)
class Window:
    """The dates a run covers (either end open)."""

    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Stream:
    """One harvestable stream of a source, with what its adapter needs to fetch it."""

    key: str
    source: str
    label: str
    params: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def source_settings(settings: Settings, source: str) -> SourceSettings:
    """The settings group of a source ("journal" streams use `sources.journals`)."""
    return getattr(settings.sources, "journals" if source == "journal" else source)


def arxiv_stream(categories: list[str], method: str = "listing") -> Stream:
    """The arXiv listing (or API/OAI harvest) of some categories."""
    joined = "+".join(categories)
    return Stream(f"arxiv:{method}:{joined}", "arxiv", f"arXiv {method} · {', '.join(categories)}",
                  {"method": method, "categories": joined})


def arxiv_query_stream(*, author: str | None = None, ids: list[str] | None = None) -> Stream:
    """An arXiv query API search by author or ids (backfill)."""
    if author:
        return Stream(f"arxiv:author:{author}", "arxiv", f"arXiv author · {author}", {"method": "author",
                                                                                    "author": author})
    joined = ",".join(ids or [])
    return Stream(f"arxiv:ids:{joined}", "arxiv", f"arXiv ids · {joined}", {"method": "ids", "ids": joined})


def crossref_stream(issn: str | None = None, query: str | None = None) -> Stream:
    """A journal's works (by ISSN) or a Crossref query."""
    if issn:
        return Stream(f"crossref:issn:{issn}", "crossref", f"Crossref · ISSN {issn}", {"issn": issn})
    if query:
        return Stream(f"crossref:query:{query}", "crossref", f"Crossref · “{query}”", {"query": query})
    raise InputError("ingest: crossref needs --issn or --query")


def openalex_stream(filter_: str) -> Stream:
    """An OpenAlex /works filter (by source, author, concept …)."""
    if not filter_:
        raise InputError('ingest: openalex needs --filter, e.g. "primary_location.source.id:S137773608"')
    return Stream(f"openalex:filter:{filter_}", "openalex", f"OpenAlex · {filter_}", {"filter": filter_})


def pubmed_stream(query: str) -> Stream:
    """A PubMed search."""
    if not query:
        raise InputError("ingest: pubmed needs --query")
    return Stream(f"pubmed:query:{query}", "pubmed", f"PubMed · “{query}”", {"query": query})


def biorxiv_stream(server: str) -> Stream:
    """All new records of bioRxiv or medRxiv."""
    if server not in biorxiv.SERVERS:
        raise InputError(f"ingest: unknown server {server!r}; use {', '.join(biorxiv.SERVERS)}")
    return Stream(f"{server}:details", "biorxiv", "bioRxiv" if server == "biorxiv" else "medRxiv",
                  {"server": server})


def journal_stream(feed: str) -> Stream:
    """A journal feed, by preset name or URL."""
    try:
        url = journal_rss.feed_url(feed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    preset = journal_rss.PRESETS.get(feed)
    return Stream(f"journal:{feed}", "journal", preset.title if preset else feed, {"url": url})
