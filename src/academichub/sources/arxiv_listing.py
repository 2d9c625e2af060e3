"""arXiv's daily listing feeds (rss.arxiv.org, 2024+ format), as RSS 2.0, Atom or feedparser JSON.

Each item's description starts "arXiv:2504.01979v1 Announce Type: new Abstract: …"; the announce
type becomes a field and the abstract is cleaned of that preamble. `new` and `cross` items are
dated by the announcement; `replace` items only update a work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from academichub import safejson
from academichub.errors import ParseError
from academichub.keys import authors_from_text, html_to_text, parse_arxiv_id, parse_date
from academichub.model import Paper, Rejected
from academichub.sources.arxiv_common import (
    ArxivSettings,
    arxiv_paper,
    category_of_feed_title,
    split_listing_description,
    strip_old_title_suffix,
)
from academichub.sources.http import FetchResult, HttpClient
from academichub.sources.safexml import local_name, parse_xml, text_of

COMPONENT = "arxiv-listing"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "dc": "http://purl.org/dc/elements/1.1/",
}


@dataclass
class Listing:
    """One parsed listing: its announcement day and items."""

    title: str
    day: date | None
    items: list[Paper | Rejected] = field(default_factory=list)


@dataclass
class _Item:
    guid: str
    title: str
    description: str
    creators: str
    categories: list[str]
    day: date | None
    announce_type: str | None
    license: str | None
    # feedparser gives a description as HTML (its "summary"): "S&P500" is "S&amp;P500" there, and
    # the listing's own XML gives it as text.
    html: bool = False


def _to_paper(item: _Item, feed_category: str | None) -> Paper | Rejected:
    arxiv_id, version, kind, abstract = split_listing_description(item.description)
    if arxiv_id is None:
        try:
            arxiv_id, version = parse_arxiv_id(item.guid)
        except ValueError:
            return Rejected("no arXiv identifier in item", ref=item.guid or item.title[:80])
    kind = (item.announce_type or kind or "new").lower()
    if "<" in abstract or (item.html and "&" in abstract):  # pre-2024 feeds carried HTML in the description
        abstract = html_to_text(abstract)
    categories = item.categories or ([feed_category] if feed_category else [])
    replaced = kind.startswith("replace")
    return arxiv_paper(
        arxiv_id=arxiv_id,
        version=version,
        title=strip_old_title_suffix(item.title),
        abstract=abstract,
        authors=authors_from_text(html_to_text(item.creators)),
        categories=categories,
        announced=None if replaced else item.day,
        updated=item.day if replaced else None,
        announce_type=kind,
        license=item.license,
    )


def _rss_items(channel: etree._Element) -> Iterator[_Item]:
    for node in channel.iterfind("item"):
        yield _Item(
            guid=text_of(node.find("guid")) or text_of(node.find("link")),
            title=text_of(node.find("title")),
            description=text_of(node.find("description")),
            creators=", ".join(text_of(c) for c in node.iterfind("dc:creator", NS)),
            categories=[text_of(c).strip() for c in node.iterfind("category")],
            day=parse_date(text_of(node.find("pubDate"))),
            announce_type=text_of(node.find("arxiv:announce_type", NS)) or None,
            license=text_of(node.find("dc:rights", NS)) or None,
        )


def _atom_items(feed: etree._Element) -> Iterator[_Item]:
    for node in feed.iterfind("atom:entry", NS):
        creators = [text_of(c) for c in node.iterfind("dc:creator", NS)]
        creators += [text_of(a.find("atom:name", NS)) for a in node.iterfind("atom:author", NS)]
        yield _Item(
            guid=text_of(node.find("atom:id", NS)),
            title=text_of(node.find("atom:title", NS)),
            description=text_of(node.find("atom:summary", NS)),
            creators=", ".join(c for c in creators if c),
            categories=[c.get("term", "") for c in node.iterfind("atom:category", NS)],
            day=parse_date(text_of(node.find("atom:published", NS)) or text_of(node.find("atom:updated", NS))),
            announce_type=text_of(node.find("arxiv:announce_type", NS)) or None,
            license=text_of(node.find("atom:rights", NS)) or None,
        )


def parse(data: bytes) -> Listing:
    """Parse a listing feed in RSS 2.0 or Atom form."""
    root = parse_xml(data, component=COMPONENT)
    name = local_name(root)
    if name == "rss" and root.find("channel") is not None:
        channel = root.find("channel")
        title = text_of(channel.find("title"))
        day = parse_date(text_of(channel.find("pubDate")) or text_of(channel.find("lastBuildDate")))
        raw_items = list(_rss_items(channel))
    elif name == "feed":
        title = text_of(root.find("atom:title", NS))
        day = parse_date(text_of(root.find("atom:updated", NS)))
        raw_items = list(_atom_items(root))
    else:
        raise ParseError(f"expected an RSS or Atom listing, found <{name}>", component=COMPONENT)
    feed_category = category_of_feed_title(title)
    items = [_to_paper(_with_day(item, day), feed_category) for item in raw_items]
    return Listing(title=title, day=day, items=items)


def _with_day(item: _Item, day: date | None) -> _Item:
    if item.day is None:
        item.day = day
    return item


def parse_feedparser_json(data: bytes) -> list[Listing]:
    """Parse a feedparser cache ({url: {"feed", "entries"}} or one {"feed", "entries"})."""
    try:
        document: Any = safejson.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"invalid JSON: {exc}", component=COMPONENT) from None
    if isinstance(document, dict) and "entries" in document:
        document = {"": document}
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in document.values()):
        raise ParseError("expected feedparser output: {url: {feed, entries}}", component=COMPONENT)
    return [_listing_from_feedparser(parsed) for parsed in document.values()]


def _listing_from_feedparser(parsed: dict[str, Any]) -> Listing:
    feed = parsed.get("feed") or {}
    title = str(feed.get("title", ""))
    day = parse_date(feed.get("published") or feed.get("updated"))
    feed_category = category_of_feed_title(title)
    items: list[Paper | Rejected] = []
    for entry in parsed.get("entries") or []:
        if not isinstance(entry, dict):
            items.append(Rejected("entry is not an object"))
            continue
        tags = [str(t.get("term", "")) for t in entry.get("tags") or [] if isinstance(t, dict)]
        item = _Item(
            guid=str(entry.get("id") or entry.get("link") or ""),
            title=str(entry.get("title") or ""),
            description=str(entry.get("summary") or ""),
            creators=str(entry.get("author") or ""),
            categories=[t for t in tags if t],
            day=parse_date(entry.get("published")) or day,
            announce_type=entry.get("arxiv_announce_type"),
            license=entry.get("rights"),
            html=True,
        )
        items.append(_to_paper(item, feed_category))
    return Listing(title=title, day=day, items=items)


def listing_url(settings: ArxivSettings, categories: list[str], *, atom: bool = False) -> str:
    """URL of the daily listing for `categories` (joined with '+', as rss.arxiv.org expects)."""
    return f"{settings.base_url.rstrip('/')}/{'atom' if atom else 'rss'}/{'+'.join(categories)}"


def fetch(client: HttpClient, settings: ArxivSettings, categories: list[str], *, etag: str | None = None,
          last_modified: str | None = None) -> FetchResult:
    """Fetch today's listing of `categories` (conditionally, given the last run's validators)."""
    url = listing_url(settings, categories)
    client.configure_host(url, settings.min_interval, settings.max_concurrency)
    return client.get(url, component=COMPONENT, etag=etag, last_modified=last_modified)
