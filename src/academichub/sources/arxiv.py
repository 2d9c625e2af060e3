"""arXiv as one source: its streams, how each of its three doors is paged, its file formats, its options.

The parsers and fetchers are `arxiv_listing` (the daily listing), `arxiv_api` (the query API),
`arxiv_oai` (OAI-PMH) and `arxiv_bulk` (metadata snapshots); this module declares them as one source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from academichub.errors import InputError
from academichub.keys import normalise_category
from academichub.sources import arxiv_api, arxiv_bulk, arxiv_listing, arxiv_oai
from academichub.sources.arxiv_common import ArxivSettings
from academichub.sources.contract import CliOption, FileFormat, Items, Page, Request, Source, Stream, Window
from academichub.sources.http import HttpClient
from academichub.sources.records import in_categories

METHODS = ("listing", "api", "oai")
# OAI-PMH sets of the physics archives are spelled "physics:<archive>".
_PHYSICS_ARCHIVES = {"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th",
                     "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"}


def category_stream(categories: list[str], method: str = "listing") -> Stream:
    """The arXiv listing (or API/OAI harvest) of some categories."""
    joined = "+".join(categories)
    listing = method == "listing"
    return Stream(f"arxiv:{method}:{joined}", "arxiv", f"arXiv {method} · {', '.join(categories)}",
                  {"method": method, "categories": joined}, windowless=listing, announced=listing)


def query_stream(*, author: str | None = None, ids: list[str] | None = None) -> Stream:
    """An arXiv query API search by author or ids (backfill)."""
    if author:
        return Stream(f"arxiv:author:{author}", "arxiv", f"arXiv author · {author}", {"method": "author",
                                                                                    "author": author})
    joined = ",".join(ids or [])
    return Stream(f"arxiv:ids:{joined}", "arxiv", f"arXiv ids · {joined}", {"method": "ids", "ids": joined})


def stream(settings: ArxivSettings, *, method: str = "listing", categories: list[str] | None = None,
           author: str | None = None, ids: list[str] | None = None) -> Stream:
    """The arXiv stream a command asks for (a listing, an API or OAI harvest, an author, some ids)."""
    if author or ids:
        return query_stream(author=author, ids=ids)
    if method not in METHODS:
        raise InputError(f"ingest: unknown arXiv method {method!r}; use {', '.join(METHODS)}")
    return category_stream([normalise_category(c) for c in (categories or settings.categories)], method)


def _asked(_name: str, settings: ArxivSettings, options: Mapping[str, Any], window: Window | None) -> Stream:
    categories = [c.strip() for c in str(options.get("categories") or "").split(",") if c.strip()]
    backfill = options.get("author") or options.get("ids")
    # With dates and no method named, the query API: the listing is only ever today's.
    method = options.get("method") or ("api" if window and not backfill else "listing")
    return stream(settings, method=method, categories=categories or None, author=options.get("author"),
                  ids=options.get("ids"))


def oai_set(category: str) -> str:
    """The OAI-PMH set that holds a category ("hep-th" -> "physics:hep-th", "cs.CL" -> "cs")."""
    archive = category.split(".")[0]
    return f"physics:{archive}" if archive in _PHYSICS_ARCHIVES else archive


def _api_query(categories: list[str], window: Window) -> str:
    query = " OR ".join(f"cat:{c}" for c in categories)
    if len(categories) > 1:
        query = f"({query})"
    if window.start or window.end:
        start = (window.start or date(1991, 1, 1)).strftime("%Y%m%d") + "0000"
        end = (window.end or date.today()).strftime("%Y%m%d") + "2359"
        query += f" AND submittedDate:[{start} TO {end}]"
    return query


def pages(client: HttpClient, request: Request) -> Iterator[Page]:
    """arXiv's listing (conditional GET), query API (offset cursor) or OAI-PMH (resumption token)."""
    settings, params = request.settings, request.stream.params
    method = params["method"]
    categories = params.get("categories", "").split("+")
    if method == "listing":
        result = arxiv_listing.fetch(client, settings, categories, etag=request.etag,
                                     last_modified=request.last_modified)
        yield Page.of(result, lambda data: arxiv_listing.parse(data).items)
        return
    if method == "oai":
        for spec in sorted({oai_set(c) for c in categories}):
            for page in arxiv_oai.fetch(client, settings, from_=request.window.start, until=request.window.end,
                                        set_spec=spec, resumption_token=request.resume):
                yield Page(in_categories(page.items, categories), cursor=page.resumption_token)
        return
    query = {"author": lambda: arxiv_api.author_query(params["author"]), "ids": lambda: "",
             "api": lambda: _api_query(categories, request.window)}[method]()
    ids = params["ids"].split(",") if method == "ids" else None
    start = int(request.resume or 0)
    for page in arxiv_api.fetch(client, settings, search_query=query, id_list=ids, start=start,
                                max_results=request.max_results):
        start += len(page.items)
        yield Page(page.items, cursor=str(start) if start < page.total else None)


def _listing(data: bytes) -> Items:
    yield from arxiv_listing.parse(data).items


def _listing_json(data: bytes) -> Items:
    for listing in arxiv_listing.parse_feedparser_json(data):
        yield from listing.items


def _api(data: bytes) -> Items:
    yield from arxiv_api.parse(data).items


def _oai(data: bytes) -> Items:
    yield from arxiv_oai.parse(data).items


def _is_listing(head: bytes) -> bool:
    return b"Announce Type" in head or b"rss.arxiv.org" in head or b"arxiv.org/abs/" in head


def _is_bulk(schema: str) -> Any:
    return lambda record: "id" in record and arxiv_bulk.looks_like(record) == schema


def _is_listing_json(document: dict[str, Any]) -> bool:
    return "entries" in document or any(isinstance(v, dict) and "entries" in v for v in document.values())


SOURCE = Source(
    "arxiv", ArxivSettings,
    streams=lambda group: [category_stream(group.categories)] if group.categories else [],
    asked=_asked,
    fetch=pages,
    options=(
        CliOption("categories", "comma-separated categories (default: setting)."),
        CliOption("method", "the door: listing (today), api or oai (default: listing, or api with dates)."),
        CliOption("author", "an author's papers (query API)."),
        CliOption("ids", "these ids (repeatable).", flag="--id", multiple=True),
    ),
    # The query API's Atom goes first: its head names arxiv.org/abs/ too.
    formats=(
        FileFormat("arxiv-api", "arXiv query API response (Atom)", read=_api, xml_roots=frozenset({"feed"}),
                   sniff_xml=lambda head: b"opensearch" in head or b"arxiv.org/api" in head),
        FileFormat("arxiv-listing", "arXiv daily listing, RSS 2.0 or Atom (rss.arxiv.org)", read=_listing,
                   xml_roots=frozenset({"rss", "feed", "rdf:RDF", "RDF"}), sniff_xml=_is_listing),
        FileFormat("arxiv-listing-json", "arXiv listing as cached by feedparser (JSON)", read=_listing_json,
                   sniff_json=_is_listing_json),
        FileFormat("arxiv-oai", "arXiv OAI-PMH response (arXiv or arXivRaw metadata)", read=_oai,
                   xml_roots=frozenset({"OAI-PMH"})),
        FileFormat("arxiv-kaggle", "arXiv metadata snapshot, JSON Lines (Kaggle dataset)",
                   stream=arxiv_bulk.iter_kaggle, sniff_line=_is_bulk("arxiv-kaggle")),
        FileFormat("arxiv-jsonl", "AcademicHub corpus JSON Lines (papers.jsonl.gz)", stream=arxiv_bulk.iter_corpus,
                   sniff_line=_is_bulk("arxiv-jsonl")),
    ),
)
