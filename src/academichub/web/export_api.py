"""/api/v1 exports: BibTeX, RIS or CSL-JSON of papers, a feed batch, the saved list or a briefing's references."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from academichub.errors import InputError
from academichub.export.citations import FORMATS, export
from academichub.keys import paper_reference
from academichub.model.works import StoredWork
from academichub.radar import feedback
from academichub.search import papers as stored_papers
from academichub.web.api import ERRORS, Page
from academichub.web.bounds import RowId
from academichub.web.briefing_api import stored_briefing
from academichub.web.deps import Ctx

router = APIRouter(prefix="/api/v1", tags=["export"], responses=ERRORS)
Format = Annotated[str, Query(pattern="^(bibtex|ris|csl-json)$", description="bibtex, ris or csl-json")]
MAX_IDS = 500
# What the export routes answer, for the OpenAPI document (each format's own media type).
FILES = {200: {"description": "The file", "content": {
    f"{media}; charset=utf-8": {"schema": {"type": "array", "items": {"type": "object"}} if media.endswith("+json")
                                else {"type": "string"}}
    for media, _extension in FORMATS.values()}}}


def download(works: list[StoredWork], fmt: str, name: str) -> Response:
    """The works as a file in the format asked for."""
    media, extension = FORMATS[fmt]
    return Response(export(works, fmt), media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"'})


def saved_works(ctx: Ctx) -> list[StoredWork]:
    """The reader's saved papers, most recently saved first."""
    return feedback.saved(ctx.app.store, ctx.user.id)


_ROW_ID = re.compile(r"w\d+")


def split_ids(text: str) -> list[str]:
    """Comma-separated paper ids; a comma inside a DOI stays in it ("doi:10.1007/3-540-45,2" is
    one id): a piece that names no paper by itself continues the one before it."""
    ids: list[str] = []
    for piece in text.split(","):
        if ids and piece.strip() and not (_ROW_ID.fullmatch(piece.strip()) or paper_reference(piece)):
            ids[-1] += "," + piece
        elif piece.strip():
            ids.append(piece)
    return [i.strip() for i in ids]


@router.get("/export", responses=FILES, response_class=Response)
async def export_papers(ctx: Ctx, ids: Annotated[str, Query(description="Paper ids, comma-separated")],
                        format: Format = "bibtex") -> Response:
    """Papers (one or a selection) as BibTeX, RIS or CSL-JSON."""
    wanted = split_ids(ids)
    if not wanted or len(wanted) > MAX_IDS:
        raise InputError(f"export: give 1 to {MAX_IDS} paper ids")
    works = await run_in_threadpool(stored_papers.papers, ctx.app.store, wanted, "export")
    return download(works, format, "papers" if len(works) > 1 else works[0].public_id.replace(":", "-"))


@router.get("/feed/export", responses=FILES, response_class=Response)
async def export_feed(ctx: Ctx, format: Format = "bibtex") -> Response:
    """The radar's current batch."""
    page = await run_in_threadpool(ctx.app.feed.current, ctx.radar)
    return download([card.work for card in page.cards], format, f"batch-{page.batch}")


@router.get("/saved")
async def list_saved(ctx: Ctx, page: Page, response: Response) -> list[dict[str, Any]]:
    """Your saved papers, most recently saved first."""
    works, total = await run_in_threadpool(
        lambda: feedback.saved_page(ctx.app.store, ctx.user.id, offset=page.offset, limit=page.limit))
    response.headers["X-Total-Count"] = str(total)
    return [{"id": w.public_id, "title": w.paper.title, "source_label": w.label, "date": w.feed_date.isoformat()}
            for w in works]


@router.get("/saved/export", responses=FILES, response_class=Response)
async def export_saved(ctx: Ctx, format: Format = "bibtex") -> Response:
    """Your saved list."""
    return download(await run_in_threadpool(saved_works, ctx), format, "saved")


@router.get("/briefings/{briefing_id}/export", responses=FILES, response_class=Response)
async def export_briefing(ctx: Ctx, briefing_id: RowId, format: Format = "bibtex") -> Response:
    """A briefing's references, in its [n] order."""
    briefing, _radar = await run_in_threadpool(stored_briefing, ctx, briefing_id)
    works = await run_in_threadpool(stored_papers.papers, ctx.app.store, [p.id for p in briefing.papers], "export")
    return download(works, format, f"briefing-{briefing_id}")
