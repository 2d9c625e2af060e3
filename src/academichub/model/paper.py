"""The normalised work record that every source parser produces and storage keeps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Literal

AnnounceType = Literal["new", "cross", "replace", "replace-cross"]
ANNOUNCE_TYPES: tuple[str, ...] = ("new", "cross", "replace", "replace-cross")
ID_KINDS: tuple[str, ...] = ("arxiv_id", "doi", "pmid", "openalex_id", "url")  # the order that decides identity
# (Paper.all_ids spells this order out.)


@dataclass(frozen=True, slots=True)
class Author:
    """One author as printed, with the key used to match names across sources."""

    name: str
    key: str
    orcid: str | None = None
    affiliations: tuple[str, ...] = ()


@dataclass(slots=True)
class Paper:
    """A work as one source describes it; ingest merges these into stored works."""

    title: str
    source: str
    abstract: str = ""
    authors: list[Author] = field(default_factory=list)
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    pmid: str | None = None
    openalex_id: str | None = None
    url: str | None = None
    # Further identifiers of the same work, e.g. ("doi", journal DOI) on a preprint.
    also: tuple[tuple[str, str], ...] = ()
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    venue: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    submitted: date | None = None
    updated: date | None = None
    announced: date | None = None
    published: date | None = None
    announce_type: AnnounceType | None = None
    links: dict[str, str] = field(default_factory=dict)
    license: str | None = None

    def all_ids(self) -> list[tuple[str, str]]:
        """Every identifier of this record as (kind, value), primary ones first."""
        # Spelled out (ID_KINDS' order): ingest asks every record for its ids several times.
        primary = [pair for pair in (("arxiv_id", self.arxiv_id), ("doi", self.doi), ("pmid", self.pmid),
                                     ("openalex_id", self.openalex_id), ("url", self.url)) if pair[1]]
        return primary + [pair for pair in self.also if pair not in primary] if self.also else primary

    @property
    def feed_date(self) -> date | None:
        """The date the feed files this work under: first announcement, else publication."""
        return self.announced or self.published or self.submitted or self.updated

    def content_hash(self) -> str:
        """A digest of every stored field, so re-ingesting unchanged data writes nothing."""
        # Built by hand: dataclasses.asdict deep-copies and took half of the ingest time.
        values: list[Any] = [getattr(self, name) for name in PAPER_FIELDS]
        values[PAPER_FIELDS.index("authors")] = [
            [a.name, a.key, a.orcid, list(a.affiliations)] for a in self.authors
        ]
        return hashlib.blake2b(_HASHED.encode(values).encode(), digest_size=16).hexdigest()


PAPER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Paper))
# What json.dumps(values, sort_keys=True, default=str, ensure_ascii=False) writes, with one encoder
# made once (json.dumps builds one per call with these options).
_HASHED = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)


SERVER_NAMES = {"biorxiv": "bioRxiv", "medrxiv": "medRxiv"}


def source_label(sources: list[str] | tuple[str, ...], primary_category: str | None, venue: str | None) -> str:
    """Render the card's source labels, e.g. "arXiv (CS.AI)", "bioRxiv (Neuroscience) · Nature"."""
    labels: list[str] = []
    for source in sources:
        if source == "arxiv":
            labels.append(f"arXiv ({primary_category.upper()})" if primary_category else "arXiv")
        elif source in SERVER_NAMES:
            category = f" ({primary_category[:1].upper()}{primary_category[1:]})" if primary_category else ""
            labels.append(SERVER_NAMES[source] + category)
        elif venue:
            labels.append(venue)
    if not labels and venue:
        labels.append(venue)
    return " · ".join(dict.fromkeys(labels)) or "—"


def work_public_id(arxiv_id: str | None, doi: str | None, work_id: int, pmid: str | None = None,
                   openalex_id: str | None = None) -> str:
    """The stable id shown in URLs and the API: arXiv id, else DOI, else PMID, else OpenAlex id,
    else the row id (which names the work in this install only: a PubMed paper without a DOI was
    "w4341" in its links, exports and feeds, where its PMID names it everywhere)."""
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    if doi:
        return f"doi:{doi}"
    if pmid:
        return f"pmid:{pmid}"
    if openalex_id:
        return f"openalex:{openalex_id}"
    return f"w{work_id}"


def as_json_dict(paper: Paper) -> dict[str, Any]:
    """Serialise a paper for JSON output (dates as ISO strings)."""
    data = asdict(paper)
    for key in ("submitted", "updated", "announced", "published"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record a parser could not turn into a Paper, with the reason for the run report."""

    reason: str
    ref: str = ""
    # A notice, a data set, a book: a record read as it is, left out because it is not a paper
    # (reported apart from the records that could not be read, and never a fault of the source).
    not_a_paper: bool = False


def not_a_paper(reason: str, ref: str = "") -> Rejected:
    """A record left out because it is not a paper (a correction notice, a data set, a book)."""
    return Rejected(reason, ref, not_a_paper=True)
