"""bioRxiv and medRxiv `details` API: date intervals paged by cursor, with categories.

A record's `published` field, when it is a DOI, names the journal version; it is kept as a
second identifier of the work so that the journal record (from Crossref or OpenAlex) joins it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from academichub.errors import ParseError
from academichub.keys import make_author, normalise_doi, parse_date
from academichub.model import Author, Paper, Rejected
from academichub.sources.records import convert_all, whole_number
from academichub.settings import BiorxivSettings
from academichub.sources.http import HttpClient

COMPONENT = "biorxiv"
SERVERS = ("biorxiv", "medrxiv")
SITES = {"biorxiv": "https://www.biorxiv.org", "medrxiv": "https://www.medrxiv.org"}


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
    return Paper(
        title=item.get("title") or "", source=server, abstract=item.get("abstract") or "",
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
        document = json.loads(data)
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
    while True:
        url = f"{base}/details/{server}/{start.isoformat()}/{end.isoformat()}/{cursor}/json"
        page = parse(client.get(url, component=COMPONENT).content, server)
        yield page
        cursor += len(page.items)
        if not page.items or cursor >= page.total:
            return
