"""/api/v1/briefings: make, stream, list and export briefings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from academichub.briefing.export import cite_html, to_html, to_markdown
from academichub.briefing.model import Briefing, from_stored
from academichub.briefing.service import Request
from academichub.errors import AcademicHubError
from academichub.model.accounts import Radar
from academichub.present.names import radar_title
from academichub.present.render import render_tex
from academichub.web.api import ERRORS, JsonWrite, Page
from academichub.web.bounds import RowId
from academichub.web.deps import Ctx
from academichub.web.refusals import refusal

router = APIRouter(prefix="/api/v1", tags=["briefings"], responses=ERRORS)
EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


class BriefingCreate(BaseModel):
    """What to brief."""

    period: str = Field("day", examples=["day", "week", "2025-09-20..2025-09-26"], max_length=64)
    lang: str | None = Field(None, description="zh or en (default: the request's language)")
    llm: bool = Field(False, description="Write the prose with the configured LLM endpoint")


def request_of(ctx: Ctx, period: str, lang: str | None, llm: bool) -> Request:
    """A briefing request for the caller's radar."""
    return Request(ctx.radar, period, lang or ctx.lang, llm)


def summary(stored: Any) -> dict[str, Any]:
    """A stored briefing as the list shows it."""
    return {"id": stored.id, "radar_id": stored.radar_id, "period": stored.period, "lang": stored.lang,
            "from": stored.start.isoformat() if stored.start else None,
            "to": stored.end.isoformat() if stored.end else None, "mode": stored.mode,
            "created_at": stored.created_at.isoformat(), "papers": len(stored.content.get("papers", [])),
            "note": stored.content.get("note")}


@router.get("/briefings")
async def list_briefings(ctx: Ctx, page: Page, response: Response) -> list[dict[str, Any]]:
    """Your past briefings, newest first."""
    rows = await run_in_threadpool(ctx.app.briefing.kept, ctx.user.id, limit=page.limit, offset=page.offset)
    response.headers["X-Total-Count"] = str(await run_in_threadpool(ctx.app.briefing.kept_count, ctx.user.id))
    return [summary(r) for r in rows]


@router.post("/briefings", status_code=201, dependencies=[JsonWrite])
async def create_briefing(ctx: Ctx, body: BriefingCreate) -> dict[str, Any]:
    """Write a briefing of your radar now (reused when its inputs are unchanged); its JSON form."""
    briefing = await run_in_threadpool(ctx.app.briefing.build, request_of(ctx, body.period, body.lang, body.llm))
    return briefing.to_json()


@router.get("/briefings/stream", response_class=EventSourceResponse)
def stream_briefing(ctx: Ctx, period: str = "day", lang: str | None = None, llm: bool = False) -> Iterator[ServerSentEvent]:
    """The briefing as it is written (Server-Sent Events): papers, each section (HTML), then done."""
    try:
        for kind, payload in ctx.app.briefing.events(request_of(ctx, period, lang, llm)):
            if kind == "papers":
                yield ServerSentEvent(event="papers", data=[{"n": p.n, "id": p.id, "title": p.title} for p in payload])
            elif kind == "section":
                group, section = payload
                yield ServerSentEvent(event="section", data={"group": group, "title": section.title,
                                                             "html": str(cite_html(section.text)),
                                                             "cited": section.cited})
            elif kind == "note":
                yield ServerSentEvent(event="note", data={"text": payload})
            elif kind == "done":
                yield ServerSentEvent(event="done", data={"id": payload.id, "url": f"/briefings/{payload.id}",
                                                          "mode": payload.mode, "note": payload.note})
    except AcademicHubError as exc:  # headers are sent already: report the error as an event
        # in the reader's words ("brief: no papers between …" was shown as it is on a Chinese page)
        yield ServerSentEvent(event="failed", data={"message": refusal(exc, ctx.gettext) or str(exc), "detail": str(exc)})


class ScheduleUpdate(BaseModel):
    """Whether the scheduler writes this radar a briefing after every announcement day."""

    daily: bool
    lang: str | None = Field(None, description="zh or en (default: the request's language)")
    llm: bool = False


def schedule_json(ctx: Ctx, radar_id: RowId) -> dict[str, Any]:
    """A radar's daily-briefing wish."""
    found = ctx.app.briefing.schedule(radar_id)
    return {"radar_id": radar_id, "daily": found is not None, "lang": found.lang if found else None,
            "llm": found.llm if found else False}


@router.get("/radars/{radar_id}/briefing-schedule")
async def get_schedule(ctx: Ctx, radar_id: RowId) -> dict[str, Any]:
    """Whether a radar gets a briefing after every announcement day."""
    from academichub.web.radar_api import own_radar
    radar = await run_in_threadpool(own_radar, ctx, radar_id)
    return await run_in_threadpool(schedule_json, ctx, radar.id)


@router.put("/radars/{radar_id}/briefing-schedule", dependencies=[JsonWrite])
async def put_schedule(ctx: Ctx, radar_id: RowId, body: ScheduleUpdate) -> dict[str, Any]:
    """Ask for (or stop) a radar's daily briefing."""
    from academichub.web.radar_api import own_radar
    radar = await run_in_threadpool(own_radar, ctx, radar_id)
    if body.daily:
        await run_in_threadpool(ctx.app.briefing.set_schedule, radar.id, lang=body.lang or ctx.lang, llm=body.llm)
    else:
        await run_in_threadpool(ctx.app.briefing.clear_schedule, radar.id)
    return await run_in_threadpool(schedule_json, ctx, radar.id)


def stored_briefing(ctx: Ctx, briefing_id: RowId) -> tuple[Briefing, Radar]:
    """One of the caller's briefings and its radar (another user's is not found)."""
    stored = ctx.app.briefing.kept_one(ctx.user.id, briefing_id)
    return from_stored(stored), ctx.app.accounts.radar(stored.radar_id)


@router.get("/briefings/{briefing_id}", responses={200: {"content": {"text/markdown": {}, "text/html": {}}}})
async def get_briefing(ctx: Ctx, briefing_id: RowId,
                       format: Annotated[str, Query(pattern="^(json|md|html)$")] = "json") -> Any:
    """A briefing as JSON, Markdown or a standalone HTML page."""
    briefing, chosen = await run_in_threadpool(stored_briefing, ctx, briefing_id)
    radar = radar_title(chosen, briefing.lang)  # an export is written in the briefing's language
    if format == "md":
        return PlainTextResponse(to_markdown(briefing, radar), media_type="text/markdown; charset=utf-8")
    if format == "html":
        # A standalone document: its own inline styles, no script, nothing else loaded.
        return HTMLResponse(to_html(briefing, radar, render=render_tex), headers={"Content-Security-Policy": EXPORT_CSP})
    return briefing.to_json()
