"""Any journal's RSS 1.0 (RDF), RSS 2.0 or Atom feed, read with feedparser.

Publishers put the DOI in different places (prism:doi, dc:identifier, the link); titles and
summaries often carry HTML and are reduced to text. Well-known journals ship as presets;
any other feed URL works too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser
from pydantic import Field

from academichub.errors import InputError, ParseError
from academichub.keys import authors_from_text, html_to_text, make_author, normalise_doi, parse_date
from academichub.model import Author, Paper, Rejected, not_a_paper
from academichub.sources.contract import (
    CadenceHours,
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
from academichub.sources.http import FetchResult, HttpClient
from academichub.sources.records import each, notice_title
from academichub.sources.safexml import check_no_entities

COMPONENT = "journal-rss"
# Nature's feeds open the summary with "Nature, Published online: …; doi:…", not an abstract.
_PUBLISHED_PREAMBLE = re.compile(r"^\s*<p>[^<]*Published online:.*?</p>", re.DOTALL | re.IGNORECASE)
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")
# Atypon's tables of contents (Science, PNAS, NEJM, ACS) open the description with the issue's
# citation, "Science, Volume 387, Issue 6730, Page 149-151, January 2025." (often all there is).
_CITATION_PREAMBLE = re.compile(r"^[^,.]{2,120}, Volume \w+, Issue \w+(?:, Pages? [\w–-]+)?, "
                                r"(?:[A-Z][a-z]+ \d{4}|Ahead of Print)\.\s*")
# APS (Physical Review) summaries: "Author(s): …" first, "[Phys. Rev. … ] Published Mon Dec 07, 2026" last.
_APS_AUTHORS = re.compile(r"\s*Author\(s\):\s*")
_APS_TRAILER = re.compile(r"\s*\[[^\[\]]{3,120}\]\s*Published\s+\w{3},?\s+\w{3}\s+\d{1,2},\s+\d{4}\s*$")


class JournalsSettings(SourceSettings):
    """Journal RSS 1.0 / RSS 2.0 / Atom feeds: presets by name, or any URL."""

    min_interval: Interval = Field(1.0, description="Seconds between requests to one publisher host.")
    cadence_hours: CadenceHours = Field(4.0, description="Hours between scheduled runs.")
    feeds: list[str] = Field(default_factory=list,
                             description='Preset names (see `academichub sources --presets`) or feed URLs.')


@dataclass(frozen=True)
class Preset:
    """A well-known journal feed."""

    name: str
    title: str
    url: str


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("nature", "Nature", "https://www.nature.com/nature.rss"),
    Preset("nature-communications", "Nature Communications", "https://www.nature.com/ncomms.rss"),
    Preset("nature-physics", "Nature Physics", "https://www.nature.com/nphys.rss"),
    Preset("nature-machine-intelligence", "Nature Machine Intelligence", "https://www.nature.com/natmachintell.rss"),
    Preset("science", "Science", "https://www.science.org/action/showFeed?type=etoc&feed=rss&jc=science"),
    Preset("science-advances", "Science Advances",
           "https://www.science.org/action/showFeed?type=etoc&feed=rss&jc=sciadv"),
    Preset("cell", "Cell", "https://www.cell.com/cell/current.rss"),
    Preset("pnas", "PNAS", "https://www.pnas.org/action/showFeed?type=etoc&feed=rss&jc=pnas"),
    Preset("prl", "Physical Review Letters", "https://feeds.aps.org/rss/recent/prl.xml"),
    Preset("prx", "Physical Review X", "https://feeds.aps.org/rss/recent/prx.xml"),
    Preset("elife", "eLife", "https://elifesciences.org/rss/recent.xml"),
    Preset("lancet", "The Lancet", "https://www.thelancet.com/rssfeed/lancet_current.xml"),
    Preset("nejm", "New England Journal of Medicine",
           "https://www.nejm.org/action/showFeed?jc=nejm&type=etoc&feed=rss"),
    Preset("jacs", "Journal of the American Chemical Society",
           "https://pubs.acs.org/action/showFeed?type=axatoc&feed=rss&jc=jacsat"),
)}


def feed_url(name_or_url: str) -> str:
    """The URL of a preset name, or the URL itself."""
    if name_or_url in PRESETS:
        return PRESETS[name_or_url].url
    if name_or_url.startswith(("http://", "https://")):
        return name_or_url
    raise ValueError(f"journal-rss: {name_or_url!r} is neither a preset ({', '.join(PRESETS)}) nor a URL")


def _doi(entry: dict[str, Any]) -> str | None:
    for candidate in (entry.get("prism_doi"), entry.get("dc_identifier"), entry.get("id"), entry.get("link")):
        if isinstance(candidate, str) and candidate.startswith(("http://", "https://")):
            # A link's query is not part of the DOI it holds: Science's ".../doi/abs/10.1126/science.adu7471?af=R".
            candidate = unquote(urlsplit(candidate).path)
        doi = normalise_doi(candidate) or (normalise_doi(m.group(0)) if candidate and
                                           (m := _DOI_IN_TEXT.search(candidate)) else None)
        if doi:
            return doi
    return None


def _authors(entry: dict[str, Any]) -> list[Author]:
    names = [a.get("name", "") for a in entry.get("authors") or [] if isinstance(a, dict)]
    if len(names) == 1 and ("," in names[0] or " and " in names[0]):
        return authors_from_text(html_to_text(names[0]))
    return [a for a in (make_author(html_to_text(n)) for n in names if n) if a]


def _abstract(entry: dict[str, Any], title: str) -> str:
    content = entry.get("content") or []
    raw = content[0].get("value", "") if content else entry.get("summary", "")
    text = html_to_text(_PUBLISHED_PREAMBLE.sub("", raw or "")).strip()
    text = _CITATION_PREAMBLE.sub("", text)
    text = _without_aps_frame(text, html_to_text(entry.get("author") or ""))
    return "" if text == title else text  # some feeds repeat the title as the "summary"


def _without_aps_frame(text: str, authors: str) -> str:
    """The abstract of an APS feed's summary, which opens with "Author(s): A, B, and C" (the
    entry's own author line) and closes with "[Phys. Rev. Lett. 133, 123456] Published Mon Dec 07,
    2026": both were shown as the first and last words of the abstract."""
    if match := _APS_AUTHORS.match(text):
        rest = text[match.end():]
        authors = " ".join(authors.split())
        text = rest[len(authors):] if authors and " ".join(rest.split()).startswith(authors) else rest
    return _APS_TRAILER.sub("", text).strip()


def entry_paper(entry: dict[str, Any], venue: str | None) -> Paper | Rejected:
    """Convert one feed entry."""
    title = html_to_text(entry.get("title", "")).strip()
    link = entry.get("link")
    doi = _doi(entry)
    if notice := notice_title(title):  # a feed says nothing else of it: Nature's "Author Correction: …"
        return not_a_paper(f"notice ({notice})", ref=doi or title[:80])
    if not doi and not link:
        return Rejected("entry without DOI or link", ref=title[:80])
    published = parse_date(entry.get("prism_publicationdate") or entry.get("dc_date") or entry.get("published")
                           or entry.get("updated"))
    tags = [t.get("term", "") for t in entry.get("tags") or [] if isinstance(t, dict) and t.get("term")]
    links = {"publisher": link} if link else {}
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    return Paper(
        title=title, source="journal", abstract=_abstract(entry, title), authors=_authors(entry), doi=doi,
        url=None if doi else link, venue=entry.get("prism_publicationname") or venue,
        categories=tags[:5], published=published, announced=published, links=links,
    )


FEEDPARSER_FAILURES = (ValueError, TypeError, AttributeError, IndexError, KeyError, AssertionError)


def parse(data: bytes) -> list[Paper | Rejected]:
    """Parse a journal feed's bytes."""
    if not data or not data.strip():
        raise ParseError("empty response, expected a feed", component=COMPONENT)
    check_no_entities(data, component=COMPONENT)  # feedparser's own parsers are not ours to configure
    try:
        parsed = feedparser.parse(data)
    except FEEDPARSER_FAILURES as exc:
        # feedparser reports what it can parse around as `bozo`; a few inputs break its SAX
        # handlers instead: a namespace URI holding U+0085, which decoding as Latin-1 makes of a
        # stray byte, splits in two and its handler raises ValueError (found by tests/test_fuzz.py).
        raise ParseError(f"malformed feed: its XML breaks the feed parser ({type(exc).__name__}: {exc})",
                         component=COMPONENT) from None
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ParseError(f"no feed entries{f' ({problem})' if problem else ''}", component=COMPONENT)
    venue = parsed.feed.get("prism_publicationname") or parsed.feed.get("title")
    venue = venue if isinstance(venue, str) else None
    return each(lambda e: entry_paper(e, venue), parsed.entries, "feed entry")


def fetch(client: HttpClient, settings: JournalsSettings, url: str, *, etag: str | None = None,
          last_modified: str | None = None) -> FetchResult:
    """Fetch a feed, conditionally when validators from the last run are given."""
    client.configure_host(url, settings.min_interval, settings.max_concurrency)
    return client.get(url, component=COMPONENT, etag=etag, last_modified=last_modified)


def stream(feed: str) -> Stream:
    """A journal feed, by preset name or URL."""
    try:
        url = feed_url(feed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    preset = PRESETS.get(feed)
    return Stream(f"journal:{feed}", "journal", preset.title if preset else feed, {"url": url}, windowless=True)


def _asked(_name: str, _group: JournalsSettings, options: Mapping[str, Any], _window: object) -> Stream:
    if not options.get("feed"):
        raise InputError("ingest: journal needs --feed NAME|URL (presets: academichub sources --presets)")
    return stream(options["feed"])


def pages(client: HttpClient, request: Request) -> Iterator[Page]:
    """The feed as it is now (a conditional GET)."""
    result = fetch(client, request.settings, request.stream.params["url"], etag=request.etag,
                   last_modified=request.last_modified)
    yield Page.of(result, parse)


def _read(data: bytes) -> Items:
    yield from parse(data)


SOURCE = Source(
    "journal", JournalsSettings,
    streams=lambda group: [stream(f) for f in group.feeds],
    asked=_asked,
    fetch=pages,
    settings_key="journals",
    options=(CliOption("feed", "a preset name or a feed URL."),),
    # Any feed of these roots: arXiv's listings tell themselves apart first (see sources/arxiv.py).
    formats=(FileFormat("journal-rss", "any journal feed: RSS 1.0 (RDF), RSS 2.0 or Atom", read=_read,
                        xml_roots=frozenset({"rss", "feed", "rdf:RDF", "RDF"})),),
)
