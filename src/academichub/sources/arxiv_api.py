"""arXiv's query API (export.arxiv.org/api/query): Atom pages for searches, authors and id lists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from academichub.errors import ParseError, ProtocolError
from academichub.keys import make_author, parse_arxiv_id, parse_date
from academichub.model import Author, Paper, Rejected
from academichub.sources.arxiv_common import ArxivSettings, arxiv_paper
from academichub.sources.http import HttpClient
from academichub.sources.safexml import local_name, parse_xml, text_of

COMPONENT = "arxiv-api"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


@dataclass
class ApiPage:
    """One page of query results and where it sits in the whole result list."""

    total: int
    start: int
    per_page: int
    items: list[Paper | Rejected] = field(default_factory=list)


def _int(root: etree._Element, path: str, default: int) -> int:
    value = text_of(root.find(path, NS)).strip()
    return int(value) if value.isdigit() else default


def _authors(entry: etree._Element) -> list[Author]:
    authors: list[Author] = []
    for node in entry.iterfind("atom:author", NS):
        affiliations = tuple(text_of(a).strip() for a in node.iterfind("arxiv:affiliation", NS))
        author = make_author(text_of(node.find("atom:name", NS)), affiliations=affiliations)
        if author:
            authors.append(author)
    return authors


def _entry(entry: etree._Element) -> Paper | Rejected:
    ident = text_of(entry.find("atom:id", NS)).strip()
    if "/api/errors" in ident:
        raise ProtocolError(text_of(entry.find("atom:summary", NS)).strip() or ident,
                            component=COMPONENT, code="error")
    try:
        arxiv_id, version = parse_arxiv_id(ident)
    except ValueError:
        return Rejected("entry id is not an arXiv identifier", ref=ident)
    primary = entry.find("arxiv:primary_category", NS)
    return arxiv_paper(
        arxiv_id=arxiv_id,
        version=version,
        title=text_of(entry.find("atom:title", NS)),
        abstract=text_of(entry.find("atom:summary", NS)),
        authors=_authors(entry),
        categories=[c.get("term", "") for c in entry.iterfind("atom:category", NS)],
        primary=primary.get("term") if primary is not None else None,
        doi=text_of(entry.find("arxiv:doi", NS)) or None,
        journal_ref=text_of(entry.find("arxiv:journal_ref", NS)) or None,
        comment=text_of(entry.find("arxiv:comment", NS)) or None,
        submitted=parse_date(text_of(entry.find("atom:published", NS))),
        updated=parse_date(text_of(entry.find("atom:updated", NS))),
    )


def parse(data: bytes) -> ApiPage:
    """Parse one Atom page of the query API; an API error entry raises ProtocolError."""
    root = parse_xml(data, component=COMPONENT)
    if local_name(root) != "feed":
        raise ParseError(f"expected an Atom <feed>, found <{local_name(root)}>", component=COMPONENT)
    entries = root.findall("atom:entry", NS)
    page = ApiPage(
        total=_int(root, "opensearch:totalResults", len(entries)),
        start=_int(root, "opensearch:startIndex", 0),
        per_page=_int(root, "opensearch:itemsPerPage", len(entries)),
    )
    page.items = [_entry(entry) for entry in entries]
    return page


def author_query(name: str) -> str:
    """The search_query that finds papers by an author ("au:" with the name quoted)."""
    return f'au:"{name.replace(chr(34), "")}"'


def fetch(
    client: HttpClient,
    settings: ArxivSettings,
    *,
    search_query: str = "",
    id_list: list[str] | None = None,
    max_results: int = 100,
    sort_by: str = "submittedDate",
    start: int = 0,
) -> Iterator[ApiPage]:
    """Yield result pages from `start` until `max_results` items or the end of the results."""
    if not search_query and not id_list:
        raise ValueError("arxiv-api: give a search query or an id list")
    client.configure_host(settings.api_url, settings.min_interval, settings.max_concurrency)
    while start < max_results:
        params: dict[str, str | int] = {
            "search_query": search_query,
            "id_list": ",".join(id_list or []),
            "start": start,
            "max_results": min(settings.page_size, max_results - start),
            "sortBy": sort_by,
            "sortOrder": "descending",
        }
        page = parse(client.get(settings.api_url, params=params, component=COMPONENT).content)
        yield page
        # An empty page before the announced total is arXiv's known flakiness; stop rather than loop.
        if not page.items or start + len(page.items) >= page.total:
            return
        start += len(page.items)
