"""OpenAlex `/works`: filters by source, author, concept or date; cursor paging.

Abstracts are rebuilt from `abstract_inverted_index`; an arXiv location gives the work its
arXiv id, so the preprint and the journal version stay one work. Both the current schema
(`primary_location`) and the older one (`host_venue`) are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from academichub import safejson
from academichub.errors import InputError, ParseError
from academichub.keys import html_to_text, make_author, parse_arxiv_id, parse_date
from academichub.model import Author, Paper, Rejected, not_a_paper
from academichub.sources.contract import (
    CliOption,
    FileFormat,
    Interval,
    Items,
    Page,
    Request,
    Source,
    SourceSettings,
    Stream,
)
from academichub.sources.http import HttpClient
from academichub.sources.paging import SeenCursors
from academichub.sources.records import convert_all, convert_one, notice_title, text_or_none, whole_number

COMPONENT = "openalex"
ENTITY_PREFIX = "https://openalex.org/"


class OpenAlexSettings(SourceSettings):
    """OpenAlex /works with filters and cursor paging."""

    base_url: str = Field("https://api.openalex.org", description="OpenAlex endpoint.")
    min_interval: Interval = Field(0.12, description="Seconds between requests (OpenAlex allows 10/s).")
    filters: list[str] = Field(
        default_factory=list,
        description='Filters harvested by scheduled runs, e.g. "primary_location.source.id:S137773608".',
    )
    per_page: int = Field(100, ge=1, le=200, description="Records per page.")


@dataclass
class OpenAlexPage:
    """One page of works and the cursor to the next."""

    total: int
    next_cursor: str | None
    items: list[Paper | Rejected] = field(default_factory=list)


def rebuild_abstract(index: dict[str, list[int]] | None) -> str:
    """Turn an inverted index ({word: [positions]}) back into the abstract's text."""
    if not index:
        return ""
    positions: dict[int, str] = {}
    for word, places in index.items():
        for place in places or []:
            if isinstance(place, int) and place >= 0:
                positions[place] = word
    return " ".join(positions[i] for i in sorted(positions))


def _short(value: str | None) -> str | None:
    """The trailing id of an OpenAlex/ORCID/PubMed URL."""
    return value.rstrip("/").rsplit("/", 1)[-1] if value else None


def _authors(work: dict[str, Any]) -> list[Author]:
    authors = []
    for authorship in work.get("authorships") or []:
        person = authorship.get("author") or {}
        name = person.get("display_name") or authorship.get("raw_author_name") or ""
        institutions = tuple(i.get("display_name", "") for i in authorship.get("institutions") or []
                             if i.get("display_name"))
        author = make_author(name, affiliations=institutions or tuple(authorship.get("raw_affiliation_strings") or ()),
                             orcid=_short(person.get("orcid")))
        if author:
            authors.append(author)
    return authors


def _venue(work: dict[str, Any]) -> str | None:
    source = ((work.get("primary_location") or {}).get("source") or {})
    return source.get("display_name") or (work.get("host_venue") or {}).get("display_name")


def _arxiv_id(work: dict[str, Any]) -> str | None:
    for location in work.get("locations") or []:
        for url in (location.get("landing_page_url"), location.get("pdf_url")):
            if url and "arxiv.org/" in url:
                try:
                    return parse_arxiv_id(url)[0]
                except ValueError:
                    continue
    return None


# OpenAlex's work types that are no literature a reader follows (as Crossref's types are kept in
# crossref.py): notices about other works, front matter, reviews of submissions, grants, data.
NOT_READ = frozenset({"erratum", "retraction", "paratext", "peer-review", "grant", "dataset",
                      "supplementary-materials", "libguides"})


def work(entity: dict[str, Any]) -> Paper | Rejected:
    """Convert one OpenAlex work object."""
    ident = entity.get("id") or ""
    if not ident.startswith(f"{ENTITY_PREFIX}W"):
        return Rejected("not a work", ref=ident)
    if entity.get("type") in NOT_READ:
        return not_a_paper(f"type {entity['type']}", ref=ident)
    if notice := notice_title(html_to_text(entity.get("title") or entity.get("display_name") or "")):
        return not_a_paper(f"notice ({notice})", ref=ident)  # an erratum OpenAlex types as an article
    ids = entity.get("ids") or {}
    primary = entity.get("primary_location") or {}
    links = {name: url for name, url in (("openalex", ident), ("doi", entity.get("doi")),
                                          ("landing", primary.get("landing_page_url")),
                                          ("pdf", primary.get("pdf_url"))) if url}
    topic = ((entity.get("primary_topic") or {}).get("subfield") or {}).get("display_name")
    return Paper(
        title=html_to_text(entity.get("title") or entity.get("display_name") or ""), source="openalex",
        abstract=rebuild_abstract(entity.get("abstract_inverted_index")), authors=_authors(entity),
        openalex_id=_short(ident), doi=entity.get("doi"), pmid=_short(ids.get("pmid")), arxiv_id=_arxiv_id(entity),
        venue=_venue(entity), categories=[topic] if topic else [], published=parse_date(entity.get("publication_date")),
        updated=parse_date((entity.get("updated_date") or "")[:10]), links=links,
        license=primary.get("license") or (entity.get("best_oa_location") or {}).get("license"),
    )


def parse(data: bytes) -> OpenAlexPage:
    """Parse a single work object or a `/works` list ({"meta", "results"})."""
    try:
        document = safejson.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"invalid JSON: {exc}", component=COMPONENT) from None
    if not isinstance(document, dict):
        raise ParseError("expected a JSON object", component=COMPONENT)
    if "results" in document:
        meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
        items = convert_all(work, document.get("results"), "OpenAlex work")
        return OpenAlexPage(whole_number(meta.get("count")), text_or_none(meta.get("next_cursor")), items)
    if str(document.get("id", "")).startswith(ENTITY_PREFIX):
        return OpenAlexPage(1, None, [convert_one(work, document, "OpenAlex work")])
    if "error" in document:
        raise ParseError(f"API error: {document.get('error')}: {document.get('message', '')}", component=COMPONENT)
    raise ParseError("expected an OpenAlex work or a /works list", component=COMPONENT)


def fetch(client: HttpClient, settings: OpenAlexSettings, *, filter_: str, cursor: str | None = None,
          contact: str = "") -> Iterator[OpenAlexPage]:
    """Yield pages of `/works?filter=…`, resuming from `cursor`."""
    url = f"{settings.base_url.rstrip('/')}/works"
    client.configure_host(url, settings.min_interval, settings.max_concurrency)
    params: dict[str, str | int] = {"filter": filter_, "per-page": settings.per_page, "cursor": cursor or "*"}
    if contact:
        params["mailto"] = contact
    if settings.api_key:
        params["api_key"] = settings.api_key.get_secret_value()
    seen = SeenCursors(COMPONENT)
    while True:
        page = parse(client.get(url, params=params, component=COMPONENT).content)
        yield page
        if not page.items or not page.next_cursor:
            return
        params["cursor"] = seen.next(page.next_cursor)


def stream(filter_: str) -> Stream:
    """An OpenAlex /works filter (by source, author, concept …)."""
    if not filter_:
        raise InputError('ingest: openalex needs --filter, e.g. "primary_location.source.id:S137773608"')
    return Stream(f"openalex:filter:{filter_}", "openalex", f"OpenAlex · {filter_}", {"filter": filter_})


def pages(client: HttpClient, request: Request) -> Iterator[Page]:
    """A filter's pages within the window, cursor by cursor."""
    parts = [request.stream.params["filter"]]
    if request.window.start:
        parts.append(f"from_publication_date:{request.window.start.isoformat()}")
    if request.window.end:
        parts.append(f"to_publication_date:{request.window.end.isoformat()}")
    for page in fetch(client, request.settings, filter_=",".join(parts), cursor=request.resume,
                      contact=request.http.contact_email):
        yield Page(page.items, cursor=page.next_cursor if page.items else None)


def _read(data: bytes) -> Items:
    yield from parse(data).items


def _is_openalex(document: dict[str, Any]) -> bool:
    return "results" in document or str(document.get("id", "")).startswith(ENTITY_PREFIX)


SOURCE = Source(
    "openalex", OpenAlexSettings,
    streams=lambda group: [stream(f) for f in group.filters],
    asked=lambda _name, _group, options, _window: stream(options.get("filter") or ""),
    fetch=pages,
    options=(CliOption("filter", "a /works filter."),),
    formats=(FileFormat("openalex", "OpenAlex work object or /works list (JSON)", read=_read,
                        sniff_json=_is_openalex),),
)
