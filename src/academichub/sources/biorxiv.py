"""bioRxiv and medRxiv `details` API: date intervals paged by cursor, with categories.

A record's `published` field, when it is a DOI, names the journal version; it is kept as a
second identifier of the work so that the journal record (from Crossref or OpenAlex) joins it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import Field

from academichub import safejson
from academichub.errors import InputError, ParseError
from academichub.keys import make_author, normalise_doi, parse_date
from academichub.model import Author, Paper, Rejected
from academichub.sources.contract import FileFormat, Items, Page, Request, Source, SourceSettings, Stream
from academichub.sources.http import HttpClient
from academichub.sources.paging import SeenCursors
from academichub.sources.records import convert_all, in_categories, whole_number

COMPONENT = "biorxiv"
SERVERS = ("biorxiv", "medrxiv")
SITES = {"biorxiv": "https://www.biorxiv.org", "medrxiv": "https://www.medrxiv.org"}


class BiorxivSettings(SourceSettings):
    """bioRxiv / medRxiv `details` API (date intervals, cursor)."""

    base_url: str = Field("https://api.biorxiv.org", description="bioRxiv/medRxiv API endpoint.")
    servers: list[str] = Field(default_factory=lambda: ["biorxiv", "medrxiv"],
                               description="Servers harvested: biorxiv, medrxiv.")
    categories: list[str] = Field(default_factory=list, description="Keep only these categories (empty: all).")


@dataclass
class BiorxivPage:
    """One page of the details API."""

    total: int
    cursor: int
    count: int
    items: list[Paper | Rejected] = field(default_factory=list)


def _authors(text: str) -> list[Author]:
    """Authors written "Surname, G. N.; Other, A." become "G. N. Surname", "A. Other"."""
    authors = []
    for chunk in (text or "").split(";"):
        family, _, given = chunk.partition(",")
        author = make_author(f"{given.strip()} {family.strip()}".strip())
        if author:
            authors.append(author)
    return authors


# A withdrawal is a new version of the preprint: bioRxiv types it "withdrawn" and its abstract says
# so. Its comment then says it the way arXiv's do, so the feed leaves the work out like theirs.
_WITHDRAWAL = re.compile(r"^\W*(?:the authors? ha(?:ve|s) withdrawn|this (?:manuscript|preprint|paper|article) "
                         r"(?:has been|was|is being) withdrawn)", re.IGNORECASE)
WITHDRAWN_COMMENT = "This preprint has been withdrawn."


def record(item: dict[str, Any], server: str | None = None) -> Paper | Rejected:
    """Convert one details record."""
    doi = item.get("doi")
    if not doi:
        return Rejected("record without a DOI")
    server = (item.get("server") or server or "biorxiv").lower()
    version = str(item.get("version") or "")
    journal_doi = normalise_doi(item.get("published"))
    site = SITES.get(server, SITES["biorxiv"])
    category = (item.get("category") or "").strip()
    posted = parse_date(item.get("date"))
    abstract = item.get("abstract") or ""
    withdrawn = str(item.get("type") or "").strip().lower() == "withdrawn" or _WITHDRAWAL.match(abstract)
    return Paper(
        title=item.get("title") or "", source=server, abstract=abstract, comment=WITHDRAWN_COMMENT if withdrawn else None,
        authors=_authors(item.get("authors") or ""), doi=doi,
        also=(("doi", journal_doi),) if journal_doi else (),
        categories=[category] if category else [], primary_category=category or None,
        announced=posted if version in ("", "1") else None, updated=posted if version not in ("", "1") else None,
        published=posted if version in ("", "1") else None,
        links={"abs": f"{site}/content/{doi}v{version or 1}", "pdf": f"{site}/content/{doi}v{version or 1}.full.pdf",
               "doi": f"https://doi.org/{doi}"},
        license=item.get("license") or None,
    )


def parse(data: bytes, server: str | None = None) -> BiorxivPage:
    """Parse a details response ({"messages": [...], "collection": [...]})."""
    try:
        document = safejson.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"invalid JSON: {exc}", component=COMPONENT) from None
    if not isinstance(document, dict) or "collection" not in document:
        raise ParseError("expected a details response with a collection", component=COMPONENT)
    messages = document.get("messages")
    message = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
    items = convert_all(lambda i: record(i, server), document.get("collection"), "bioRxiv record")

    def number(key: str, default: int) -> int:
        return whole_number(message.get(key), default)

    return BiorxivPage(number("total", len(items)), number("cursor", 0), number("count", len(items)), items)


def fetch(client: HttpClient, settings: BiorxivSettings, *, server: str, start: date, end: date,
          cursor: int = 0) -> Iterator[BiorxivPage]:
    """Yield pages of one server's records posted between two dates, from `cursor`."""
    if server not in SERVERS:
        raise ValueError(f"biorxiv: unknown server {server!r}; use {', '.join(SERVERS)}")
    base = settings.base_url.rstrip("/")
    client.configure_host(base, settings.min_interval, settings.max_concurrency)
    # Paged by our own count: a server that ignores it sends the same records again, and a bogus
    # total would have them fetched until the count reached it.
    seen = SeenCursors(COMPONENT, what="page starting with")
    while True:
        url = f"{base}/details/{server}/{start.isoformat()}/{end.isoformat()}/{cursor}/json"
        page = parse(client.get(url, component=COMPONENT).content, server)
        yield page
        cursor += len(page.items)
        if not page.items or cursor >= page.total:
            return
        seen.records(page.items, "doi")


def stream(server: str) -> Stream:
    """All new records of bioRxiv or medRxiv."""
    if server not in SERVERS:
        raise InputError(f"ingest: unknown server {server!r}; use {', '.join(SERVERS)}")
    return Stream(f"{server}:details", "biorxiv", "bioRxiv" if server == "biorxiv" else "medRxiv",
                  {"server": server})


def pages(client: HttpClient, request: Request) -> Iterator[Page]:
    """A server's records posted in the window (today when it is open), cursor by cursor."""
    settings = request.settings
    end = request.window.end or date.today()
    start = request.window.start or end
    cursor = int(request.resume or 0)
    for page in fetch(client, settings, server=request.stream.params["server"], start=start, end=end, cursor=cursor):
        cursor += len(page.items)
        items = in_categories(page.items, settings.categories) if settings.categories else page.items
        yield Page(items, cursor=str(cursor) if page.items and cursor < page.total else None)


def _read(data: bytes) -> Items:
    yield from parse(data).items


SOURCE = Source(
    "biorxiv", BiorxivSettings,
    streams=lambda group: [stream(v) for v in group.servers],
    asked=lambda name, _group, _options, _window: stream(name),
    fetch=pages,
    names=SERVERS,
    formats=(FileFormat("biorxiv", "bioRxiv/medRxiv details API response (JSON)", read=_read,
                        sniff_json=lambda document: "collection" in document and "messages" in document),),
)
