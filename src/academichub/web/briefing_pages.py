"""Briefing pages: write one (streamed as it is written), read a kept one, list them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from academichub.briefing.export import cite_html, headings
from academichub.briefing.fields import field_name
from academichub.present.links import paper_path
from academichub.present.render import render_tex
from academichub.web.bounds import PageNumber, RowId
from academichub.web.briefing_api import request_of, schedule_json, stored_briefing, summary
from academichub.web.deps import Ctx
from academichub.web.pages import TEMPLATES, _check_csrf, _render

TEMPLATES.env.filters["cite"] = lambda text: cite_html(text, render=render_tex)  # quoted findings keep their math
TEMPLATES.env.globals["field_name"] = field_name
TEMPLATES.env.globals["paper_link"] = paper_path  # in the app: its own paper page
router = APIRouter(include_in_schema=False)
PERIODS = ("day", "week")


PAST_PER_PAGE = 50


@router.get("/briefings", response_class=HTMLResponse)
async def briefings_page(request: Request, ctx: Ctx, page: PageNumber = 1) -> HTMLResponse:
    """The form to write a briefing and the list of past ones, 50 a page (a daily briefing makes
    365 a year: the 51st and older could not be reached from the page)."""
    offset = (page - 1) * PAST_PER_PAGE
    rows = await run_in_threadpool(lambda: ctx.app.briefing.kept(ctx.user.id, limit=PAST_PER_PAGE + 1, offset=offset))
    schedule = await run_in_threadpool(schedule_json, ctx, ctx.radar.id)
    return _render(request, ctx, "briefings.html", past=[summary(r) for r in rows[:PAST_PER_PAGE]], periods=PERIODS,
                   llm_ready=ctx.app.settings.llm.configured, schedule=schedule, h=headings(ctx.lang),
                   page=page, more=len(rows) > PAST_PER_PAGE)


@router.post("/briefings/schedule")
async def set_schedule(ctx: Ctx, csrf: Annotated[str, Form()], daily: Annotated[str, Form()] = "off",
                       lang: Annotated[str | None, Form()] = None) -> RedirectResponse:
    """Switch the current radar's daily briefing on or off."""
    _check_csrf(ctx, csrf)
    if daily == "on":
        await run_in_threadpool(ctx.app.briefing.set_schedule, ctx.radar.id,
                                lang=lang if lang in ("zh", "en") else ctx.lang)
    else:
        await run_in_threadpool(ctx.app.briefing.clear_schedule, ctx.radar.id)
    return RedirectResponse("/briefings", status_code=303)


@router.post("/briefings")
async def write_briefing(ctx: Ctx, csrf: Annotated[str, Form()], period: Annotated[str, Form()] = "day",
                         lang: Annotated[str | None, Form()] = None, llm: Annotated[str | None, Form()] = None,
                         ) -> RedirectResponse:
    """Write a briefing (the no-JavaScript path) and show it."""
    _check_csrf(ctx, csrf)
    briefing = await run_in_threadpool(ctx.app.briefing.build, request_of(ctx, period, lang, bool(llm)))
    return RedirectResponse(f"/briefings/{briefing.id}", status_code=303)


@router.get("/briefings/{briefing_id}", response_class=HTMLResponse)
async def briefing_page(request: Request, ctx: Ctx, briefing_id: RowId) -> HTMLResponse:
    """A kept briefing, themes as sections, [n] linking to the paper cards below."""
    briefing, radar = await run_in_threadpool(stored_briefing, ctx, briefing_id)
    # The page's headings are in the reader's language; the briefing's prose stays in its own.
    return _render(request, ctx, "briefing.html", b=briefing, h=headings(ctx.lang), radar=radar)
