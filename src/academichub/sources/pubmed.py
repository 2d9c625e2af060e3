"""PubMed E-utilities: esearch with history (WebEnv) then efetch XML in batches.

`parse` reads efetch's PubmedArticleSet, esummary's DocSums and PMC's JATS article sets.
NCBI's rule is 3 requests per second without an API key and 10 with one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from lxml import etree
from pydantic import Field

from academichub.errors import InputError, ParseError, ProtocolError
from academichub.inline_text import element_text, medline_scripts
from academichub.keys import authors_from_text, calendar_day, clean_line, make_author, pubmed_url
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
from academichub.sources.records import each
from academichub.sources.safexml import local_name, parse_xml, text_of

COMPONENT = "pubmed"
# Notices about other articles, not literature a reader follows: the NLM's publication types for
# them, and JATS's article types (a PMC article set).
NOTICE_TYPES = frozenset({"Published Erratum", "Retraction of Publication", "Expression of Concern"})
JATS_NOTICES = frozenset({"correction", "retraction", "expression-of-concern"})
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec"], start=1)}


class PubmedSettings(SourceSettings):
    """PubMed E-utilities: esearch with history, then efetch in batches."""

    base_url: str = Field("https://eutils.ncbi.nlm.nih.gov/entrez/eutils", description="E-utilities base.")
    min_interval: Interval = Field(0.34, description="3 requests/s without a key (0.1 s is used with one).")
    queries: list[str] = Field(default_factory=list, description="Searches harvested by scheduled runs.")
    batch_size: int = Field(200, ge=1, le=10000, description="Records per efetch.")


@dataclass
class Search:
    """An esearch answer: how many records, their ids, and the history handle."""

    count: int
    ids: list[str] = field(default_factory=list)
    web_env: str | None = None
    query_key: str | None = None


def _month(text: str) -> int:
    text = text.strip().lower()[:3]
    return int(text) if text.isdigit() else MONTHS.get(text, 1)


def _ymd(node: etree._Element | None) -> date | None:
    """A date from <Year>/<Month>/<Day> children, or a MedlineDate such as "1998 Dec-1999 Jan"."""
    if node is None:
        return None
    year = text_of(node.find("Year")).strip()
    if not year.isdigit():
        medline = text_of(node.find("MedlineDate")).split()
        if not medline or not medline[0][:4].isdigit():
            return None
        year, month = medline[0][:4], _month(medline[1]) if len(medline) > 1 else 1
        return calendar_day(year, month)
    day = text_of(node.find("Day")).strip()
    return calendar_day(year, _month(text_of(node.find("Month")) or "1"), int(day) if day.isdigit() else 1)


def _abstract(article: etree._Element) -> str:
    parts = []
    for node in article.iterfind("Abstract/AbstractText"):
        label = node.get("Label")
        text = medline_scripts(clean_line(element_text(node)))
        if text:
            parts.append(f"{label.capitalize()}: {text}" if label else text)
    return "\n\n".join(parts)


def _authors(article: etree._Element) -> list[Author]:
    authors = []
    for node in article.iterfind("AuthorList/Author"):
        if node.get("ValidYN") == "N":
            continue
        name = text_of(node.find("CollectiveName")) or " ".join(
            p for p in (text_of(node.find("ForeName")), text_of(node.find("LastName"))) if p)
        orcid = next((text_of(i).rsplit("/", 1)[-1] for i in node.iterfind("Identifier") if i.get("Source") == "ORCID"),
                     None)
        affiliations = tuple(clean_line(text_of(a)) for a in node.iterfind("AffiliationInfo/Affiliation"))
        author = make_author(name, affiliations=affiliations, orcid=orcid)
        if author:
            authors.append(author)
    return authors


# MEDLINE ends every title with a full stop ("… risk of pancreatic cancer."), where arXiv's,
# Crossref's and the journals' feeds have none: a feed of both read as two styles. The stop goes
# (after a word, a number or a bracket); "?", "!" and an initial's stop ("U.S.") stay.
_FINAL_STOP = re.compile(r"(?<=[a-z0-9)\]])\.$")


def _marked_text(element: etree._Element | None) -> str:
    """A title's or an abstract's text, its scripts and formulas kept legible."""
    return "" if element is None else element_text(element)


def _jats_abstract(abstract: etree._Element | None) -> str:
    """A PMC (JATS) abstract: its paragraphs, each section's title run into its first one
    ("Background: …"), where the whole was one line and titles ran into the text
    ("BackgroundCells die.MethodsWe looked")."""
    if abstract is None:
        return ""
    paragraphs: list[str] = []
    label = ""
    for node in abstract.iter():
        name = local_name(node) if isinstance(node.tag, str) else ""
        if name == "title" and local_name(node.getparent()) == "sec":
            label = clean_line(element_text(node)).rstrip(":.")
        elif name == "p" and not node.xpath("ancestor::*[local-name()='p']"):  # a list's <p> is its paragraph's
            text = clean_line(element_text(node))
            if text:
                paragraphs.append(f"{label}: {text}" if label else text)
                label = ""
    return "\n\n".join(paragraphs) or clean_line(element_text(abstract))


def _title(text: str) -> str:
    return _FINAL_STOP.sub("", medline_scripts(clean_line(text)))


def _article(entry: etree._Element) -> Paper | Rejected:
    citation = entry.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    pmid = text_of(citation.find("PMID")).strip() if citation is not None else ""
    if article is None or not pmid:
        return Rejected("PubmedArticle without an Article", ref=pmid)
    types = {text_of(t).strip() for t in article.iterfind("PublicationTypeList/PublicationType")}
    if notices := sorted(types & NOTICE_TYPES):
        return not_a_paper(f"notice ({notices[0]})", ref=pmid)
    ids = {i.get("IdType"): text_of(i).strip() for i in entry.iterfind("PubmedData/ArticleIdList/ArticleId")}
    doi = ids.get("doi") or next((text_of(e) for e in article.iterfind("ELocationID") if e.get("EIdType") == "doi"), None)
    electronic = next((d for d in article.iterfind("ArticleDate") if d.get("DateType") == "Electronic"), None)
    entered = next((d for d in entry.iterfind("PubmedData/History/PubMedPubDate") if d.get("PubStatus") == "pubmed"),
                   None)
    links = {"pubmed": pubmed_url(pmid)}
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    return Paper(
        title=_title(_marked_text(article.find("ArticleTitle")) or _marked_text(article.find("VernacularTitle"))),
        source="pubmed", abstract=_abstract(article), authors=_authors(article), pmid=pmid, doi=doi,
        also=(("arxiv_id", ids["arxiv"]),) if ids.get("arxiv") else (),
        venue=clean_line(text_of(article.find("Journal/Title"))) or None,
        published=_ymd(electronic) or _ymd(article.find("Journal/JournalIssue/PubDate")),
        announced=_ymd(entered), links=links,
    )


def _docsum(entry: etree._Element) -> Paper | Rejected:
    items = {i.get("Name"): i for i in entry.iterfind("Item")}
    pmid = text_of(entry.find("Id")).strip()
    types = {text_of(t).strip() for t in items["PubTypeList"].iterfind("Item")} if "PubTypeList" in items else set()
    if notices := sorted(types & NOTICE_TYPES):
        return not_a_paper(f"notice ({notices[0]})", ref=pmid)
    names = [text_of(a) for a in items["AuthorList"].iterfind("Item")] if "AuthorList" in items else []
    ids = {i.get("Name"): text_of(i) for i in items["ArticleIds"].iterfind("Item")} if "ArticleIds" in items else {}
    pubdate = text_of(items.get("PubDate")).split()
    published = None
    if pubdate and pubdate[0].isdigit():
        published = calendar_day(pubdate[0], _month(pubdate[1]) if len(pubdate) > 1 else 1, 1)
    return Paper(
        title=_title(text_of(items.get("Title"))), source="pubmed", pmid=pmid, doi=ids.get("doi") or None,
        authors=[a for a in (make_author(n) for n in names) if a],
        venue=clean_line(text_of(items.get("FullJournalName")) or text_of(items.get("Source"))) or None,
        published=published, links={"pubmed": pubmed_url(pmid)},
    )


def _jats(article: etree._Element) -> Paper | Rejected:
    meta = article.find("front/article-meta")
    if meta is None:
        return Rejected("JATS article without article-meta")
    if article.get("article-type") in JATS_NOTICES:
        return not_a_paper(f"notice ({article.get('article-type')})")
    ids = {i.get("pub-id-type"): text_of(i).strip() for i in meta.iterfind("article-id")}
    names = [" ".join(p for p in (text_of(c.find("name/given-names")), text_of(c.find("name/surname"))) if p)
             for c in meta.iterfind("contrib-group/contrib") if c.get("contrib-type") == "author"]
    published = next((_ymd_lower(d) for d in meta.iterfind("pub-date")), None)
    return Paper(
        title=clean_line(_marked_text(meta.find("title-group/article-title"))), source="pubmed",
        abstract=_jats_abstract(meta.find("abstract")), authors=authors_from_text(", ".join(names)),
        pmid=ids.get("pmid"), doi=ids.get("doi"),
        venue=clean_line(text_of(article.find("front/journal-meta/journal-title-group/journal-title"))) or None,
        published=published,
    )


def _ymd_lower(node: etree._Element) -> date | None:
    year, month, day = (text_of(node.find(n)).strip() for n in ("year", "month", "day"))
    return calendar_day(year, int(month) if month.isdigit() else 1, int(day) if day.isdigit() else 1)


def parse(data: bytes) -> list[Paper | Rejected]:
    """Parse efetch (PubmedArticleSet), esummary (eSummaryResult) or PMC (pmc-articleset) XML."""
    root = parse_xml(data, component=COMPONENT)
    name = local_name(root)
    if name == "PubmedArticleSet":
        items = each(_article, root.iterfind("PubmedArticle"), "PubMed article")
        items += [not_a_paper("book record", ref=text_of(b.find(".//PMID"))) for b in root.iterfind("PubmedBookArticle")]
        return items
    if name == "eSummaryResult":
        return each(_docsum, root.iterfind("DocSum"), "PubMed summary")
    if name == "pmc-articleset":
        return each(_jats, root.iterfind("article"), "PMC article")
    if name in ("eSearchResult", "eLinkResult"):
        raise ParseError(f"an {name} lists ids, not works; fetch them with efetch", component=COMPONENT)
    raise ParseError(f"expected PubMed XML (PubmedArticleSet), found <{name}>", component=COMPONENT)


def parse_search(data: bytes) -> Search:
    """Parse an esearch answer; an <ERROR> raises ProtocolError."""
    root = parse_xml(data, component=COMPONENT)
    if local_name(root) != "eSearchResult":
        raise ParseError(f"expected <eSearchResult>, found <{local_name(root)}>", component=COMPONENT)
    error = text_of(root.find("ERROR"))
    if error:
        raise ProtocolError(f"esearch error: {error}", component=COMPONENT, code="esearch")
    count = text_of(root.find("Count")).strip()
    return Search(int(count) if count.isdigit() else 0, [text_of(i).strip() for i in root.iterfind("IdList/Id")],
                  text_of(root.find("WebEnv")).strip() or None, text_of(root.find("QueryKey")).strip() or None)


def _params(settings: PubmedSettings, contact: str) -> dict[str, str | int]:
    params: dict[str, str | int] = {"db": "pubmed", "tool": "academichub"}
    if contact:
        params["email"] = contact
    if settings.api_key:
        params["api_key"] = settings.api_key.get_secret_value()
    return params


def search(client: HttpClient, settings: PubmedSettings, term: str, *, contact: str = "") -> Search:
    """esearch with usehistory=y; the WebEnv then serves efetch."""
    base = settings.base_url.rstrip("/")
    # NCBI: 3 requests/s without a key, 10 with one.
    interval = min(settings.min_interval, 0.1) if settings.api_key else max(settings.min_interval, 0.34)
    client.configure_host(base, interval, settings.max_concurrency)
    params = {**_params(settings, contact), "term": term, "usehistory": "y", "retmax": 0}
    return parse_search(client.get(f"{base}/esearch.fcgi", params=params, component=COMPONENT).content)


def fetch(client: HttpClient, settings: PubmedSettings, found: Search, *, start: int = 0,
          contact: str = "") -> Iterator[tuple[int, list[Paper | Rejected]]]:
    """efetch the searched records in batches from `start`; yields (next start, records)."""
    base = settings.base_url.rstrip("/")
    params: dict[str, str | int] = {**_params(settings, contact), "retmode": "xml", "retmax": settings.batch_size}
    if found.web_env and found.query_key:
        params.update(WebEnv=found.web_env, query_key=found.query_key)
    total = found.count if found.web_env else len(found.ids)
    seen = SeenCursors(COMPONENT, what="batch starting with")  # a server ignoring retstart repeats its records
    while start < total:
        if not found.web_env:  # no history: fetch by ids
            params["id"] = ",".join(found.ids[start:start + settings.batch_size])
        params["retstart"] = start
        records = parse(client.get(f"{base}/efetch.fcgi", params=params, component=COMPONENT).content)
        start += settings.batch_size
        yield start, records
        if not records:
            return
        seen.records(records, "pmid")


def stream(query: str) -> Stream:
    """A PubMed search."""
    if not query:
        raise InputError("ingest: pubmed needs --query")
    return Stream(f"pubmed:query:{query}", "pubmed", f"PubMed · “{query}”", {"query": query})


def pages(client: HttpClient, request: Request) -> Iterator[Page]:
    """A search's records in efetch batches, resumable through the search's history handle."""
    settings, contact = request.settings, request.http.contact_email
    term = request.stream.params["query"]
    if request.window.start or request.window.end:
        first = (request.window.start or date(1800, 1, 1)).strftime("%Y/%m/%d")
        last = (request.window.end or date(3000, 1, 1)).strftime("%Y/%m/%d")
        term = f'({term}) AND ("{first}"[EDAT] : "{last}"[EDAT])'  # Entrez date: when PubMed got it
    found, start = None, 0
    if request.resume:  # "webenv|query_key|next start|count"
        web_env, query_key, start_text, count = request.resume.split("|")
        found, start = Search(int(count), [], web_env, query_key), int(start_text)
    try:
        yield from _efetch(client, settings, found or search(client, settings, term, contact=contact), start, contact)
    except ProtocolError:
        if not found:
            raise
        # The history handle expired: search again and fetch all (storing is idempotent).
        yield from _efetch(client, settings, search(client, settings, term, contact=contact), 0, contact)


def _efetch(client: HttpClient, settings: PubmedSettings, found: Search, start: int, contact: str) -> Iterator[Page]:
    for next_start, records in fetch(client, settings, found, start=start, contact=contact):
        done = next_start >= found.count or not records
        yield Page(records, cursor=None if done else f"{found.web_env}|{found.query_key}|{next_start}|{found.count}")


def _read(data: bytes) -> Items:
    yield from parse(data)


SOURCE = Source(
    "pubmed", PubmedSettings,
    streams=lambda group: [stream(q) for q in group.queries],
    asked=lambda _name, _group, options, _window: stream(options.get("query") or ""),
    fetch=pages,
    options=(CliOption("query", "a search query."),),
    formats=(FileFormat("pubmed", "PubMed efetch/esummary XML, or a PMC article set", read=_read,
                        xml_roots=frozenset({"PubmedArticleSet", "eSummaryResult", "pmc-articleset", "eSearchResult",
                                             "eLinkResult"})),),
)
