"""/api/v1 for accounts: who am I, radars and their feeds, personal API tokens, private feed URLs.

Every radar route checks ownership: another reader's radar is "not found" (404), never shown.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from academichub.auth.accounts import token_name
from academichub.model.accounts import Radar
from academichub.web import schemas
from academichub.web.api import ERRORS, JsonWrite, feed_response, next_response
from academichub.web.bounds import RowId
from academichub.web.deps import Ctx

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=ERRORS)


class RadarCreate(BaseModel):
    """A new radar."""

    name: str = Field(examples=["watch list"], min_length=1, max_length=200)


class TokenCreate(BaseModel):
    """A new personal API token."""

    name: str = Field("api", max_length=200)


def own_radar(ctx: Ctx, radar_id: RowId) -> Radar:
    """One of the caller's radars; anyone else's is not found."""
    return ctx.app.accounts.radar_of(ctx.user.id, radar_id)


def radar_json(ctx: Ctx, radar: Radar) -> dict[str, Any]:
    """A radar as the API shows it."""
    return {"id": radar.id, "name": radar.name, "is_default": radar.is_default,
            "subscriptions": [{"id": s.id, "kind": s.kind, "value": s.value}
                              for s in ctx.app.accounts.chips(radar.id)]}


@router.get("/me")
async def me(ctx: Ctx) -> dict[str, Any]:
    """The caller."""
    return {"id": ctx.user.id, "name": ctx.user.name, "display_name": ctx.user.display_name,
            "language": ctx.user.language, "is_admin": ctx.is_admin}


@router.get("/radars")
async def list_radars(ctx: Ctx) -> list[dict[str, Any]]:
    """The caller's radars with what each follows."""
    def read() -> list[dict[str, Any]]:
        return [radar_json(ctx, r) for r in ctx.app.accounts.radars(ctx.user.id)]
    return await run_in_threadpool(read)


@router.post("/radars", status_code=201, dependencies=[JsonWrite])
async def create_radar(ctx: Ctx, body: RadarCreate) -> dict[str, Any]:
    """Add a radar."""
    radar = await run_in_threadpool(ctx.app.accounts.new_radar, ctx.user.id, body.name)
    return radar_json(ctx, radar)


@router.delete("/radars/{radar_id}", status_code=204)
async def delete_radar(ctx: Ctx, radar_id: RowId) -> None:
    """Delete a radar (not the default one)."""
    await run_in_threadpool(ctx.app.accounts.delete_radar, ctx.user.id, radar_id)


@router.get("/radars/{radar_id}/feed", response_model=schemas.FeedPublic, response_model_by_alias=True)
async def radar_feed(ctx: Ctx, radar_id: RowId, period: str | None = None) -> Any:
    """A radar's current batch."""
    # The caller's radars came with the request context: no second read (nor a thread hop) here.
    radar = next((r for r in ctx.radars if r.id == radar_id), None)
    return await feed_response(ctx, radar or await run_in_threadpool(own_radar, ctx, radar_id), period)


@router.post("/radars/{radar_id}/feed/next", response_model=schemas.FeedPublic, dependencies=[JsonWrite])
async def radar_feed_next(ctx: Ctx, radar_id: RowId, body: schemas.FeedNext | None = None) -> Response:
    """换一批 on a radar."""
    radar = next((r for r in ctx.radars if r.id == radar_id), None)
    return await next_response(ctx, radar or await run_in_threadpool(own_radar, ctx, radar_id), body)


@router.post("/radars/{radar_id}/feed-url", status_code=201)
async def create_feed_url(request: Request, ctx: Ctx, radar_id: RowId) -> dict[str, str]:
    """A new private RSS/Atom URL for a radar (the old one stops working); shown once."""
    token = await run_in_threadpool(ctx.app.accounts.new_feed_token, ctx.user.id, radar_id)
    base = str(request.base_url).rstrip("/")
    return {"atom": f"{base}/feeds/{token}.atom", "rss": f"{base}/feeds/{token}.rss"}


@router.delete("/radars/{radar_id}/feed-url", status_code=204)
async def revoke_feed_url(ctx: Ctx, radar_id: RowId) -> None:
    """Revoke a radar's private feed URLs."""
    await run_in_threadpool(ctx.app.accounts.revoke_feed_tokens, ctx.user.id, radar_id)


@router.get("/tokens")
async def list_tokens(ctx: Ctx) -> list[dict[str, Any]]:
    """The caller's API tokens (never the tokens themselves)."""
    rows = await run_in_threadpool(ctx.app.accounts.api_tokens, ctx.user.id)
    return [{"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat(),
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None, "revoked": t.revoked}
            for t in rows]


@router.post("/tokens", status_code=201, dependencies=[JsonWrite])
async def create_token(ctx: Ctx, body: TokenCreate) -> dict[str, str]:
    """A new personal API token, shown once."""
    token = await run_in_threadpool(ctx.app.accounts.new_api_token, ctx.user.id, body.name)
    return {"token": token, "name": token_name(body.name)}  # as listed: "t\x00" was answered, "t" kept


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(ctx: Ctx, token_id: RowId) -> None:
    """Revoke one of the caller's tokens."""
    await run_in_threadpool(ctx.app.accounts.revoke_api_token, ctx.user.id, token_id)
