"""Readers of library files: each turns a file's text into LibraryItems (and what it skipped)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import bibtexparser
import rispy
from bibtexparser.middlewares.names import split_multiple_persons_names
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry
from lxml import etree

from academichub import safejson
from academichub.errors import InputError, ParseError
from academichub.keys import given_first, parse_date
from academichub.library.bibtex_values import evaluate, macros_of
from academichub.library.items import LibraryItem, Skipped, WrongType, arxiv_of, clean_tex, item, year_of
from academichub.sources.records import MALFORMED
from academichub.sources.safexml import parse_xml, text_of

# bibtexparser logs each block it cannot read to stderr in its own words; the import's report
# counts them in ours (the CLI printed both).
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

Entries = list[LibraryItem | Skipped]
Read = Callable[[int, dict[str, Any]], LibraryItem | Skipped | None]
SKIPPED_ZOTERO_TYPES = {"note", "attachment", "annotation"}
# RIS's tag line is "TY  - JOUR" (two spaces); some exporters and hand-edited files write "TY - JOUR"
# or "TY  -JOUR", which rispy reads as no record at all (an import of nothing, without a word).
_RIS_START = re.compile(r"^[ \t]*TY[ \t]*-", re.MULTILINE)
_STANDARD_START = re.compile(r"^TY  - ", re.MULTILINE)
# A space on one side of the hyphen at least: "UV-vis …" beginning a line of an abstract is text.
_LOOSE_TAG = re.compile(r"^[ \t]*([A-Z][A-Z0-9])(?:[ \t]+-[ \t]?|-(?:[ \t]+|$))", re.MULTILINE)


def _bibtex_authors(value: str) -> list[str]:
    """The names of a BibTeX author field, split as BibTeX splits them: on "and" in any case, never
    inside braces ("{Research and Development Group}" is one name), with "and others" (et al.) left out."""
    names = (clean_tex(name) for name in split_multiple_persons_names(value))
    return [n for n in (given_first(name) for name in names if name.lower() != "others") if n]


# Fields where an export may name a preprint's arXiv id in passing ("arXiv preprint arXiv:…").
_BIBTEX_MENTIONS = ("journal", "journaltitle", "number", "note", "howpublished", "eprint")
_RIS_MENTIONS = ("journal_name", "secondary_title", "notes", "number", "type_of_work")


def _mentioning_arxiv(value: object) -> object:
    """A field's value if it names arXiv, else None: only there is a bare number an arXiv id."""
    text = " ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value or "")
    return text if "arxiv" in text.lower() else None


def read_bibtex(text: str) -> Entries:
    """BibTeX or BibLaTeX (Zotero, Better BibTeX, Mendeley, JabRef exports)."""
    library = bibtexparser.parse_string(text, parse_stack=[])  # raw values, read as BibTeX reads them
    macros = macros_of((s.key, str(s.value)) for s in library.strings)
    entries: Entries = []
    readable = list(library.entries)
    for block in library.failed_blocks:
        # A key written twice (two papers in a merged file: 1 of a real researcher's 1,053 entries)
        # or a field written twice (Mendeley's second url) leaves a whole entry, which
        # bibtexparser sets aside: it was skipped as unparsable.
        if isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)) and \
                isinstance(block.ignore_error_block, Entry):
            readable.append(block.ignore_error_block)
        else:
            entries.append(Skipped(getattr(block, "key", "") or "?", "unparsable BibTeX block"))
    readable.sort(key=lambda entry: entry.start_line or 0)  # in the file's order, as the report names them
    for entry in readable:
        fields: dict[str, str] = {}
        for field in entry.fields:  # a field written twice keeps its first value (its last replaced it)
            fields.setdefault(field.key.lower(), evaluate(str(field.value), macros))
        # An eprint is arXiv's when the entry says so, or says nothing (hand-written entries): an
        # id of another archive (JSTOR's, HAL's, a PMCID) does not parse as an arXiv id anyway.
        archive = fields.get("archiveprefix", fields.get("eprinttype", "arxiv")).lower()
        eprint = fields.get("eprint") if archive == "arxiv" else None
        entries.append(item(
            entry.key, fields.get("title", ""), authors=_bibtex_authors(fields.get("author", "")),
            year=year_of(fields.get("year") or fields.get("date")), doi=fields.get("doi"),
            # Google Scholar prints "arXiv preprint arXiv:2501.00003" as the journal; Zotero "arXiv:…" as the number.
            arxiv_id=arxiv_of(eprint, fields.get("arxivid"), fields.get("arxiv"), fields.get("url"),
                              *(_mentioning_arxiv(fields.get(name)) for name in _BIBTEX_MENTIONS)),
            pmid=fields.get("pmid") or None, abstract=clean_tex(fields.get("abstract")),
            venue=clean_tex(fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle")) or None,
            added=parse_date(fields.get("timestamp") or fields.get("date-added") or fields.get("dateadded")),
        ))
    return entries


def read_ris(text: str) -> Entries:
    """RIS (EndNote, Zotero, Mendeley, publishers' citation downloads)."""
    if _RIS_START.search(text) and not _STANDARD_START.search(text):
        # Only a file that never writes the standard form is rewritten: in one that does, a line of
        # an abstract that happens to begin "UK - " is text, not a tag.
        text = _LOOSE_TAG.sub(r"\1  - ", text)
    try:
        records = rispy.loads(text)
    except Exception as exc:  # rispy raises plain exceptions on malformed input
        raise ParseError(f"invalid RIS: {exc}", component="library") from None
    started = sum(1 for line in text.splitlines() if line.startswith("TY  -"))
    if started and not records:
        raise ParseError("invalid RIS: no complete record (each runs from TY to ER)", component="library")
    entries: Entries = [Skipped(f"ris-{len(records) + n}", "unterminated RIS record (no ER line)")
                        for n in range(1, started - len(records) + 1)]
    for number, record in enumerate(records, start=1):
        urls = " ".join(record.get("urls") or [])
        entries.append(item(
            record.get("id") or f"ris-{number}", record.get("title") or record.get("primary_title") or "",
            authors=[given_first(a) for a in record.get("authors") or record.get("first_authors") or []],
            year=year_of(record.get("year") or record.get("publication_year") or record.get("date")),
            doi=record.get("doi"), abstract=record.get("abstract") or "",
            arxiv_id=arxiv_of(urls, *(_mentioning_arxiv(record.get(name)) for name in _RIS_MENTIONS)),
            venue=record.get("journal_name") or record.get("secondary_title") or None,
        ))
    return entries


def _each(records: list[Any], prefix: str, read: Read) -> Entries:
    """Read a JSON file's records one by one: a record that is not an object, or has a field of the
    wrong type, is skipped with the reason and the rest are kept (one such entry answered 500)."""
    entries: Entries = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            entries.append(Skipped(f"{prefix}-{number}", "not an entry (a JSON object)"))
            continue
        try:
            entry = read(number, record)
        except MALFORMED as exc:
            why = str(exc) if isinstance(exc, WrongType) else f"a field of the wrong type ({type(exc).__name__})"
            entries.append(Skipped(f"{prefix}-{number}", f"malformed entry: {why}"))
            continue
        if entry is not None:
            entries.append(entry)
    return entries


def _people(value: object) -> list[dict[str, Any]]:
    """A JSON format's list of people (CSL authors, Zotero creators)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise WrongType("authors are not names")
    return value


_CSL_NAME_PARTS = ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")


def _csl_authors(people: object) -> list[str]:
    """CSL names in reading order, particles included ("Johannes Diderik van der Waals", not "Johannes Diderik Waals")."""
    return [p.get("literal") or " ".join(str(x) for x in (p.get(part) for part in _CSL_NAME_PARTS) if x)
            for p in _people(people)]


def _csl_year(issued: object) -> int | None:
    """The year of a CSL date, in any of its forms: `date-parts` (numbers or numeric text), an
    EDTF string ("2016-05", CSL-JSON 1.0.2), or `raw` or `literal` text. An item dated "2016" was
    skipped whole as "a field of the wrong type", and a `raw` date was read as no year."""
    if isinstance(issued, str):
        return year_of(issued)
    if not isinstance(issued, dict):
        return None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0] and year_of(parts[0][0]):
        return year_of(parts[0][0])
    return next((year_of(issued[key]) for key in ("raw", "literal") if isinstance(issued.get(key), str)
                 and year_of(issued[key])), None)


def _csl_item(number: int, record: dict[str, Any]) -> LibraryItem | Skipped:
    return item(
        str(record.get("id") or f"csl-{number}"), record.get("title", ""), authors=_csl_authors(record.get("author")),
        year=_csl_year(record.get("issued")), doi=record.get("DOI"),
        arxiv_id=arxiv_of(record.get("URL"), record.get("note"), record.get("number")),
        pmid=record.get("PMID"), abstract=record.get("abstract") or "", venue=record.get("container-title"),
    )


def read_csl_json(text: str) -> Entries:
    """CSL-JSON (Zotero, Mendeley, Pandoc): a list of items."""
    data = _json(text)
    items = data.get("items", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ParseError("CSL-JSON must be a list of items", component="library")
    return _each(items, "csl", _csl_item)


def _bbt_item(number: int, record: dict[str, Any]) -> LibraryItem | Skipped:
    key = str(record.get("citationKey") or record.get("citekey") or record.get("key") or f"bbt-{number}")
    if record.get("itemType") in SKIPPED_ZOTERO_TYPES:
        return Skipped(key, record["itemType"])
    creators = [c.get("name") or " ".join(x for x in (c.get("firstName"), c.get("lastName")) if x)
                for c in _people(record.get("creators")) if c.get("creatorType", "author") == "author"]
    added = parse_date((record.get("dateAdded") or "")[:10])
    return item(
        key, record.get("title", ""), authors=creators, year=year_of(record.get("date")), doi=record.get("DOI"),
        arxiv_id=arxiv_of(record.get("url"), record.get("extra"), record.get("archiveID")),
        abstract=record.get("abstractNote") or "",
        venue=record.get("publicationTitle") or record.get("proceedingsTitle") or None, added=added,
    )


def read_bbt_json(text: str) -> Entries:
    """Better BibTeX JSON (Zotero items with creators, notes and attachments)."""
    data = _json(text)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError("Better BibTeX JSON must be an object with an items list", component="library")
    return _each(data["items"], "bbt", _bbt_item)


NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "z": "http://www.zotero.org/namespaces/export#",
      "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
      "bib": "http://purl.org/net/biblio#", "foaf": "http://xmlns.com/foaf/0.1/",
      "prism": "http://prismstandard.org/namespaces/1.2/basic/"}


def read_zotero_rdf(text: str) -> Entries:
    """Zotero RDF exports (bib:Article, bib:Book … with dc/dcterms/foaf fields)."""
    root = parse_xml(text.encode("utf-8"), component="library")
    entries: Entries = []
    for node in root:
        about = node.get(f"{{{NS['rdf']}}}about") or ""
        kind = text_of(node.find("z:itemType", NS))
        if not kind or etree.QName(node).localname in ("Attachment", "Memo") or kind in SKIPPED_ZOTERO_TYPES:
            continue  # journals, people and attachments are described as nodes too
        people = []
        for person in node.iterfind(".//bib:authors//foaf:Person", NS):
            people.append(" ".join(x for x in (text_of(person.find("foaf:givenName", NS)),
                                                text_of(person.find("foaf:surname", NS))) if x))
        identifiers = [text_of(i) for i in node.iterfind(".//dc:identifier", NS)]
        doi = next((i[4:].strip() for i in identifiers if i.upper().startswith("DOI ")), None)
        urls = " ".join(text_of(u) for u in node.iterfind(".//rdf:value", NS))
        entries.append(item(
            about or f"rdf-{len(entries) + 1}", text_of(node.find("dc:title", NS)), authors=people,
            year=year_of(text_of(node.find("dc:date", NS))), doi=doi, arxiv_id=arxiv_of(urls),
            abstract=text_of(node.find("dcterms:abstract", NS)),
            venue=text_of(node.find("dcterms:isPartOf//dc:title", NS)) or None,
        ))
    return entries


def _orcid_item(number: int, group: dict[str, Any]) -> LibraryItem | Skipped | None:
    summaries = group.get("work-summary") or []
    if not summaries:
        return None
    summary = summaries[0]  # the preferred (first) version of the work
    ids = {e.get("external-id-type", "").lower(): e.get("external-id-value", "")
           for e in (summary.get("external-ids") or {}).get("external-id") or []}
    year = ((summary.get("publication-date") or {}).get("year") or {}).get("value")
    return item(
        str(summary.get("put-code") or number),
        ((summary.get("title") or {}).get("title") or {}).get("value", ""), year=year_of(year),
        doi=ids.get("doi"), arxiv_id=arxiv_of(ids.get("arxiv")), pmid=ids.get("pmid") or None,
        venue=((summary.get("journal-title") or {}) or {}).get("value"),
    )


def read_orcid_works(text: str) -> Entries:
    """ORCID public API `/v3.0/{orcid}/works` (JSON): one entry per work group."""
    data = _json(text)
    if not isinstance(data, dict) or "group" not in data:
        raise ParseError("expected an ORCID works response with a group list", component="orcid")
    groups = data.get("group") or []
    if not isinstance(groups, list):
        raise ParseError("expected an ORCID works response with a group list", component="orcid")
    return _each(groups, "orcid", _orcid_item)


def _json(text: str) -> Any:
    try:
        return safejson.loads(text)
    except ValueError as exc:
        raise ParseError(f"invalid JSON: {exc}", component="library") from None


READERS: dict[str, Callable[[str], Entries]] = {
    "bibtex": read_bibtex, "ris": read_ris, "zotero-rdf": read_zotero_rdf, "csl-json": read_csl_json,
    "bbt-json": read_bbt_json, "orcid": read_orcid_works,
}


def detect(text: str, filename: str = "") -> str:
    """Tell a library file's format from its content (and name)."""
    head = text.lstrip()[:4096]
    if head.startswith("@") or "\n@" in head[:2000] and filename.endswith((".bib", ".bibtex")):
        return "bibtex"
    if _RIS_START.search(head):
        return "ris"
    if head.startswith("<"):
        return "zotero-rdf"
    if head.startswith("["):
        return "csl-json"
    if head.startswith("{"):
        if '"group"' in head and "work-summary" in text:
            return "orcid"
        return "bbt-json" if '"items"' in text[:200000] and "itemType" in text[:200000] else "csl-json"
    if filename.endswith((".bib", ".bibtex")) or "@article" in head.lower():
        return "bibtex"
    # Said for the web page and the command line alike: a file's extension, or --format.
    raise InputError(f"library: cannot tell the format of {filename or 'the file'}; give it its format's extension "
                     f"(.bib, .ris, .rdf, .json) or name the format (--format: {', '.join(READERS)})", problem="format")

