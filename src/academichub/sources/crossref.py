"""Crossref REST API: `/works` and `/journals/{issn}/works`, date windows, cursor paging.

Abstracts come as JATS XML fragments and are reduced to text; a `has-preprint` or
`is-preprint-of` relation links a journal article to its preprint (arXiv's DataCite DOIs
become arXiv ids), which is how a journal version joins its preprint's work.
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
from academichub.keys import calendar_day, html_to_text, make_author
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

COMPONENT = "crossref"
# Crossref types that are literature a reader follows; reviews, components and datasets are not.
KEPT_TYPES = {"journal-article", "proceedings-article", "posted-content", "book-chapter", "report",
              "monograph", "book", "dissertation", "reference-entry", "edited-book", "peer-reviewed-article"}
PREPRINT_RELATIONS = ("has-preprint", "is-preprint-of")
# A record that updates another (Crossmark's `update-to`) is a notice about it: a correction, an
# erratum, a retraction. Only a new version or edition of a work is a work to read.
UPDATES_THAT_ARE_WORKS = {"new_version", "new_edition"}
_JATS_TITLE = re.compile(r"<jats:title>.*?</jats:title>", re.DOTALL | re.IGNORECASE)
# A structured abstract's sections ("Aim", "Location", "Methods" …): the title runs into its first
# paragraph as PubMed's labels do ("Location: Global, with a North American focus.").
_JATS_SECTION = re.compile(r"<jats:sec\b[^>]*>\s*<jats:title>(.*?)</jats:title>\s*<jats:p\b[^>]*>",
                           re.DOTALL | re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</(?:jats:)?p>", re.IGNORECASE)
_LAYOUT = re.compile(r"[ \t\r\n]+")  # the record's layout; a no-break or thin space is the text's own
_TIGHT_CLOSE = re.compile(r" ([)\]])")
_TIGHT_OPEN = re.compile(r"([(\[]) ")


class CrossrefSettings(SourceSettings):
    """Crossref REST: journals by ISSN, date windows, cursor paging, the polite pool."""

    base_url: str = Field("https://api.crossref.org", description="Crossref REST endpoint.")
    min_interval: Interval = Field(0.2, description="Seconds between requests (polite pool: ~5/s).")
    issns: list[str] = Field(default_factory=list, description="Journals (ISSN) harvested by scheduled runs.")
    rows: int = Field(100, ge=1, le=1000, description="Records per page.")


@dataclass
class CrossrefPage:
    """One page of works and the cursor to the next."""

    total: int
    next_cursor: str | None
    items: list[Paper | Rejected] = field(default_factory=list)


def jats_to_text(abstract: str | None) -> str:
    """A JATS abstract as plain text: the "Abstract" heading dropped, paragraphs kept, each section's
    title before its text (they were dropped: "Global, with a North American focus." and
    "1923–2014." stood as paragraphs of their own, without the "Location" and "Time Period" they answer)."""
    if not abstract:
        return ""
    text = _JATS_SECTION.sub(lambda m: f"<jats:p>{_label(m.group(1))}: ", abstract)
    text = _JATS_TITLE.sub("", text)
    text = _PARAGRAPH_END.sub("\u2029", text)  # a paragraph separator no layout whitespace holds
    # Inside a paragraph, the record's own line breaks and indentation are layout (Wiley's JATS is
    # pretty-printed): kept, they read as paragraph breaks downstream ("We present\n\ntaxadb\n\nR").
    paragraphs = (_LAYOUT.sub(" ", p).strip(" ") for p in html_to_text(text).split("\u2029"))
    # A citation marker (an empty <jats:ext-link/>) leaves its spaces: "(Bjørnstad & Grenfell )".
    return "\n\n".join(_TIGHT_OPEN.sub(r"\1", _TIGHT_CLOSE.sub(r"\1", p)) for p in paragraphs if p)


def _label(title: str) -> str:
    """A section title as a run-in label ("AIM" is "Aim", as PubMed's labels are written)."""
    text = " ".join(html_to_text(title).split()).rstrip(":.")
    return text.capitalize() if text.isupper() else text


def date_parts(value: dict[str, Any] | None) -> date | None:
    """A Crossref date ({"date-parts": [[y, m, d]]}), missing month or day taken as 1."""
    try:
        parts = (value or {})["date-parts"][0][:3]
    except (KeyError, IndexError, TypeError):
        return None
    return calendar_day(*parts) if parts else None  # a day that cannot exist is no date: the work stays


def _authors(item: dict[str, Any]) -> list[Author]:
    authors = []
    for person in item.get("author") or []:
        name = " ".join(p for p in (person.get("given"), person.get("family"), person.get("suffix")) if p) \
            or person.get("name", "")
        orcid = (person.get("ORCID") or "").rsplit("/", 1)[-1] or None
        affiliations = tuple(a.get("name", "") for a in person.get("affiliation") or [] if a.get("name"))
        author = make_author(html_to_text(name), affiliations=affiliations, orcid=orcid)
        if author:
            authors.append(author)
    return authors


def _related(item: dict[str, Any]) -> list[tuple[str, str]]:
    related = []
    for relation in PREPRINT_RELATIONS:
        for target in (item.get("relation") or {}).get(relation) or []:
            kind, value = target.get("id-type"), target.get("id") or ""
            if kind == "doi" and value:
                related.append(("doi", value))
            elif kind == "arxiv" and value:
                related.append(("arxiv_id", value.removeprefix("arXiv:")))
    return related


def work(item: dict[str, Any]) -> Paper | Rejected:
    """Convert one Crossref work."""
    doi = item.get("DOI")
    kind = item.get("type", "")
    if kind and kind not in KEPT_TYPES:
        return not_a_paper(f"type {kind}", ref=doi or "")
    notices = [u.get("type") for u in item.get("update-to") or [] if isinstance(u, dict)
               and u.get("type") not in UPDATES_THAT_ARE_WORKS]
    if notices:
        return not_a_paper(f"notice ({notices[0] or 'update'})", ref=doi or "")
    titles = item.get("title") or []
    title = html_to_text(titles[0]) if titles else ""
    if notice := notice_title(title):  # a notice deposited without `update-to`
        return not_a_paper(f"notice ({notice})", ref=doi or "")
    subtitles = item.get("subtitle") or []
    if subtitles and title and html_to_text(subtitles[0]).lower() not in title.lower():
        title = f"{title}: {html_to_text(subtitles[0])}"
    published = (date_parts(item.get("published-online")) or date_parts(item.get("published-print"))
                 or date_parts(item.get("published")) or date_parts(item.get("issued")))
    venue = (item.get("container-title") or [None])[0] or item.get("publisher")
    links = {"doi": f"https://doi.org/{doi}"} if doi else {}
    resource = ((item.get("resource") or {}).get("primary") or {}).get("URL")
    if resource:
        links["publisher"] = resource
    license_url = next((entry.get("URL") for entry in item.get("license") or [] if entry.get("URL")), None)
    return Paper(
        title=title, source="crossref", abstract=jats_to_text(item.get("abstract")), authors=_authors(item),
        doi=doi, also=tuple(_related(item)), venue=html_to_text(venue) if venue else None,
        categories=[s for s in item.get("subject") or [] if isinstance(s, str)][:8],
        published=published, updated=date_parts(item.get("indexed")), links=links, license=license_url,
    )


def parse(data: bytes) -> CrossrefPage:
    """Parse a `work` or `work-list` response."""
    try:
        document = safejson.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"invalid JSON: {exc}", component=COMPONENT) from None
    if not isinstance(document, dict) or document.get("status") not in (None, "ok"):
        raise ParseError(f"unexpected response: {str(document)[:200]}", component=COMPONENT)
    message = document.get("message")
    kind = document.get("message-type")
    if kind == "work" and isinstance(message, dict):
        return CrossrefPage(1, None, [convert_one(work, message, "Crossref work")])
    if kind == "work-list" and isinstance(message, dict):
        items = convert_all(work, message.get("items"), "Crossref work")
        return CrossrefPage(whole_number(message.get("total-results")), text_or_none(message.get("next-cursor")), items)
    raise ParseError(f"expected a work or work-list message, got {kind!r}", component=COMPONENT)


def window_filter(start: date | None, end: date | None, *, field_name: str = "pub") -> str:
    """A Crossref `filter` for a date window ("index" dates find new and changed records)."""
    parts = []
    if start:
        parts.append(f"from-{field_name}-date:{start.isoformat()}")
    if end:
        parts.append(f"until-{field_name}-date:{end.isoformat()}")
    return ",".join(parts)


def fetch(client: HttpClient, settings: CrossrefSettings, *, issn: str | None = None, query: str | None = None,
          filter_: str = "", cursor: str | None = None, contact: str = "") -> Iterator[CrossrefPage]:
    """Yield pages of works (a journal's when `issn` is given), resuming from `cursor`."""
    base = settings.base_url.rstrip("/")
    url = f"{base}/journals/{issn}/works" if issn else f"{base}/works"
    client.configure_host(url, settings.min_interval, settings.max_concurrency)
    params: dict[str, str | int] = {"rows": settings.rows, "cursor": cursor or "*"}
    if filter_:
        params["filter"] = filter_
    if query:
        params["query"] = query
    if contact:
        params["mailto"] = contact  # Crossref's polite pool
    seen = SeenCursors(COMPONENT)
    while True:
        page = parse(client.get(url, params=params, component=COMPONENT).content)
        yield page
        if not page.items or not page.next_cursor or page.next_cursor == params["cursor"]:
            return
        params["cursor"] = seen.next(page.next_cursor)  # a cycle of cursors (A, B, A) ends with an error


def stream(issn: str | None = None, query: str | None = None) -> Stream:
    """A journal's works (by ISSN) or a Crossref query."""
    if issn:
        return Stream(f"crossref:issn:{issn}", "crossref", f"Crossref · ISSN {issn}", {"issn": issn})
    if query:
        return Stream(f"crossref:query:{query}", "crossref", f"Crossref · “{query}”", {"query": query})
    raise InputError("ingest: crossref needs --issn or --query")


def pages(client: HttpClient, request: Request) -> Iterator[Page]:
    """A stream's pages, cursor by cursor."""
    params = request.stream.params
    # Scheduled runs follow index dates (new and changed records); explicit windows publication dates.
    field_name = "index" if request.incremental else "pub"
    filter_ = window_filter(request.window.start, request.window.end, field_name=field_name)
    for page in fetch(client, request.settings, issn=params.get("issn"), query=params.get("query"), filter_=filter_,
                      cursor=request.resume, contact=request.http.contact_email):
        yield Page(page.items, cursor=page.next_cursor if page.items else None)


def _read(data: bytes) -> Items:
    yield from parse(data).items


SOURCE = Source(
    "crossref", CrossrefSettings,
    streams=lambda group: [stream(issn=i) for i in group.issns],
    asked=lambda _name, _group, options, _window: stream(issn=options.get("issn"), query=options.get("query")),
    fetch=pages,
    options=(CliOption("issn", "a journal's ISSN."), CliOption("query", "a search query.")),
    formats=(FileFormat("crossref", "Crossref REST /works response (work or work-list JSON)", read=_read,
                        sniff_json=lambda document: "message-type" in document),),
)
