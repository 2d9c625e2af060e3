"""The versioned JSON API: every page's twin, over the same services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from academichub.errors import InputError
from academichub.health import stream_health
from academichub.library import importer
from academichub.model.accounts import Radar
from academichub.present.feed import page_body, page_json
from academichub.radar import feedback
from academichub.radar import subscriptions as subs
from academichub.radar.authors import author_decision
from academichub.search import papers as stored_papers
from academichub.search.service import search, similar
from academichub.web import schemas
from academichub.web.bounds import ListOffset, PageNumber, RowId
from academichub.web.deps import AppState, Ctx, app_state
from academichub.web.pagecache import json_variant
from academichub.worker.queue_status import queue_report

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorBody, "description": "Bad input"},
    404: {"model": schemas.ErrorBody, "description": "Not found"},
    422: {"model": schemas.ErrorBody, "description": "Invalid request"},
}


async def require_json(request: Request) -> None:
    """Writes must be JSON: a cross-site form cannot send it without a CORS preflight."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send Content-Type: application/json")


router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)


@dataclass(frozen=True)
class Paging:
    """Which slice of a list a client asked for (every list route takes limit and offset)."""

    limit: int
    offset: int

    def apply(self, response: Response, items: list) -> list:
        """The slice; the whole list's length goes in X-Total-Count."""
        response.headers["X-Total-Count"] = str(len(items))
        return items[self.offset:self.offset + self.limit]


async def paging(limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: ListOffset = 0) -> Paging:
    """The limit and offset query parameters."""
    return Paging(limit, offset)


Page = Annotated[Paging, Depends(paging)]
MAX_UPLOAD = 50_000_000
JsonWrite = Depends(require_json)


async def feed_response(ctx: Ctx, radar: Radar, period: str | None) -> Response:
    """The current batch as JSON: replayed on the event loop while nothing it shows changed,
    rendered in a worker thread otherwise."""
    body = await ctx.app.pages.get(radar, period, json_variant(ctx), lambda page: page_body(page, ctx.gettext))
    return Response(body, media_type="application/json")


@router.get("/feed", response_model=schemas.FeedPublic, response_model_by_alias=True)
async def get_feed(ctx: Ctx, period: str | None = None, seen: bool = False,
                   page: PageNumber = 1) -> Any:
    """The current batch (the feed page's twin); `seen=true` lists seen papers again."""
    if not seen:
        return await feed_response(ctx, ctx.radar, period)
    result = await ctx.app.batches.seen(ctx.radar, period=period, page=page)
    return page_json(result, ctx.gettext)


async def next_response(ctx: Ctx, radar: Radar, body: schemas.FeedNext | None) -> Response:
    """换一批 as JSON (FeedPublic, as the GET twin's body), recorded by the batch process when one runs."""
    content = await ctx.app.batches.next(radar, period=body.period if body else None, lang=ctx.lang)
    return Response(content, media_type="application/json")


@router.post("/feed/next", response_model=schemas.FeedPublic, dependencies=[JsonWrite])
async def post_feed_next(ctx: Ctx, body: schemas.FeedNext | None = None) -> Response:
    """换一批: record and return the next batch of unseen papers."""
    return await next_response(ctx, ctx.radar, body)


@router.get("/papers/{paper_id:path}/similar", response_model=list[schemas.SearchItemPublic])
async def get_similar(ctx: Ctx, paper_id: str, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[dict]:
    """Papers like this one (nearest by embedding); declared first so `/similar` is not read as an id."""
    _work, found = await run_in_threadpool(similar, ctx.app.store, ctx.app.embedder, paper_id, limit=limit)
    return [{"id": w.public_id, "title": w.paper.title, "authors": [a.name for a in w.paper.authors],
             "source_label": w.label, "date": w.feed_date.isoformat(), "abstract": w.paper.abstract, "score": 0.0}
            for w in found]


@router.get("/papers/{paper_id:path}")
async def get_paper(ctx: Ctx, paper_id: str) -> dict[str, Any]:
    """Every stored field of one paper (the paper page's twin)."""
    return (await run_in_threadpool(stored_papers.paper, ctx.app.store, paper_id)).to_json()


@router.get("/search", response_model=schemas.SearchPublic)
async def get_search(ctx: Ctx, q: str, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     offset: ListOffset = 0, category: str | None = None,
                     source: Annotated[str | None, Query(
                         description="arxiv, biorxiv, medrxiv, crossref, journal, openalex or pubmed")] = None,
                     venue: str | None = None,
                     mode: Annotated[str | None, Query(description="hybrid, text or semantic")] = None,
                     date_from: Annotated[date | None, Query(alias="from")] = None,
                     date_to: Annotated[date | None, Query(alias="to")] = None) -> dict[str, Any]:
    """Search (the search page's twin): the query syntax of keyword subscriptions, hybrid by default."""
    result = await run_in_threadpool(search, ctx.app.store, q, limit=limit, offset=offset, category=category,
                                     source=source, venue=venue, date_from=date_from, date_to=date_to,
                                     embedder=ctx.app.embedder, mode=mode or ctx.app.settings.search.mode)
    return result.to_json()


@router.post("/feedback", response_model=schemas.FeedbackPublic, dependencies=[JsonWrite])
async def post_feedback(ctx: Ctx, body: schemas.FeedbackCreate) -> dict[str, Any]:
    """Like, save, dismiss or "less like this" a paper."""
    def give() -> dict[str, Any]:
        item = feedback.give(ctx.app.store, ctx.user.id, body.paper, body.action)
        return {"paper": body.paper, "feedback": sorted(feedback.state(ctx.app.store, ctx.user.id,
                                                                        [item.work_id]).get(item.work_id, ()))}
    return await run_in_threadpool(give)


@router.post("/feedback/undo", response_model=schemas.FeedbackPublic, dependencies=[JsonWrite])
async def post_feedback_undo(ctx: Ctx, body: schemas.FeedbackUndo) -> dict[str, Any]:
    """Take feedback on a paper back (one action, or all)."""
    def undo() -> dict[str, Any]:
        work_id = feedback.undo(ctx.app.store, ctx.user.id, body.paper, body.action)
        return {"paper": body.paper,
                "feedback": sorted(feedback.state(ctx.app.store, ctx.user.id, [work_id]).get(work_id, ()))}
    return await run_in_threadpool(undo)


@router.get("/feedback", response_model=list[schemas.FeedbackPublic])
async def list_feedback(ctx: Ctx, page: Page, response: Response) -> list[dict[str, Any]]:
    """Every paper you gave feedback on, with the feedback standing."""
    rows = await run_in_threadpool(feedback.standing, ctx.app.store, ctx.user.id)
    return page.apply(response, [{"paper": paper, "feedback": actions} for paper, actions in rows])


@router.post("/authors/decision", status_code=204, dependencies=[JsonWrite])
async def post_author_decision(ctx: Ctx, body: schemas.AuthorDecision) -> None:
    """Answer "是这位 … 吗?": whether a paper is by an author the radar follows (remembered)."""
    await run_in_threadpool(author_decision, ctx.app.store, ctx.radar, body.author, body.paper, body.same)


@router.get("/library", response_model=list[dict[str, Any]])
async def list_library(ctx: Ctx) -> list[dict[str, Any]]:
    """Imported library sources with their item and match counts."""
    rows = await run_in_threadpool(importer.imported_sources, ctx.app.store, ctx.user.id)
    return [{**r, "imported_at": r["imported_at"].isoformat() if r["imported_at"] else None} for r in rows]


LIBRARY_ENTRIES_PER_PAGE = 500


@router.get("/library/entries", response_model=list[schemas.LibraryEntryPublic])
async def library_entries(ctx: Ctx, source: Annotated[str, Query(min_length=1, max_length=300)],
                          page: PageNumber = 1) -> list[dict[str, Any]]:
    """One imported source's entries in the file's order, 500 a page, each with the stored paper it matched."""
    entries = await run_in_threadpool(importer.source_entries, ctx.app.store, ctx.user.id, source,
                                      limit=LIBRARY_ENTRIES_PER_PAGE, offset=(page - 1) * LIBRARY_ENTRIES_PER_PAGE,
                                      required=True)
    return [entry.to_json() for entry in entries]


@router.post("/library", response_model=schemas.LibraryReportPublic, status_code=201)
async def post_library(ctx: Ctx, file: UploadFile, format: Annotated[str | None, Form()] = None) -> dict[str, Any]:
    """Import a library file (BibTeX, RIS, Zotero RDF, CSL-JSON, Better BibTeX JSON; gzip allowed)."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError(f"library: upload larger than {MAX_UPLOAD // 1_000_000} MB")
    name = Path(file.filename or "library").name
    report = await run_in_threadpool(importer.import_bytes, ctx.app.store, ctx.app.embedder, ctx.user.id,
                                     data, name, format or None)
    return report.to_json()


@router.get("/subscriptions", response_model=list[schemas.SubscriptionPublic])
async def list_subscriptions(ctx: Ctx) -> list[dict[str, Any]]:
    """What the radar follows (the chips)."""
    rows = await run_in_threadpool(ctx.app.accounts.chips, ctx.radar.id)
    return [{"id": s.id, "kind": s.kind, "value": s.value} for s in rows]


@router.post("/subscriptions", response_model=schemas.SubscriptionPublic, status_code=201,
             dependencies=[JsonWrite])
async def create_subscription(ctx: Ctx, body: schemas.SubscriptionCreate) -> dict[str, Any]:
    """Follow an author, keyword, category or venue."""
    sub = await run_in_threadpool(subs.follow, ctx.app.store, ctx.radar.id, body.kind, body.value)
    return {"id": sub.id, "kind": sub.kind, "value": sub.value}


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(ctx: Ctx, subscription_id: RowId) -> None:
    """Unfollow (remove a chip)."""
    await run_in_threadpool(ctx.app.accounts.unfollow, ctx.radar.id, subscription_id)


@router.get("/sources")
async def list_sources(ctx: Ctx) -> list[dict[str, Any]]:
    """Every source stream's health and last run (the sources page's twin)."""
    report = await run_in_threadpool(stream_health, ctx.app.store, ctx.app.settings)
    return [h.to_json() for h in report]


@router.get("/health", response_model=schemas.HealthPublic)
async def health(state: Annotated[AppState, Depends(app_state)]) -> dict[str, Any]:
    """Whether the store answers, how many works it holds and its newest day (no sign-in needed)."""
    def read() -> dict[str, Any]:
        works, newest = stored_papers.holdings(state.store)
        return {"status": "ok", "works": works, "latest_day": newest.isoformat() if newest else None,
                "batch_process": state.batches.state}
    return await run_in_threadpool(read)


@router.get("/admin/jobs")
async def admin_jobs(ctx: Ctx) -> list[dict[str, Any]]:
    """The job queue: per queue, how many jobs wait, wait to retry and died, and the latest dead ones."""
    if not ctx.is_admin:
        raise HTTPException(403, "admins only")
    reports = await run_in_threadpool(queue_report, ctx.app.settings)
    return [{"queue": r.queue, "queued": r.queued, "retrying": r.retrying, "dead": r.dead, "error": r.error,
             "recent_dead": [{"id": d.id, "actor": d.actor, "args": d.args, "died_at": d.died_at.isoformat(),
                              "error": d.error} for d in r.recent_dead]} for r in reports]
