"""The admin page: users, source health, job history, settings (secrets masked). Admins only."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from academichub.health import recent_runs, stream_health
from academichub.web.deps import Ctx
from academichub.web.pages import _render
from academichub.worker.queue_status import queue_report

router = APIRouter(include_in_schema=False)


def masked_settings(ctx: Ctx) -> str:
    """The effective settings as TOML-like JSON, every secret shown as ********** (pydantic's SecretStr)."""
    data: dict[str, Any] = json.loads(ctx.app.settings.model_dump_json())
    return json.dumps(data, indent=2, ensure_ascii=False)


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """Users, sources, recent runs and settings for the install's administrators."""
    if not ctx.is_admin:
        raise HTTPException(403, "admins only")
    store, accounts = ctx.app.store, ctx.app.accounts

    def gather() -> dict[str, Any]:
        users = [{"user": u, "admin": accounts.is_admin(u.id), "radars": len(accounts.radars(u.id))}
                 for u in accounts.readers()]
        return {"users": users, "report": stream_health(store, ctx.app.settings), "runs": recent_runs(store),
                "settings_text": masked_settings(ctx), "briefings": ctx.app.briefing.kept_count(ctx.user.id),
                "queues": queue_report(ctx.app.settings)}
    return _render(request, ctx, "admin.html", **await run_in_threadpool(gather))
