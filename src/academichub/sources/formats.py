"""Local files of every supported format: detection by content, and reading into records."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from academichub.capped import open_capped, read_all
from academichub.errors import InputError, ParseError, SourceError
from academichub.model import Paper, Rejected
from academichub.sources import (
    arxiv_api,
    arxiv_bulk,
    arxiv_listing,
    arxiv_oai,
    biorxiv,
    crossref,
    journal_rss,
    openalex,
    pubmed,
    safexml,
)

Items = Iterator[Paper | Rejected]
_ROOT_TAG = re.compile(rb"<([A-Za-z][\w:.-]*)")


def _listing(data: bytes) -> Items:
    yield from arxiv_listing.parse(data).items


def _listing_json(data: bytes) -> Items:
    for listing in arxiv_listing.parse_feedparser_json(data):
        yield from listing.items


def _api(data: bytes) -> Items:
    yield from arxiv_api.parse(data).items


def _oai(data: bytes) -> Items:
    yield from arxiv_oai.parse(data).items


def _crossref(data: bytes) -> Items:
    yield from crossref.parse(data).items


def _openalex(data: bytes) -> Items:
    yield from openalex.parse(data).items


def _pubmed(data: bytes) -> Items:
    yield from pubmed.parse(data)


def _biorxiv(data: bytes) -> Items:
    yield from biorxiv.parse(data).items


def _journal(data: bytes) -> Items:
    yield from journal_rss.parse(data)


# Whole-document formats take the bytes; line formats stream.
DOCUMENT_FORMATS: dict[str, Callable[[bytes], Items]] = {
    "arxiv-listing": _listing,
    "arxiv-listing-json": _listing_json,
    "arxiv-api": _api,
    "arxiv-oai": _oai,
    "crossref": _crossref,
    "openalex": _openalex,
    "pubmed": _pubmed,
    "biorxiv": _biorxiv,
    "journal-rss": _journal,
}
STREAM_FORMATS: dict[str, Callable[[IO[bytes]], Items]] = {
    "arxiv-kaggle": arxiv_bulk.iter_kaggle,
    "arxiv-jsonl": arxiv_bulk.iter_corpus,
}
FORMATS: tuple[str, ...] = (*DOCUMENT_FORMATS, *STREAM_FORMATS)
FORMAT_HELP = {
    "arxiv-listing": "arXiv daily listing, RSS 2.0 or Atom (rss.arxiv.org)",
    "arxiv-listing-json": "arXiv listing as cached by feedparser (JSON)",
    "arxiv-api": "arXiv query API response (Atom)",
    "arxiv-oai": "arXiv OAI-PMH response (arXiv or arXivRaw metadata)",
    "arxiv-kaggle": "arXiv metadata snapshot, JSON Lines (Kaggle dataset)",
    "arxiv-jsonl": "AcademicHub corpus JSON Lines (papers.jsonl.gz)",
    "crossref": "Crossref REST /works response (work or work-list JSON)",
    "openalex": "OpenAlex work object or /works list (JSON)",
    "pubmed": "PubMed efetch/esummary XML, or a PMC article set",
    "biorxiv": "bioRxiv/medRxiv details API response (JSON)",
    "journal-rss": "any journal feed: RSS 1.0 (RDF), RSS 2.0 or Atom",
}
# The source a file's records are reported under.
FORMAT_SOURCE = {fmt: "arxiv" for fmt in FORMAT_HELP if fmt.startswith("arxiv")} | {
    "crossref": "crossref", "openalex": "openalex", "pubmed": "pubmed", "biorxiv": "biorxiv",
    "journal-rss": "journal"}


MAX_STREAM_BYTES = 64_000_000_000  # a line format streams: the whole arXiv metadata snapshot is ~4.5 GB
MAX_DOCUMENT_BYTES = 1_000_000_000  # a document format is parsed whole, in memory


def open_binary(path: Path, limit: int = MAX_STREAM_BYTES, *, what: str | None = None) -> IO[bytes]:
    """Open a file for reading, transparently un-gzipping it, capped in size and compression ratio."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"ingest: cannot read {path}: {exc.strerror or exc}") from None
    return open_capped(handle, limit=limit, what=what or f"ingest: {path.name}")


_PUBMED_ROOTS = {"PubmedArticleSet", "eSummaryResult", "pmc-articleset", "eSearchResult", "eLinkResult"}


def _arxiv_listing(head: bytes) -> bool:
    return b"Announce Type" in head or b"rss.arxiv.org" in head or b"arxiv.org/abs/" in head


def _sniff_xml(head: bytes) -> str | None:
    for match in _ROOT_TAG.finditer(head):
        tag = match.group(1).decode("ascii", "replace")
        if tag in ("DOCTYPE", "xml"):
            continue
        if tag == "OAI-PMH":
            return "arxiv-oai"
        if tag in _PUBMED_ROOTS:
            return "pubmed"
        if tag == "feed" and (b"opensearch" in head or b"arxiv.org/api" in head):
            return "arxiv-api"
        if tag in ("rss", "feed", "rdf:RDF", "RDF"):
            return "arxiv-listing" if _arxiv_listing(head) else "journal-rss"
        return None
    return None


def _sniff_json(stream: IO[bytes], head: bytes) -> str | None:
    first_line = head.split(b"\n", 1)[0]
    try:
        record = json.loads(first_line)
    except ValueError:
        record = None
    if isinstance(record, dict) and "id" in record and (bulk := arxiv_bulk.looks_like(record)):
        return bulk
    try:
        document = json.loads(head + read_all(stream))  # the stream's cap refuses a bomb
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    if "message-type" in document:
        return "crossref"
    if "collection" in document and "messages" in document:
        return "biorxiv"
    if "results" in document or str(document.get("id", "")).startswith(openalex.ENTITY_PREFIX):
        return "openalex"
    if "entries" in document or any(isinstance(v, dict) and "entries" in v for v in document.values()):
        return "arxiv-listing-json"
    return None


def detect_format(path: Path) -> str:
    """Tell a file's format from its first bytes, or raise InputError naming the choices."""
    with open_binary(path, MAX_DOCUMENT_BYTES) as stream:
        try:
            head = stream.read(8192).lstrip(b"\xef\xbb\xbf \t\r\n")
            found = None
            if head.startswith(b"<"):
                found = _sniff_xml(head)
            elif head.startswith(b"{"):
                found = _sniff_json(stream, head)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"ingest: cannot read {path}: {exc}") from None
    if found is None:
        raise InputError(
            f"ingest: cannot tell the format of {path}; name it with --format ({', '.join(FORMATS)})"
        )
    return found


def read_items(path: Path, fmt: str | None = None) -> tuple[str, Items]:
    """Return (format, records) for a local file; the records stream for line formats."""
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"ingest: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in STREAM_FORMATS:
        return fmt, _streamed(path, STREAM_FORMATS[fmt])
    with open_binary(path, MAX_DOCUMENT_BYTES) as stream:
        try:
            data = read_all(stream)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"ingest: cannot read {path}: {exc}") from None
    return fmt, _document(fmt, data, path)


def _document(fmt: str, data: bytes, path: Path) -> Items:
    """A whole document's records; an XML file broken part-way (a bad byte, a truncation) keeps
    the entries before the break and reports where it broke, instead of losing them all."""
    parse = DOCUMENT_FORMATS[fmt]
    try:
        items = list(parse(data))
    except safexml.MalformedXmlError as exc:
        if (repaired := safexml.repair(data, component=exc.component)) is None:
            raise
        fixed, where = repaired
        try:
            items = list(parse(fixed))
        except ParseError:
            raise exc from None
        items.append(Rejected(f"{path.name} is broken at {where}; what follows is lost"))
    yield from items


def _streamed(path: Path, reader: Callable[[IO[bytes]], Items]) -> Items:
    with open_binary(path) as stream:
        try:
            yield from reader(stream)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{path.name} is truncated or unreadable: {exc}", component="ingest") from None
        except InputError as exc:  # a cap: the run reports it, and what came before it is kept
            raise SourceError(str(exc).removeprefix("ingest: "), component="ingest") from None
