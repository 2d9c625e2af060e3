"""Stored works as BibTeX (bibtexparser), RIS (rispy) and CSL-JSON, the formats reference managers read.

Every export re-imports through AcademicHub's own library importer (tested), so a saved list or a
briefing's references can travel to Zotero and back.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field

from academichub.errors import InputError
from academichub.keys import NAME_SUFFIXES, name_key, pubmed_url
from academichub.model.works import StoredWork

FORMATS = {"bibtex": ("application/x-bibtex", "bib"), "ris": ("application/x-research-info-systems", "ris"),
           "csl-json": ("application/vnd.citationstyles.csl+json", "json")}
_KEY_WORD = re.compile(r"[A-Za-z]{3,}")


def name_parts(name: str) -> tuple[str, str, str]:
    """(family, given, suffix) of a printed name: the last word is the family name, or the one
    before a suffix ("Martin Luther King Jr."), unless the name says "Family, Given"."""
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip(), ""
    parts = name.split()
    suffix = parts.pop() if len(parts) > 2 and name_key(parts[-1]) in NAME_SUFFIXES else ""
    return (parts[-1], " ".join(parts[:-1]), suffix) if parts else ("", "", "")


def split_name(name: str) -> tuple[str, str]:
    """(family, given) of a printed name, a suffix left out."""
    return name_parts(name)[:2]


def _family_first(name: str, *, suffix_last: bool) -> str:
    """ "Family, Given" with a suffix where the format wants it: BibTeX "King, Jr., Martin", RIS "King, Martin, Jr."."""
    family, given, suffix = name_parts(name)
    if not suffix:
        return f"{family}, {given}" if given else family
    return f"{family}, {given}, {suffix}" if suffix_last else f"{family}, {suffix}, {given}"


def _date_parts(work: StoredWork) -> list[int]:
    day = work.paper.published or work.paper.announced or work.paper.submitted or work.feed_date
    return [day.year, day.month, day.day]


def _url(work: StoredWork) -> str | None:
    paper = work.paper
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    if paper.pmid:  # a PubMed paper without a DOI was exported without any address
        return pubmed_url(paper.pmid)
    return paper.url or paper.links.get("abs") or paper.links.get("publisher")


def cite_key(work: StoredWork, taken: set[str]) -> str:
    """A readable, unique key: family name, year, first long title word (he2025vsi)."""
    family = split_name(work.paper.authors[0].name)[0] if work.paper.authors else "anon"
    ascii_family = unicodedata.normalize("NFKD", family).encode("ascii", "ignore").decode().lower()
    word = next(iter(_KEY_WORD.findall(work.paper.title)), "paper").lower()
    base = re.sub(r"[^a-z0-9]", "", ascii_family) + str(_date_parts(work)[0]) + word
    key, suffix = base, ord("a")
    while key in taken:
        key, suffix = base + chr(suffix), suffix + 1
    taken.add(key)
    return key


def _braces_balanced(text: str) -> str:
    """A value safe inside BibTeX braces (unbalanced braces would end the field early)."""
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            break
    return text if depth == 0 else text.replace("{", "").replace("}", "")


_MATH_OR_SPECIAL = re.compile(r"(?<!\\)\$.*?(?<!\\)\$|(?<!\\)([%&#_])", re.DOTALL)


def _tex_safe(text: str) -> str:
    """Text for a BibTeX field LaTeX will typeset: %, &, # and _ outside math escaped (a bare "50%"
    in a title commented out the rest of the reference, "&" stopped LaTeX with "Misplaced
    alignment tab"); math ($…$) and what is escaped already stay as they are."""
    return _MATH_OR_SPECIAL.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(0), text)


_AND = re.compile(r"\band\b", re.IGNORECASE)


def _bibtex_name(name: str) -> str:
    """A name for a BibTeX author list: "Family, Given", or the whole name in braces when it holds
    the word "and", which would otherwise split it ("Research and Development Group" is one author)."""
    return "{" + name + "}" if _AND.search(name) else _family_first(name, suffix_last=False)


def to_bibtex(works: Iterable[StoredWork]) -> str:
    """BibTeX entries (@article for journal versions, @misc with eprint fields for preprints)."""
    taken: set[str] = set()
    entries = []
    for work in works:
        paper = work.paper
        fields = {"title": _tex_safe(paper.title), "author": " and ".join(_bibtex_name(a.name) for a in paper.authors),
                  "year": str(_date_parts(work)[0])}
        if paper.venue:
            fields["journal"] = _tex_safe(paper.venue)
        if paper.doi:
            fields["doi"] = paper.doi
        if paper.pmid:  # JabRef's and BibDesk's field, which `library import` reads back
            fields["pmid"] = paper.pmid
        if paper.arxiv_id:
            fields.update(eprint=paper.arxiv_id, archiveprefix="arXiv", primaryclass=paper.primary_category or "")
        if url := _url(work):
            fields["url"] = url
        if paper.abstract:
            fields["abstract"] = _tex_safe(paper.abstract)
        kind = "article" if paper.venue and paper.doi else "misc"
        entries.append(Entry(kind, cite_key(work, taken),
                             [Field(k, _braces_balanced(v)) for k, v in fields.items() if v]))
    return bibtexparser.write_string(bibtexparser.Library(entries))


class _PlainRis(rispy.RisWriter):
    """rispy's writer without its "1." counter lines, which are not part of RIS."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(works: Iterable[StoredWork]) -> str:
    """RIS records (JOUR for journal versions, UNPB for preprints)."""
    records = []
    for work in works:
        paper = work.paper
        parts = _date_parts(work)
        record = {"type_of_reference": "JOUR" if paper.venue and paper.doi else "UNPB", "title": paper.title,
                  "authors": [_family_first(a.name, suffix_last=True) for a in paper.authors],
                  "year": str(parts[0]), "date": "{:04d}/{:02d}/{:02d}".format(*parts), "abstract": paper.abstract,
                  "id": work.public_id}
        if paper.doi:
            record["doi"] = paper.doi
        if paper.venue:
            record["journal_name"] = paper.venue
        if url := _url(work):
            record["urls"] = [url]
        records.append({k: _one_line(v) for k, v in record.items() if v})
    return rispy.dumps(records, implementation=_PlainRis)


def _one_line(value: str | list[str]) -> str | list[str]:
    """A RIS value on one line: RIS is a line format, and an abstract's line "ER  - " then "TY  - "
    (text from a source) ended its record and began one of the abstract's own making."""
    if isinstance(value, list):
        return [" ".join(v.split()) for v in value]
    return " ".join(value.split())


def _csl_name(name: str) -> dict[str, str]:
    family, given, suffix = name_parts(name)
    return {k: v for k, v in (("family", family), ("given", given), ("suffix", suffix)) if v or k != "suffix"}


def to_csl(works: Iterable[StoredWork]) -> str:
    """CSL-JSON: a list of items."""
    items = []
    for work in works:
        paper = work.paper
        item = {"id": work.public_id, "type": "article-journal" if paper.venue and paper.doi else "article",
                "title": paper.title, "author": [_csl_name(a.name) for a in paper.authors],
                "issued": {"date-parts": [_date_parts(work)]}, "abstract": paper.abstract or None,
                "DOI": paper.doi, "PMID": paper.pmid, "URL": _url(work), "container-title": paper.venue}
        if paper.arxiv_id:
            item.update({"number": f"arXiv:{paper.arxiv_id}", "archive": "arXiv", "archive_location": paper.arxiv_id})
        items.append({k: v for k, v in item.items() if v})
    return json.dumps(items, ensure_ascii=False, indent=2)


def export(works: list[StoredWork], fmt: str) -> str:
    """Works in one of FORMATS."""
    writers = {"bibtex": to_bibtex, "ris": to_ris, "csl-json": to_csl}
    if fmt not in writers:
        raise InputError(f"export: unknown format {fmt!r}; use {', '.join(writers)}")
    return writers[fmt](works)
