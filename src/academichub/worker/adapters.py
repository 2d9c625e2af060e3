"""How each source's stream is fetched page by page: cursors, windows and validators.

Every adapter yields `Page`s; a page's `cursor` is where the next one starts, so the harvester
can checkpoint after storing each page and a later run resumes from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from academichub.errors import ProtocolError
from academichub.model import Paper, Rejected
from academichub.settings import Settings
from academichub.sources import (
    arxiv_api,
    arxiv_listing,
    arxiv_oai,
    biorxiv,
    crossref,
    journal_rss,
    openalex,
    pubmed,
)
from academichub.sources.http import FetchResult, HttpClient
from academichub.storage.sourcestate import SourceState
from academichub.worker.streams import Stream, Window

# OAI-PMH sets of the physics archives are spelled "physics:<archive>".
_PHYSICS_ARCHIVES = {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th",
                     "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"}


@dataclass
class Page:
    """Records of one response, where the next page starts, and the response's validators."""

    items: list[Paper | Rejected] = field(default_factory=list)
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass(frozen=True)
class Request:
    """Everything an adapter gets: the stream, its window, a cursor to resume from, its state."""

    stream: Stream
    window: Window
    resume: str | None
    state: SourceState | None
    settings: Settings
    max_results: int = 1000
    incremental: bool = False  # a scheduled run continuing from the last one, not an explicit window


Adapter = Callable[[HttpClient, Request], Iterator[Page]]


def oai_set(category: str) -> str:
    """The OAI-PMH set that holds a category ("hep-th" -> "physics:hep-th", "cs.CL" -> "cs")."""
    archive = category.split(".")[0]
    return f"physics:{archive}" if archive in _PHYSICS_ARCHIVES else archive


def _conditional(result: FetchResult, parse: Callable[[bytes], list[Paper | Rejected]]) -> Page:
    if result.not_modified:
        return Page(not_modified=True)
    return Page(parse(result.content), etag=result.etag, last_modified=result.last_modified)


def _in_categories(items: list[Paper | Rejected], categories: list[str]) -> list[Paper | Rejected]:
    wanted = {c.casefold() for c in categories}
    return [i for i in items if isinstance(i, Rejected) or any(
        c.casefold() in wanted or c.split(".")[0].casefold() in wanted for c in i.categories)]


def _arxiv_api_query(categories: list[str], window: Window) -> str:
    query = " OR ".join(f"cat:{c}" for c in categories)
    if len(categories) > 1:
        query = f"({query})"
    if window.start or window.end:
        start = (window.start or date(1991, 1, 1)).strftime("%Y%m%d") + "0000"
        end = (window.end or date.today()).strftime("%Y%m%d") + "2359"
        query += f" AND submittedDate:[{start} TO {end}]"
    return query


def arxiv_pages(client: HttpClient, request: Request) -> Iterator[Page]:
    """arXiv's listing (conditional GET), query API (offset cursor) or OAI-PMH (resumption token)."""
    settings, params = request.settings.sources.arxiv, request.stream.params
    method = params["method"]
    categories = params.get("categories", "").split("+")
    if method == "listing":
        state = request.state
        result = arxiv_listing.fetch(client, settings, categories, etag=state.etag if state else None,
                                     last_modified=state.last_modified if state else None)
        yield _conditional(result, lambda data: arxiv_listing.parse(data).items)
        return
    if method == "oai":
        for spec in sorted({oai_set(c) for c in categories}):
            for page in arxiv_oai.fetch(client, settings, from_=request.window.start, until=request.window.end,
                                        set_spec=spec, resumption_token=request.resume):
                yield Page(_in_categories(page.items, categories), cursor=page.resumption_token)
        return
    query = {"author": lambda: arxiv_api.author_query(params["author"]), "ids": lambda: "",
             "api": lambda: _arxiv_api_query(categories, request.window)}[method]()
    ids = params["ids"].split(",") if method == "ids" else None
    start = int(request.resume or 0)
    for page in arxiv_api.fetch(client, settings, search_query=query, id_list=ids, start=start,
                                max_results=request.max_results):
        start += len(page.items)
        yield Page(page.items, cursor=str(start) if start < page.total else None)


def crossref_pages(client: HttpClient, request: Request) -> Iterator[Page]:
    settings, params = request.settings.sources.crossref, request.stream.params
    # Scheduled runs follow index dates (new and changed records); explicit windows publication dates.
    field_name = "index" if request.incremental else "pub"
    filter_ = crossref.window_filter(request.window.start, request.window.end, field_name=field_name)
    for page in crossref.fetch(client, settings, issn=params.get("issn"), query=params.get("query"), filter_=filter_,
                               cursor=request.resume, contact=request.settings.sources.http.contact_email):
        yield Page(page.items, cursor=page.next_cursor if page.items else None)


def openalex_pages(client: HttpClient, request: Request) -> Iterator[Page]:
    parts = [request.stream.params["filter"]]
    if request.window.start:
        parts.append(f"from_publication_date:{request.window.start.isoformat()}")
    if request.window.end:
        parts.append(f"to_publication_date:{request.window.end.isoformat()}")
    for page in openalex.fetch(client, request.settings.sources.openalex, filter_=",".join(parts),
                               cursor=request.resume, contact=request.settings.sources.http.contact_email):
        yield Page(page.items, cursor=page.next_cursor if page.items else None)


def pubmed_pages(client: HttpClient, request: Request) -> Iterator[Page]:
    settings, contact = request.settings.sources.pubmed, request.settings.sources.http.contact_email
    term = request.stream.params["query"]
    if request.window.start or request.window.end:
        first = (request.window.start or date(1800, 1, 1)).strftime("%Y/%m/%d")
        last = (request.window.end or date(3000, 1, 1)).strftime("%Y/%m/%d")
        term = f'({term}) AND ("{first}"[EDAT] : "{last}"[EDAT])'  # Entrez date: when PubMed got it
    found, start = None, 0
    if request.resume:  # "webenv|query_key|next start|count"
        web_env, query_key, start_text, count = request.resume.split("|")
        found, start = pubmed.Search(int(count), [], web_env, query_key), int(start_text)
    try:
        yield from _efetch(client, settings, found or pubmed.search(client, settings, term, contact=contact), start,
                           contact)
    except ProtocolError:
        if not found:
            raise
        # The history handle expired: search again and fetch all (storing is idempotent).
        yield from _efetch(client, settings, pubmed.search(client, settings, term, contact=contact), 0, contact)


def _efetch(client: HttpClient, settings, found: pubmed.Search, start: int,  # type: ignore[no-untyped-def]
            contact: str) -> Iterator[Page]:
    for next_start, records in pubmed.fetch(client, settings, found, start=start, contact=contact):
        done = next_start >= found.count or not records
        yield Page(records, cursor=None if done else f"{found.web_env}|{found.query_key}|{next_start}|{found.count}")


def biorxiv_pages(client: HttpClient, request: Request) -> Iterator[Page]:
    settings = request.settings.sources.biorxiv
    end = request.window.end or date.today()
    start = request.window.start or end
    cursor = int(request.resume or 0)
    for page in biorxiv.fetch(client, settings, server=request.stream.params["server"], start=start, end=end,
                              cursor=cursor):
        cursor += len(page.items)
        items = _in_categories(page.items, settings.categories) if settings.categories else page.items
        yield Page(items, cursor=str(cursor) if page.items and cursor < page.total else None)


def journal_pages(client: HttpClient, request: Request) -> Iterator[Page]:
    state = request.state
    result = journal_rss.fetch(client, request.settings.sources.journals, request.stream.params["url"],
                               etag=state.etag if state else None, last_modified=state.last_modified if state else None)
    yield _conditional(result, journal_rss.parse)
