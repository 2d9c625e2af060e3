"""Deliveries on the web: the API, the account page's forms (with a test button) and unsubscribe links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from academichub.errors import InputError, NotFoundError
from academichub.i18n import gettext_for
from academichub.model.delivery import Delivery
from academichub.web.account_pages import account_with_error
from academichub.web.api import ERRORS, JsonWrite
from academichub.web.bounds import ROW_ID_MAX, RowId
from academichub.web.deps import Ctx, app_state
from academichub.web.pages import TEMPLATES, _check_csrf
from academichub.web.refusals import refusal

api = APIRouter(prefix="/api/v1", tags=["deliveries"], responses=ERRORS)
pages = APIRouter(include_in_schema=False)


class DeliveryCreate(BaseModel):
    """Where and how often a radar's digest goes."""

    channel: str = Field(examples=["email"], description="email, feishu, dingtalk, wecom or slack")
    target: str = Field(examples=["reader@example.org"], max_length=1000, description="E-mail address or webhook URL")
    secret: str | None = Field(None, max_length=500, description="Signing secret (Feishu, DingTalk)")
    cadence: str = Field("daily", description="daily or weekly")
    lang: str | None = Field(None, description="zh or en (default: your language)")
    radar_id: int | None = Field(None, ge=1, le=ROW_ID_MAX, description="Which radar (default: the current one)")


def delivery_json(d: Delivery) -> dict[str, Any]:
    """A delivery as the API shows it (never its secret)."""
    return {"id": d.id, "radar_id": d.radar_id, "channel": d.channel, "target": d.target, "signed": bool(d.secret),
            "cadence": d.cadence, "lang": d.lang, "active": d.active,
            "last_sent_at": d.last_sent_at.isoformat() if d.last_sent_at else None, "last_error": d.last_error}


def own_delivery(ctx: Ctx, delivery_id: RowId) -> Delivery:
    """One of the caller's deliveries; anyone else's is not found."""
    return ctx.app.deliveries.of(ctx.user.id, delivery_id)


def add_delivery(ctx: Ctx, body: DeliveryCreate) -> Delivery:
    """Check and store a new delivery on one of the caller's radars."""
    radar = ctx.radar if body.radar_id is None else ctx.app.accounts.radar_of(ctx.user.id, body.radar_id)
    return ctx.app.deliveries.add(radar, body.channel, body.target, secret=body.secret, cadence=body.cadence,
                                  lang=body.lang or ctx.lang)


def send_test(ctx: Ctx, delivery: Delivery) -> dict[str, Any]:
    """Send a delivery's digest now, marked as a test."""
    digest = ctx.app.services.delivery().send(delivery, test=True)
    return {"sent": True, "papers": len(digest.items), "title": digest.title}


@api.get("/deliveries")
async def list_deliveries(ctx: Ctx) -> list[dict[str, Any]]:
    """Your e-mail digests and webhooks."""
    return [delivery_json(d) for d in await run_in_threadpool(ctx.app.deliveries.of_user, ctx.user.id)]


@api.post("/deliveries", status_code=201, dependencies=[JsonWrite])
async def create_delivery(ctx: Ctx, body: DeliveryCreate) -> dict[str, Any]:
    """Send a radar's digest by e-mail or to a Feishu, DingTalk, WeCom or Slack webhook."""
    return delivery_json(await run_in_threadpool(add_delivery, ctx, body))


@api.delete("/deliveries/{delivery_id}", status_code=204)
async def delete_delivery(ctx: Ctx, delivery_id: RowId) -> None:
    """Stop and remove a delivery."""
    await run_in_threadpool(ctx.app.deliveries.remove, ctx.user.id, delivery_id)


@api.post("/deliveries/{delivery_id}/test")
async def test_delivery(ctx: Ctx, delivery_id: RowId) -> dict[str, Any]:
    """Send the digest now, marked as a test (errors come back as 400 with the service's complaint)."""
    delivery = await run_in_threadpool(own_delivery, ctx, delivery_id)
    return await run_in_threadpool(send_test, ctx, delivery)


@pages.post("/account/deliveries")
async def add_from_form(request: Request, ctx: Ctx, csrf: Annotated[str, Form()], channel: Annotated[str, Form()],
                        target: Annotated[str, Form(max_length=1000)], cadence: Annotated[str, Form()] = "daily",
                        secret: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Add a delivery from the account page; a refusal is said beside its form."""
    _check_csrf(ctx, csrf)
    try:
        await run_in_threadpool(add_delivery, ctx, DeliveryCreate(channel=channel, target=target, cadence=cadence,
                                                                   secret=secret or None))
    except InputError as exc:
        return await account_with_error(request, ctx, delivery_error=refusal(exc, ctx.gettext) or str(exc))
    return RedirectResponse("/account#deliveries", status_code=303)


@pages.post("/account/deliveries/{delivery_id}/{action}")
async def act_from_form(ctx: Ctx, delivery_id: RowId, action: str, csrf: Annotated[str, Form()]) -> RedirectResponse:
    """Test or remove a delivery from the account page."""
    _check_csrf(ctx, csrf)
    delivery = await run_in_threadpool(own_delivery, ctx, delivery_id)
    if action == "test":
        await run_in_threadpool(send_test, ctx, delivery)
    elif action == "remove":
        await run_in_threadpool(ctx.app.deliveries.remove, ctx.user.id, delivery.id)
    else:
        raise NotFoundError(f"deliveries: no action {action!r}")
    return RedirectResponse("/account#deliveries", status_code=303)


def _unsubscribe_page(request: Request, delivery: Delivery, *, done: bool) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "unsubscribe.html", {
        "lang": delivery.lang, "d": delivery, "done": done, "path": request.url.path, "query": "", "csrf": "",
        "_": gettext_for(delivery.lang)})


@pages.get("/unsubscribe/{delivery_id}/{token}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, delivery_id: RowId, token: str) -> HTMLResponse:
    """Confirm before switching a digest off (mail scanners follow links; only a POST unsubscribes)."""
    state = app_state(request)
    delivery = await run_in_threadpool(state.deliveries.by_link, state.secret, delivery_id, token)
    return _unsubscribe_page(request, delivery, done=False)


@pages.post("/unsubscribe/{delivery_id}/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, delivery_id: RowId, token: str) -> Response:
    """Switch the digest off (also the RFC 8058 one-click POST a mail client sends)."""
    state = app_state(request)
    delivery = await run_in_threadpool(state.deliveries.by_link, state.secret, delivery_id, token)
    await run_in_threadpool(state.deliveries.switch_off, delivery)
    return _unsubscribe_page(request, delivery, done=True)
