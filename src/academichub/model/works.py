"""A work as the store holds it, and the light view of it that ranking reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from academichub.model.paper import Paper, as_json_dict, source_label, work_public_id


@dataclass
class StoredWork:
    """A work as stored: its record, row id, sources and timestamps."""

    id: int
    paper: Paper
    sources: list[str]
    content_hash: str
    feed_date: date
    created_at: datetime
    updated_at: datetime

    @property
    def public_id(self) -> str:
        """The id used in URLs and the API."""
        return work_public_id(self.paper.arxiv_id, self.paper.doi, self.id, self.paper.pmid, self.paper.openalex_id)

    @property
    def label(self) -> str:
        """The card's source label, e.g. "arXiv (CS.AI)"."""
        return source_label(self.sources, self.paper.primary_category, self.paper.venue)

    def to_json(self) -> dict:
        """Every stored field, for the paper API."""
        return {"id": self.public_id, "source_label": self.label, "sources": self.sources,
                "date": self.feed_date.isoformat(), **as_json_dict(self.paper)}


@dataclass(frozen=True)
class Candidate:
    """The light view of a work that ranking needs (no affiliations, links or JSON to decode)."""

    id: int
    title: str
    abstract: str
    feed_date: date
    venue: str | None
    categories: tuple[str, ...]
    author_keys: frozenset[str]
    people: tuple[tuple[str, str, str | None], ...] = ()  # (key, name, ORCID) in author order

    @property
    def text(self) -> str:
        """Title and abstract, what text similarity reads."""
        return work_text(self.title, self.abstract)


def work_text(title: str, abstract: str) -> str:
    """What text features and similarity read of a work: its title, then its abstract."""
    return f"{title}. {abstract}"
