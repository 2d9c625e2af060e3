"""Sign-up, sign-in, sign-out, the account page (language, radars, private feed URLs, API tokens)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from academichub.auth import service as auth
from academichub.errors import AcademicHubError, AuthError, InputError, NotFoundError, TooManyAttemptsError
from academichub.i18n import LANGUAGES, gettext_for, pick_language
from academichub.web.bounds import RowId
from academichub.web.deps import LANG_COOKIE, RADAR_COOKIE, SESSION_COOKIE, AppState, Ctx, app_state
from academichub.web.pages import TEMPLATES, _check_csrf, _local_path, _render
from academichub.web.refusals import refusal
from academichub.web.security import csrf_ok, csrf_token

router = APIRouter(include_in_schema=False)
PRE_COOKIE = "ah_pre"  # binds the sign-in and sign-up forms' CSRF token before there is a session
State = Annotated[AppState, Depends(app_state)]


def secure(request: Request, state: AppState) -> bool:
    """Whether cookies get the Secure flag."""
    mode = state.settings.auth.secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def _language(request: Request, state: AppState) -> str:
    """The language of a page for readers not signed in: the query, the cookie, the browser, the install's."""
    return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                         request.headers.get("accept-language"), default=state.settings.language)


def _said(request: Request, state: AppState, error: AcademicHubError | None = None, *, problem: str = "") -> str:
    """Why a sign-in or sign-up form was refused, in its reader's language (it was English on
    every page: "the name 'alice' is taken"); the service's own words where the table has none."""
    said = refusal(error, gettext_for(_language(request, state)), problem, n=state.settings.auth.min_password)
    return said or (str(error).removeprefix("accounts: ") if error else "")


def _public(request: Request, state: AppState, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A page for readers not signed in, with a pre-session form token."""
    lang = _language(request, state)
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    context = {"_": gettext_for(lang), "lang": lang, "path": request.url.path, "query": "",
               "csrf": csrf_token(state.secret, f"pre:{pre}"), "signup": state.settings.auth.signup, **values}
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", secure=secure(request, state))
    return response


def _pre_ok(request: Request, state: AppState, token: str | None) -> bool:
    pre = request.cookies.get(PRE_COOKIE)
    return bool(pre) and csrf_ok(state.secret, f"pre:{pre}", token)


def _signed_in(request: Request, state: AppState, session: str, target: str | None) -> RedirectResponse:
    response = RedirectResponse(_local_path(target), status_code=303)
    response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax", secure=secure(request, state),
                        max_age=int(state.settings.auth.session_days * 86400))
    response.delete_cookie(RADAR_COOKIE)
    return response


@router.get("/login", response_class=HTMLResponse, response_model=None)
async def login_page(request: Request, state: State, next: str = "/") -> Response:
    """The sign-in form (local mode has no sign-in: home)."""
    if state.settings.auth.mode == "local":
        return RedirectResponse("/", status_code=303)
    return _public(request, state, "login.html", next=_local_path(next))


@router.post("/login")
async def login(request: Request, state: State, name: Annotated[str, Form(max_length=63)],
                password: Annotated[str, Form(max_length=1000)], csrf: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/") -> Response:
    """Check the credentials; open a session."""
    if state.settings.auth.mode == "local":
        return RedirectResponse("/", status_code=303)
    if not _pre_ok(request, state, csrf):
        return _public(request, state, "login.html", 403, next=next, error=_said(request, state, problem="form-expired"))
    address = request.client.host if request.client else "unknown"
    try:
        _user, session = await run_in_threadpool(auth.sign_in, state.store, name.strip(), password, address,
                                                 state.settings.auth)
    except AcademicHubError as exc:
        status = 429 if isinstance(exc, TooManyAttemptsError) else 401
        response = _public(request, state, "login.html", status, next=next, name=name,
                           error=_said(request, state, exc))
        if isinstance(exc, TooManyAttemptsError):
            response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response
    return _signed_in(request, state, session, next)


@router.get("/signup", response_class=HTMLResponse, response_model=None)
async def signup_page(request: Request, state: State) -> Response:
    """The sign-up form (when sign-up is open)."""
    if state.settings.auth.mode == "local":
        return RedirectResponse("/", status_code=303)
    if not state.settings.auth.signup:
        raise NotFoundError("accounts: sign-up is closed here; ask an administrator for an account")
    return _public(request, state, "signup.html")


@router.post("/signup")
async def signup(request: Request, state: State, name: Annotated[str, Form(max_length=63)],
                 password: Annotated[str, Form(max_length=1000)], csrf: Annotated[str, Form()] = "") -> Response:
    """Create an account and sign it in."""
    if state.settings.auth.mode == "local" or not state.settings.auth.signup:
        raise NotFoundError("accounts: sign-up is closed here; ask an administrator for an account")
    if not _pre_ok(request, state, csrf):
        return _public(request, state, "signup.html", 403, error=_said(request, state, problem="form-expired"))
    address = request.client.host if request.client else "unknown"
    try:
        await run_in_threadpool(auth.add_user, state.store, name.strip(), password, state.settings.auth)
        _user, session = await run_in_threadpool(auth.sign_in, state.store, name.strip(), password, address,
                                                 state.settings.auth)
    except AcademicHubError as exc:
        return _public(request, state, "signup.html", 400, name=name,
                       error=_said(request, state, exc))
    return _signed_in(request, state, session, "/")


@router.post("/logout")
async def logout(request: Request, ctx: Ctx, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    """End the session."""
    _check_csrf(ctx, csrf)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        await run_in_threadpool(ctx.app.accounts.sign_out, session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(RADAR_COOKIE)
    return response


async def _account(request: Request, ctx: Ctx, *, new_token: str | None = None,
                   new_feed: tuple[int, str] | None = None, status: int = 200, **notes: str) -> HTMLResponse:
    """The account page; a secret made by this request is shown on it, once (only its hash is kept)."""
    accounts = ctx.app.accounts
    radars = await run_in_threadpool(accounts.radars, ctx.user.id)
    feeds = {r.id: await run_in_threadpool(accounts.has_feed_token, r.id) for r in radars}
    tokens = await run_in_threadpool(accounts.api_tokens, ctx.user.id)
    deliveries = await run_in_threadpool(ctx.app.deliveries.of_user, ctx.user.id)
    return _render(request, ctx, "account.html", my_radars=radars, feeds=feeds, tokens=tokens, deliveries=deliveries,
                   radar_names={r.id: r.name for r in radars}, smtp_ready=bool(ctx.app.settings.smtp.host),
                   new_token=new_token, new_feed=new_feed, base=str(request.base_url).rstrip("/"),
                   min_password=ctx.app.settings.auth.min_password, status=status, **notes)


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """Language, radars with their private feed URLs, and API tokens."""
    return await _account(request, ctx)


async def account_with_error(request: Request, ctx: Ctx, **error: str) -> HTMLResponse:
    """The account page again, a form's refusal beside it (400): the form's section is its anchor."""
    return await _account(request, ctx, status=400, **error)


def _back_to_account() -> RedirectResponse:
    return RedirectResponse("/account", status_code=303)


@router.post("/account/language")
async def set_language(ctx: Ctx, csrf: Annotated[str, Form()], language: Annotated[str, Form()]) -> RedirectResponse:
    """Remember the reader's language (interface and briefings)."""
    _check_csrf(ctx, csrf)
    await run_in_threadpool(ctx.app.accounts.set_language, ctx.user.id,
                            language if language in LANGUAGES else None)
    response = RedirectResponse("/account", status_code=303)
    response.delete_cookie(LANG_COOKIE)
    return response


@router.post("/account/password", response_model=None)
async def change_password(request: Request, ctx: Ctx, csrf: Annotated[str, Form()],
                          current: Annotated[str, Form(max_length=1000)], new: Annotated[str, Form(max_length=1000)],
                          repeat: Annotated[str, Form(max_length=1000)]) -> Response:
    """Change the reader's password; their other sessions (another browser, a lost phone) end."""
    _check_csrf(ctx, csrf)
    if ctx.app.settings.auth.mode == "local":
        raise NotFoundError("accounts: local mode has no passwords")
    _ = ctx.gettext
    if new != repeat:
        return await _account(request, ctx, status=400, password_error=_("The two new passwords differ."))
    address = request.client.host if request.client else "unknown"
    try:
        ended = await run_in_threadpool(auth.change_password, ctx.app.store, ctx.user, current, new, address,
                                        ctx.app.settings.auth, session=request.cookies.get(SESSION_COOKIE))
    except TooManyAttemptsError as exc:
        response = await _account(request, ctx, status=429, password_error=refusal(exc, _))
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response
    except AuthError:
        return await _account(request, ctx, status=400, password_error=_("The current password is wrong."))
    except InputError as exc:
        return await _account(request, ctx, status=400, password_error=refusal(
            exc, _, n=ctx.app.settings.auth.min_password) or str(exc).removeprefix("accounts: "))
    return await _account(request, ctx, password_note=_("Password changed. Sessions signed out elsewhere: {n}.")
                          .format(n=ended))


@router.post("/account/radars")
async def create_radar(request: Request, ctx: Ctx, csrf: Annotated[str, Form()],
                       name: Annotated[str, Form(max_length=200)]) -> Response:
    """Add a radar."""
    _check_csrf(ctx, csrf)
    try:
        radar = await run_in_threadpool(ctx.app.accounts.new_radar, ctx.user.id, name)
    except InputError as exc:  # said beside the form, in the reader's language
        return await account_with_error(request, ctx, radar_error=refusal(exc, ctx.gettext) or str(exc))
    return RedirectResponse(f"/?radar={radar.id}", status_code=303)


@router.post("/account/radars/{radar_id}/delete")
async def delete_radar(ctx: Ctx, radar_id: RowId, csrf: Annotated[str, Form()]) -> RedirectResponse:
    """Delete a radar (not the default one)."""
    _check_csrf(ctx, csrf)
    await run_in_threadpool(ctx.app.accounts.delete_radar, ctx.user.id, radar_id)
    return _back_to_account()


@router.post("/account/radars/{radar_id}/feed", response_model=None)
async def radar_feed_url(request: Request, ctx: Ctx, radar_id: RowId, csrf: Annotated[str, Form()],
                         action: Annotated[str, Form()] = "create") -> Response:
    """Create (replacing the old one) or revoke a radar's private RSS/Atom URL."""
    _check_csrf(ctx, csrf)
    if action == "revoke":
        await run_in_threadpool(ctx.app.accounts.revoke_feed_tokens, ctx.user.id, radar_id)
        return _back_to_account()
    token = await run_in_threadpool(ctx.app.accounts.new_feed_token, ctx.user.id, radar_id)
    return await _account(request, ctx, new_feed=(radar_id, token))


@router.post("/account/tokens")
async def create_token(request: Request, ctx: Ctx, csrf: Annotated[str, Form()], name: Annotated[str, Form(max_length=200)] = "web") -> Response:
    """A new personal API token, shown once."""
    _check_csrf(ctx, csrf)
    token = await run_in_threadpool(ctx.app.accounts.new_api_token, ctx.user.id, name or "web")
    return await _account(request, ctx, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(ctx: Ctx, token_id: RowId, csrf: Annotated[str, Form()]) -> RedirectResponse:
    """Revoke a personal API token."""
    _check_csrf(ctx, csrf)
    await run_in_threadpool(ctx.app.accounts.revoke_api_token, ctx.user.id, token_id)
    return _back_to_account()
