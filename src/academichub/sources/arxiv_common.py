"""Pieces shared by arXiv's listing, query API, OAI-PMH and bulk parsers."""

from __future__ import annotations

import re
from datetime import date

from pydantic import Field

from academichub.keys import clean_categories, normalise_doi, parse_arxiv_id
from academichub.model import ANNOUNCE_TYPES, Author, Paper
from academichub.sources.contract import CadenceHours, Days, Interval, SourceSettings


class ArxivSettings(SourceSettings):
    """Endpoints and politeness for arXiv's three doors."""

    enabled: bool = Field(True, description="Fetch the daily arXiv listing in scheduled runs.")
    base_url: str = Field("https://rss.arxiv.org", description="Base of the daily RSS/Atom listings.")
    api_url: str = Field("https://export.arxiv.org/api/query", description="Query API endpoint.")
    oai_url: str = Field("https://oaipmh.arxiv.org/oai", description="OAI-PMH endpoint.")
    min_interval: Interval = Field(3.0, description="Seconds between two requests (arXiv asks 3).")
    max_concurrency: int = Field(1, ge=1, le=16, description="arXiv asks for one connection at a time.")
    cadence_hours: CadenceHours = Field(24.0, description="Unused for the daily listing (see schedule.arxiv_at).")
    stale_after_days: Days = Field(3, description="Announcement days without new papers before a flag.")
    page_size: int = Field(100, ge=1, le=2000, description="Records per query API page.")
    categories: list[str] = Field(
        default_factory=lambda: ["cs.AI", "cs.CL", "cs.CV", "cs.LG"],
        description="Categories fetched by the daily schedule and `ingest arxiv` by default.",
    )
    holidays: list[date] = Field(default_factory=list, description="Extra days arXiv makes no announcement.")


# 2024+ listing descriptions: "arXiv:2504.01979v1 Announce Type: new \nAbstract: ..."
_LISTING_HEAD = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce\s+Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)
# Pre-2024 listing titles carried "(arXiv:2301.00001v1 [cs.CL] UPDATED)" at the end.
_OLD_TITLE_SUFFIX = re.compile(r"(?<!\s)\s*\(arXiv:\S+\s*\[[^\]]*\][^)]*\)\s*$")
_FEED_CATEGORY = re.compile(r"^\s*([a-z-]+(?:\.[A-Za-z-]+)?)\s+updates on arXiv", re.IGNORECASE)


def split_listing_description(text: str) -> tuple[str | None, int | None, str | None, str]:
    """Split a listing description into (arXiv id, version, announce type, clean abstract)."""
    match = _LISTING_HEAD.match(text or "")
    if not match:
        return None, None, None, (text or "").strip()
    try:
        arxiv_id, version = parse_arxiv_id(match.group("id"))
    except ValueError:
        arxiv_id, version = None, None
    kind = match.group("type").lower()
    return arxiv_id, version, kind if kind in ANNOUNCE_TYPES else None, text[match.end():].strip()


def strip_old_title_suffix(title: str) -> str:
    """Remove the pre-2024 "(arXiv:… [cat])" suffix from a listing title."""
    return _OLD_TITLE_SUFFIX.sub("", title)


def category_of_feed_title(title: str) -> str | None:
    """The category of a single-category listing, from "cs.CL updates on arXiv.org"."""
    match = _FEED_CATEGORY.match(title or "")
    return match.group(1) if match else None


def arxiv_links(arxiv_id: str, doi: str | None = None) -> dict[str, str]:
    """Abstract page, PDF and DOI links of an arXiv work."""
    links = {"abs": f"https://arxiv.org/abs/{arxiv_id}", "pdf": f"https://arxiv.org/pdf/{arxiv_id}"}
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    return links


def arxiv_paper(
    *,
    arxiv_id: str,
    version: int | None,
    title: str,
    abstract: str,
    authors: list[Author],
    categories: list[str],
    primary: str | None = None,
    doi: str | None = None,
    journal_ref: str | None = None,
    comment: str | None = None,
    submitted: date | None = None,
    updated: date | None = None,
    announced: date | None = None,
    announce_type: str | None = None,
    license: str | None = None,
) -> Paper:
    """Assemble a Paper from arXiv fields; the first category is the primary unless given."""
    cats = clean_categories(categories)
    if primary and primary not in cats:
        cats.insert(0, primary)
    doi = normalise_doi(doi)
    return Paper(
        title=title,
        source="arxiv",
        abstract=abstract,
        authors=authors,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        doi=doi,
        categories=cats,
        primary_category=primary or (cats[0] if cats else None),
        journal_ref=journal_ref or None,
        comment=comment or None,
        submitted=submitted,
        updated=updated,
        announced=announced,
        published=submitted,
        announce_type=announce_type if announce_type in ANNOUNCE_TYPES else None,  # type: ignore[arg-type]
        links=arxiv_links(arxiv_id, doi),
        license=license or None,
    )
