"""The library item every format is read into, and helpers shared by the readers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from academichub.keys import clean_abstract, clean_line, latex_to_text, normalise_doi, parse_arxiv_id, strip_control

_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
# Zotero's rich text in titles, exported as it is by CSL-JSON, Better BibTeX, RIS and Zotero RDF:
# "<i>Escherichia coli</i>", "H<sub>2</sub>O", '<span class="nocase">pH</span>'.
_RICH_TEXT = re.compile(r"</?(?:i|b|sup|sub|sc|span)(?:\s[^<>]*)?>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)  # Zotero abstracts break lines so
# arXiv's own DOIs (DataCite, since 2022): what Zotero and CSL exports of a preprint carry.
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})", re.IGNORECASE)
# "0604596 [cond-mat]" (Mendeley's arxiv field), "1501.00001 [cs.CL]": the number, then its archive.
_BRACKETED = re.compile(r"^(\d{7}|\d{4}\.\d{4,5}(?:v\d+)?)\s*\[([a-z\-]+)(?:\.[a-z\-]+)?\]$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(r"(?:arxiv[:\s/]*|arxiv\.org/(?:abs|pdf)/)([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})",
                            re.IGNORECASE)


@dataclass
class LibraryItem:
    """One entry of a reader's library, in any format."""

    key: str
    title: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    pmid: str | None = None
    abstract: str = ""
    venue: str | None = None
    added: date | None = None


@dataclass
class Skipped:
    """An entry that is not imported, and why."""

    key: str
    reason: str


# Better BibTeX's export of a title whose protective braces Zotero had kept as text: the braces
# escaped and balanced by phantoms, "\{\{\vphantom{\}\}}{{GaAs}}\vphantom\{\}\vphantom\{\}/…", which
# read as "GaAs}}/{{AlGaAs}} Heterostructure…" (55 titles of the two recorded researchers' libraries).
_PHANTOM = re.compile(r"\\vphantom\s*(?:\\[{}]\\[{}]|\{(?:\\[{}]|[^{}])*\})")
_ESCAPED_BRACE = re.compile(r"\\[{}]")


def clean_tex(value: str | None) -> str:
    """A BibTeX-style value as plain text: braces, accents and macros resolved."""
    if not value:
        return ""
    if "\\vphantom" in value:
        value = _ESCAPED_BRACE.sub("", _PHANTOM.sub("", value))
    return clean_line(latex_to_text(value)).strip("{} ")


def year_of(value: object) -> int | None:
    """The first plausible year in a value (read as cleaned, as every text field is: "1\x00985" is 1985)."""
    match = _YEAR.search(strip_control(str(value or "")))
    return int(match.group(1)) if match else None


def arxiv_of(*values: object) -> str | None:
    """An arXiv id found in any of the values (an eprint field, a URL, "arXiv: 1807.00144",
    Mendeley's "0604596 [cond-mat]", arXiv's DOI 10.48550/arXiv.2501.00001 …)."""
    for value in values:
        if not value:
            continue
        value = " ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        try:
            return parse_arxiv_id(_BRACKETED.sub(_unbracketed, value.strip()))[0]
        except ValueError:
            match = _ARXIV_IN_TEXT.search(value) or _ARXIV_DOI.search(value)
            if match:
                return match.group(1)
    return None


def _unbracketed(match: re.Match[str]) -> str:
    """An old-style number with its archive after it in brackets, as its id; a new-style id alone."""
    number, archive = match.group(1), match.group(2)
    return f"{archive.lower()}/{number}" if "." not in number else number


class WrongType(TypeError):
    """A field of a library entry that is not what its format says (a title that is an object)."""


_TEXT_FIELDS = ("abstract", "venue", "pmid")


def _checked(fields: dict[str, object]) -> None:
    """Refuse fields of the wrong type (JSON formats carry any type); a number is read as its digits."""
    for name in _TEXT_FIELDS:
        value = fields.get(name)
        if isinstance(value, int) and not isinstance(value, bool):  # "PMID": 31452104
            fields[name] = str(value)
        elif value is not None and not isinstance(value, str):
            raise WrongType(f"{name} is not text")
    authors = fields.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise WrongType("authors are not names")


def item(key: str, title: object, **fields: object) -> LibraryItem | Skipped:
    """A cleaned LibraryItem, or Skipped when it has no title; WrongType when a field is of the wrong type."""
    if title is not None and not isinstance(title, str):
        raise WrongType("title is not text")
    title = title or ""
    _checked(fields)
    # The library shows its titles as text ("similar to your library paper «…»"): Zotero's markup goes.
    title = _RICH_TEXT.sub("", title)
    # A title that is nothing but unknown macros ("\\AB") reads as empty TeX: keep its text instead.
    title = clean_tex(title) or clean_line(title)
    if not title:
        return Skipped(key, "no title")
    # Text fields as stored text: a NUL in an RIS or CSL-JSON abstract, name or venue made
    # PostgreSQL refuse the whole import (500); other control characters no reader can display.
    if fields.get("abstract"):
        fields["abstract"] = clean_abstract(_RICH_TEXT.sub("", _BREAK.sub("\n", fields["abstract"])))  # type: ignore[arg-type]
    for name in ("venue", "pmid"):
        if fields.get(name):
            fields[name] = clean_line(_RICH_TEXT.sub("", fields[name])) or None  # type: ignore[arg-type]
    if fields.get("authors"):
        fields["authors"] = [kept for author in fields["authors"] if (kept := clean_line(author))]  # type: ignore[union-attr]
    doi = normalise_doi(fields.pop("doi", None))  # type: ignore[arg-type]
    if not fields.get("arxiv_id") and doi:  # a preprint known by arXiv's DOI is its arXiv id
        fields["arxiv_id"] = arxiv_of(doi) if doi.startswith("10.48550/") else None
    return LibraryItem(key=key, title=title, doi=doi, **fields)  # type: ignore[arg-type]
