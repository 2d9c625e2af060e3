"""Keys and text cleaning shared by every layer: identifiers (arXiv, DOI), names, titles, dates, HTML to text.

A leaf module (it imports only the domain records): sources, ingest, storage, radar, search and
library all use it and none of them is imported here. Migrations keep their own frozen copy of
what they need.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

import lxml.html
from pylatexenc.latex2text import LatexNodes2Text

from academichub.errors import InputError
from academichub.inline_text import element_text
from academichub.model import Author
from academichub.taxonomy import ARXIV_ARCHIVES, ARXIV_CATEGORIES

# YYMM.NNNNN: the month is 01-12 ("1234.5678", a page range or a catalogue number, named no paper).
_ARXIV_NEW = re.compile(r"(\d\d(?:0[1-9]|1[0-2])\.\d{4,5})(?:v(\d+))?")
_ARXIV_OLD = re.compile(r"([a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?")
# What readers paste: arXiv's pages with or without the scheme (abs, pdf, html), and its DataCite DOI.
_ARXIV_PREFIX = re.compile(
    r"^(?:oai:arxiv\.org:|arxiv:|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    r"|(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*)?10\.48550/arxiv\.)", re.IGNORECASE
)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_URL = re.compile(r"^(?:https?://)?(?:dx\.|www\.)?doi\.org/", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|info:doi/|urn:doi:)", re.IGNORECASE)
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?$")
# Bidirectional embeddings, overrides and isolates too: "\u202eevil" displays as "live" (a name or
# title that reads as another); right-to-left scripts need none of them to display correctly.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_BARE_PERCENT = re.compile(r"(?<!\\)%")
_SPACE = r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000]"
# A run of spaces that is not already one plain space: two or more, or one of another kind.
_SPACES = re.compile(rf"(?: {_SPACE}|(?! ){_SPACE}){_SPACE}*")
_PARAGRAPH_MARK = re.compile(r"\n\s")  # a blank line or an indented one: where a paragraph may start
# (?<!\s): a run of spaces is tried from its start only; from each of its spaces, 20,000 spaces
# in a name took 0.6 s (2.4 s for "et al.").
_PAREN = re.compile(r"(?<!\s)\s*\(([^()]*)\)\s*$")
_TAGS = re.compile(r"<[^>]{0,200}>")
# A formula in running text: $$…$$, $…$, \(…\) or \[…\] (an escaped \$ is a dollar sign); the TeX is
# group 1, 2, 3 or 4, and groups 1 and 4 are displayed formulas. A \( … \) formula never spans another
# \(: with a plain .+? an abstract of 10,000 "\(" and no "\)" (hostile, or TeX cut short) was
# searched to its end from each of them, 1.3 s a rendering; so for \[ … \].
MATH_SEGMENT = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\(((?:(?!\\\().)+?)\\\)"
                          r"|\\\[((?:(?!\\\[).)+?)\\\]", re.DOTALL)
_NON_ALNUM_ASCII = re.compile(r"[^0-9a-z]+")
_ET_AL = re.compile(r"(?:^|(?<!\s)\s+)et\.?\s+al\.?$", re.IGNORECASE)
_LATEX = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=False)
_SAFE_URL = re.compile(r"^https?://[^\s/?#@]+(?:[/?#][^\s]*)?$", re.IGNORECASE)


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split any spelling of an arXiv identifier into (id without version, version or None)."""
    candidate = _ARXIV_PREFIX.sub("", text.strip())
    candidate = candidate.removesuffix(".pdf").strip("/")
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.fullmatch(candidate)
        if match:
            version = int(match.group(2)) if match.group(2) else None
            return match.group(1), version
    raise ValueError(f"normalise: not an arXiv identifier: {text!r}")


def doi_url(doi: str) -> str:
    """doi.org's address of a DOI, its "#", "?", "%", "<" and ">" percent-encoded as doi.org asks:
    a raw "#" ended the link there (10.1000/a#b led to 10.1000/a)."""
    return "https://doi.org/" + quote(doi, safe=":/")


def pubmed_url(pmid: str) -> str:
    """PubMed's page of a PMID."""
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def openalex_url(openalex_id: str) -> str:
    """OpenAlex's page of a work id ("W2741809807")."""
    return f"https://openalex.org/{openalex_id}"


def normalise_doi(text: str | None) -> str | None:
    """Return the first DOI in `text`, lower-cased and stripped of URL prefixes, or None."""
    if not text:
        return None
    for token in text.split():
        token = token.strip().rstrip(".,;")
        if _DOI_URL.match(token):  # a DOI in a URL is percent-encoded there: "10.1000%2Fxyz"
            token = unquote(_DOI_URL.sub("", token))
        doi = _DOI_PREFIX.sub("", token).lower()
        if _DOI.match(doi):
            return doi
    return None


# A PMID as PubMed writes it ("PMID: 38123456", its page), an OpenAlex id (W…, its URL); the row
# ids "w123" are the app's own and never reach here.
_PMID_REFERENCE = re.compile(r"(?:pmid:\s*|(?:https?://)?(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/)"
                             r"(\d{1,12})/?", re.IGNORECASE)
# Bare, only as OpenAlex writes it (W…): a lower-case w123 is a row id.
_OPENALEX_REFERENCE = re.compile(r"(?:(?i:openalex:|(?:https?://)?(?:api\.)?openalex\.org/(?:works/)?)[Ww]|W)(\d{1,15})/?")


def paper_reference(text: str) -> tuple[str, str] | None:
    """(kind, value) of a paper named any way a reader writes one: the public forms "arxiv:…" and
    "doi:…", an arXiv id with its version, its abs/pdf/html URL or DataCite DOI, a DOI or its
    doi.org URL, a PMID ("pmid:…", its PubMed page), an OpenAlex id (W…, its URL); None for anything else."""
    text = text.strip()
    if match := _PMID_REFERENCE.fullmatch(text):
        return "pmid", match.group(1)
    if match := _OPENALEX_REFERENCE.fullmatch(text):
        return "openalex_id", "W" + match.group(1)
    try:
        return "arxiv_id", parse_arxiv_id(text)[0]
    except ValueError:
        pass
    if text[:4].lower() == "doi:":
        text = text[4:]
    doi = normalise_doi(text) if len(text.split()) == 1 else None  # the whole text, not a DOI found in it
    return ("doi", doi) if doi else None


def clean_categories(values: list[str] | tuple[str, ...]) -> list[str]:
    """Keep arXiv category codes in order, dropping ACM/MSC codes and duplicates."""
    seen: dict[str, None] = {}
    for value in values:
        for token in value.replace(",", " ").split():
            if _CATEGORY.match(token):
                seen.setdefault(token, None)
    return list(seen)


def strip_control(text: str) -> str:
    """Remove control characters and lone surrogates that no reader can display."""
    return _CONTROL.sub("", text.replace("\t", " "))


def match_form(text: str) -> str:
    """Text as search and keyword rules compare it: compatibility forms folded (CO₂ is CO2, h⁻¹ is
    h-1, the ligature ﬁ is fi), so the scripts a stored title or abstract keeps never hide a word."""
    return text if text.isascii() or unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def collapse_spaces(text: str) -> str:
    """Every run of spaces (plain, no-break, wide, tabs) as one plain space."""
    if text.isascii() and "  " not in text and "\t" not in text and "\r" not in text and "\f" not in text \
            and "\v" not in text:
        return text  # nothing to change, found without the regular expression visiting every character
    return _SPACES.sub(" ", text)


def clean_line(text: str | None) -> str:
    """Collapse a one-line field (title, name) to single spaces."""
    if not text:
        return ""
    if text.isascii() and text.isprintable() and "  " not in text and text == text.strip():
        return text  # the common case, and ingest's hot path: nothing to do
    return collapse_spaces(strip_control(unicodedata.normalize("NFC", text)).replace("\n", " ")).strip()


def clean_abstract(text: str | None) -> str:
    """Undo hard line wraps while keeping paragraph breaks, the way arXiv marks them."""
    if not text:
        return ""
    text = strip_control(unicodedata.normalize("NFC", text)).replace("\r\n", "\n").strip("\n")
    if not _PARAGRAPH_MARK.search(text):
        # One paragraph (no blank line, no indented line after the first): what the general
        # path below returns for it, without its per-line bookkeeping (most abstracts; ingest's hot path).
        return collapse_spaces(" ".join(map(str.strip, text.split("\n")))).strip()
    return _paragraphs(text)


def _paragraphs(text: str) -> str:
    """clean_abstract's general case: paragraphs by blank lines, or by indentation where some lines
    are indented and others not."""
    lines = text.split("\n")
    indented = [line[:1].isspace() for line in lines[1:] if line.strip()]
    # arXiv starts a paragraph with an indented line; if every line is indented the
    # indentation is decoration (a reformatted file) and only blank lines separate paragraphs.
    indent_breaks = bool(indented) and not all(indented)
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        if indent_breaks and line[:1].isspace() and paragraphs[-1]:
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(collapse_spaces(" ".join(p)).strip() for p in paragraphs if p)


def latex_to_text(text: str) -> str:
    """Turn LaTeX accents and braces in names into plain Unicode (C. Bal\\'azs -> C. Balázs)."""
    if "\\" not in text:
        # Braces alone only protect case in BibTeX: drop them without the (slow) TeX parser.
        return text.replace("{", "").replace("}", "") if "{" in text or "}" in text else text
    try:
        # A bare % is a per cent sign here, not a TeX comment: pylatexenc dropped the rest of the
        # text, so "50% of R&D … \\%" keyed as "50" and matched any title that began the same.
        return _LATEX.latex_to_text(_BARE_PERCENT.sub(r"\\%", text))
    except Exception:  # pylatexenc raises assorted errors on malformed input; keep the raw text
        return text


def name_key(name: str) -> str:
    """Match key of a person's name: accents folded, case folded, punctuation as spaces."""
    name = _PAREN.sub("", latex_to_text(name))
    if name.isascii():  # fast path for most names; same result as the general one below
        return " ".join(_NON_ALNUM_ASCII.sub(" ", name.lower()).split())
    decomposed = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


_CLOSING = " \t\n.;:!?"  # what may end a title after its last word


_MATH_TEXT = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
# pylatexenc warns on every formula whose macro it cannot expand (\overline): the key is made anyway.
logging.getLogger("pylatexenc").setLevel(logging.ERROR)
_LONGEST_KEYED_FORMULA = 300  # a longer one keys as written (the parser's time grows with it)


def _formula_as_text(match: re.Match[str]) -> str:
    """A title's formula as a journal prints it: "$\\alpha_s$" is "αs", "$H_0$" "H0", "$10^{12}$" "1012"."""
    tex = next(group for group in match.groups() if group is not None)
    if len(tex) > _LONGEST_KEYED_FORMULA:
        return tex
    try:
        return _MATH_TEXT.latex_to_text(tex).replace("_", "").replace("^", "")
    except Exception:  # noqa: BLE001 - pylatexenc raises assorted errors on malformed TeX; key it as written
        return tex


@lru_cache(maxsize=16384)  # one ingest asks for each title's key several times
def title_key(title: str) -> str:
    """Match key of a title: TeX and accents folded, case folded, punctuation dropped."""
    # Formulas as text first: arXiv writes "$\\alpha_s$" where the journal's record has "αs", and
    # the keys ("alpha s", "αs") kept a preprint and its journal version apart.
    if "$" in title or "\\(" in title or "\\[" in title:
        title = MATH_SEGMENT.sub(_formula_as_text, title)
    # A closing full stop goes first: "… (Extended Version)." kept its parenthesis, which the
    # same title without the stop drops (name_key's trailing-parenthesis rule), so the two differed.
    return name_key(_TAGS.sub("", title).rstrip(_CLOSING))[:300]


@lru_cache(maxsize=16384)  # a rule set asks for every stored venue's key
def venue_key(name: str) -> str:
    """Match key of a journal's or proceedings' name as sources spell it differently: "The
    Astrophysical Journal" is "Astrophysical Journal", "Astronomy & Astrophysics" "Astronomy and
    Astrophysics", and PubMed's "Journal of magnetic resonance (San Diego, Calif. : 1997)" (the
    NLM's place and year after the name) "Journal of Magnetic Resonance"."""
    key = name_key(name.replace("&", " and "))
    return key.removeprefix("the ") if key.startswith("the ") else key


NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})  # as they appear in a name key


def family_key(author_key: str) -> str:
    """The family-name part of an author key (its last word, or the one before a suffix), used to
    find title matches: arXiv prints "Martin Luther King Jr.", Crossref gives family "King"."""
    words = author_key.split()
    if len(words) > 2 and words[-1] in NAME_SUFFIXES:
        return words[-2]
    return words[-1] if words else ""


def make_author(name: str, *, affiliations: tuple[str, ...] = (), orcid: str | None = None) -> Author | None:
    """Build an Author from a printed name, moving a trailing "(affiliation)" aside."""
    if not affiliations and orcid is None:
        return _printed_author(name)
    return _author(name, affiliations, orcid)


@lru_cache(maxsize=65536)  # a bulk file prints the same names again and again (346,310 names, 165,356 distinct)
def _printed_author(name: str) -> Author | None:
    return _author(name, (), None)  # an Author is immutable: one instance can serve every paper


NAME_TEXT_LIMIT = 2000  # characters of a printed name read as TeX: stored names are cut to 1,000 anyway,
# and the TeX parser took 0.25 s for 20,000 backslashes in one name of a hostile feed


def _author(name: str, affiliations: tuple[str, ...], orcid: str | None) -> Author | None:
    name = clean_line(latex_to_text(name[:NAME_TEXT_LIMIT]))
    extra = _PAREN.search(name)
    if extra and extra.start() > 0:
        affiliations = (*affiliations, clean_line(extra.group(1)))
        name = name[: extra.start()].strip()
    key = name_key(name)
    if not key:
        return None
    return Author(name=name, key=key, orcid=orcid, affiliations=tuple(a for a in affiliations if a))


def given_first(name: str) -> str:
    """ "Family, Given" (BibTeX, RIS, a name typed as a reference manager lists it) as "Given
    Family"; with two commas, a suffix keeps its place at the end whether it is written BibTeX's
    way ("King, Jr., Martin") or RIS's ("King, Martin, Jr."); "King, Jr." stays as it is."""
    family, *rest = [part.strip() for part in name.split(",")]
    suffix = []
    if len(rest) >= 2 and name_key(rest[-1]) in NAME_SUFFIXES:
        suffix = [rest.pop()]
    elif len(rest) >= 2 and name_key(rest[0]) in NAME_SUFFIXES:
        suffix = [rest.pop(0)]
    elif len(rest) == 1 and name_key(rest[0]) in NAME_SUFFIXES:
        return f"{family} {rest[0]}"
    return " ".join(part for part in [*rest, family, *suffix] if part)


def split_author_list(text: str) -> list[str]:
    """Split "A, B, and C" into names, ignoring commas inside parentheses."""
    names: list[str] = []
    depth, current = 0, []
    for ch in text.replace("\n", " "):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(ch)
    names.append("".join(current))
    result: list[str] = []
    for chunk in names:
        for part in re.split(r"(?<!\s)\s+and\s+", chunk.strip()) if "(" not in chunk else [chunk]:
            part = _ET_AL.sub("", re.sub(r"^and\s+", "", part.strip())).strip()
            if part:
                result.append(part)
    return result


def authors_from_text(text: str | None) -> list[Author]:
    """Parse a printed author list into Authors."""
    if not text:
        return []
    authors = (make_author(name) for name in split_author_list(text))
    return [author for author in authors if author is not None]


def parse_date(text: str | None) -> date | None:
    """Read ISO 8601 or RFC 2822 dates; the calendar day is taken in the text's own zone."""
    if not text:
        return None
    text = text.strip()
    try:
        if text[:4].isdigit():
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        return parsedate_to_datetime(text).date()
    except (ValueError, TypeError, IndexError):
        return None


def calendar_day(year: Any, month: Any = None, day: Any = None) -> date | None:
    """A date from numeric parts (a missing or zero month or day is 1), or None when there is no
    such day: year 0, month 13, a year past a C int (OverflowError), a part that is no number."""
    try:
        return date(int(year), int(month) if month else 1, int(day) if day else 1)
    except (TypeError, ValueError, OverflowError):
        return None


def html_to_text(fragment: str | None) -> str:
    """Reduce an HTML fragment (from a feed that carries HTML) to its text content."""
    if not fragment or "<" not in fragment:
        # Entities without tags are HTML too: Crossref titles carry "R&amp;D", which was stored
        # and shown as "R&amp;D".
        return html.unescape(fragment) if fragment and "&" in fragment else fragment or ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises ParserError/ValueError on junk; treat it as plain text
        return fragment
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for element in root.iter("br", "p", "div", "li", "tr"):  # a line break separates words ("a<br>b" was "ab")
        element.tail = " " + (element.tail or "")
    return element_text(root)  # "h<sup>-1</sup>" is h⁻¹, not "h-1"; a MathML formula reads as one


def safe_url(url: str | None) -> str | None:
    """Keep only absolute http(s) URLs of printable characters; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    url = url.strip()
    # No control or format character either: a NUL or a bidirectional override in a link.
    return url if _SAFE_URL.match(url) and url.isprintable() else None


_CATEGORY_PARTS = re.compile(r"^([a-z]+(?:-[a-z]+)?)(?:\.([a-z]+(?:-[a-z]+)?))?$", re.IGNORECASE)
_LOWER_SUBJECT_ARCHIVES = {"physics", "cond-mat"}


def arxiv_spelling(value: str) -> str | None:
    """A value in arXiv's spelling when its first part is an arXiv archive ("cs.cl" -> "cs.CL",
    "physics.OPTICS" -> "physics.optics"), whether or not the subject exists; None otherwise."""
    match = _CATEGORY_PARTS.match(value.strip())
    if not match or match.group(1).lower() not in ARXIV_ARCHIVES:
        return None
    archive, subject = match.group(1).lower(), match.group(2)
    if not subject:
        return archive
    lower = archive in _LOWER_SUBJECT_ARCHIVES or "-" in subject
    return f"{archive}.{subject.lower() if lower else subject.upper()}"


def normalise_category(value: str) -> str:
    """An arXiv category in arXiv's spelling; anything outside its taxonomy ("cs.ML", "astroph.GA") is refused."""
    spelled = arxiv_spelling(value)
    if spelled not in ARXIV_CATEGORIES:
        raise InputError(f"radar: {value!r} is not an arXiv category (e.g. cs.CL, astro-ph.GA, hep-th)",
                         problem="category")
    return spelled
