"""Pydantic shapes of the JSON API (XCreate for input, XPublic for output)."""

from __future__ import annotations

from pydantic import BaseModel, Field


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


class ReasonPublic(BaseModel):
    """A structured reason."""

    kind: str
    value: str


class PeriodPublic(BaseModel):
    """The resolved feed period."""

    spec: str
    from_: str | None = Field(None, alias="from")
    to: str | None = None


class FeedItemPublic(BaseModel):
    """One card of the feed."""

    n: int
    id: str
    title: str
    authors: list[str]
    source_label: str
    date: str
    abstract: str
    reasons: list[str]
    reason_codes: list[ReasonPublic]
    categories: list[str]
    announce_type: str | None
    links: dict[str, str]
    score: float
    seen: bool


class FeedPublic(BaseModel):
    """The feed contract: the current batch and its items."""

    batch: int | None
    period: PeriodPublic
    show_seen: bool
    items: list[FeedItemPublic]


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
    items: list[SearchItemPublic]


class HealthPublic(BaseModel):
    """Store status."""

    status: str
    works: int
    latest_day: str | None
