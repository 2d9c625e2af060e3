"""Pydantic shapes of the JSON API (XCreate for input, XPublic for output)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# The feed contract is shared with the CLI and the page cache, so it is defined once, in present.feed.
from academichub.present.feed import FeedItemPublic, FeedPublic, PeriodPublic, ReasonPublic

__all__ = ["FeedItemPublic", "FeedPublic", "PeriodPublic", "ReasonPublic"]  # and every model defined below


class ErrorBody(BaseModel):
    """Every API error: {"error": {"code", "message"}}."""

    class Detail(BaseModel):
        code: str
        message: str

    error: Detail


class SubscriptionCreate(BaseModel):
    """Follow an author, keyword, category or venue."""

    kind: str = Field(examples=["author"], description="author, keyword, category or venue")
    value: str = Field(examples=["Jianxiang He"], max_length=200)


class SubscriptionPublic(BaseModel):
    """A subscription as listed."""

    id: int
    kind: str
    value: str


class FeedNext(BaseModel):
    """换一批, optionally switching the period."""

    period: str | None = Field(None, examples=["recent", "week", "2025-09-01..2025-09-07"])


class SearchItemPublic(BaseModel):
    """One search hit."""

    id: str
    title: str
    authors: list[str]
    source_label: str
    date: str
    abstract: str
    score: float


class SearchPublic(BaseModel):
    """A page of search results."""

    query: str
    total: int
    offset: int
    mode: str = Field(description="hybrid, text or semantic; id when the query named one paper by its identifier")
    items: list[SearchItemPublic]


class FeedbackCreate(BaseModel):
    """Feedback on a paper."""

    paper: str = Field(examples=["arxiv:2508.06869"], max_length=300)
    action: str = Field(examples=["like"], description="like, save, dismiss or less (less like this)")


class FeedbackUndo(BaseModel):
    """Taking feedback back."""

    paper: str = Field(examples=["arxiv:2508.06869"], max_length=300)
    action: str | None = Field(None, description="One action to take back (all of them when omitted)")


class FeedbackPublic(BaseModel):
    """The feedback now standing on a paper."""

    paper: str
    feedback: list[str]


class AuthorDecision(BaseModel):
    """The answer to "is this the author you follow?" for one paper."""

    paper: str = Field(examples=["arxiv:2508.06869"], max_length=300)
    author: str = Field(examples=["Jianxiang He"], max_length=200, description="The followed author's name")
    same: bool = Field(description="Whether the paper is by the followed author")


class LibraryEntryPublic(BaseModel):
    """An imported entry and the stored paper it matched."""

    title: str
    year: int | None
    match: str | None = Field(description="doi, arxiv, pmid or title; null when it matched no stored paper")
    paper: str | None = Field(description="the matched paper's id (GET /api/v1/papers/{id})")


class LibraryReportPublic(BaseModel):
    """What a library import did."""

    source: str
    format: str
    total: int
    imported: int
    matched: dict[str, int]
    matched_total: int
    unmatched: int
    skipped: dict[str, int]
    seconds: float
    unmatched_examples: list[str]


class HealthPublic(BaseModel):
    """Store status."""

    status: str
    works: int
    latest_day: str | None
    batch_process: Literal["off", "starting", "ready", "down"] = Field(
        description="This web process's batch process for 换一批 (down: served on its request threads meanwhile).")
