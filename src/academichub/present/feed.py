"""The feed as readers and clients see it: a card's reason texts and the feed's JSON contract.

The Pydantic models are the contract itself: the API answers with them (OpenAPI is generated from
them), and the CLI's `feed --json` and the page cache's JSON body are made by the same models.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from academichub.radar.feed import Card, FeedPage
from academichub.ranking.reasons import Reason


class ReasonPublic(BaseModel):
    """A structured reason (kinds: author, author?, keyword, venue, category, similar_to, similar, recent)."""

    kind: str
    value: str
    detail: str | None = Field(None, description="Evidence (authors) or what the similar paper is (library, like, save)")


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
    feedback: list[str] = Field(default_factory=list, description="Your feedback on this paper")


class FeedPublic(BaseModel):
    """The feed contract: the current batch and its items."""

    batch: int | None
    period: PeriodPublic
    show_seen: bool
    items: list[FeedItemPublic]


def reason_text(reason: Reason, _: Callable[[str], str]) -> str:
    """A reason as the card prints it, in the reader's language."""
    templates = {
        "author": _("Author: {value}"),
        "author?": _("Is this {value}?"),
        "keyword": _("Keyword: {value}"),
        "venue": _("Venue: {value}"),
        "category": "{value}",
        "similar": _("Related: {value}"),
        "recent": _("New on {value}"),
    }
    if reason.kind == "similar_to":
        template = {"save": _("Similar to your saved paper «{value}»"),
                    "like": _("Similar to a paper you liked «{value}»")}.get(
            reason.detail, _("Similar to your library paper «{value}»"))
    else:
        template = templates.get(reason.kind, "{value}")
    text = template.format(value=reason.value)
    if reason.detail and reason.kind in ("author", "author?"):
        text += f" ({reason.detail})"
    return text


def card_model(card: Card, _: Callable[[str], str]) -> FeedItemPublic:
    """The API form of a card (the feed contract's item)."""
    paper = card.work.paper
    return FeedItemPublic(
        n=card.number, id=card.work.public_id, title=paper.title, authors=[a.name for a in paper.authors],
        source_label=card.work.label, date=card.work.feed_date.isoformat(), abstract=paper.abstract,
        reasons=[reason_text(r, _) for r in card.reasons],
        reason_codes=[ReasonPublic(**r.to_json()) for r in card.reasons], categories=paper.categories,
        announce_type=paper.announce_type, links=paper.links, score=round(card.score, 4), seen=card.seen,
        feedback=sorted(card.feedback))


def page_json(page: FeedPage, _: Callable[[str], str]) -> dict[str, Any]:
    """The feed contract as JSON: {"batch", "period", "show_seen", "items": [...]} (FeedPublic)."""
    model = FeedPublic(batch=page.batch, period=PeriodPublic(**page.period.to_json()), show_seen=page.show_seen,
                       items=[card_model(c, _) for c in page.cards])
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)  # a reason without detail has none


def page_body(page: FeedPage, _: Callable[[str], str]) -> bytes:
    """`page_json` as the API's response body (the bytes Starlette's JSONResponse writes for it)."""
    return json.dumps(page_json(page, _), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
