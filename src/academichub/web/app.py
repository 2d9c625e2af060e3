"""The FastAPI app factory: pages and /api/v1 over the same services, assets from the package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from academichub import __version__, compose
from academichub.auth.secret import MIN_LENGTH
from academichub.compose import REQUEST_THREADS, Accounts, Store, open_store, prepare_store
from academichub.errors import (
    AcademicHubError,
    AuthError,
    ConfigError,
    DeliveryError,
    InputError,
    NotFoundError,
    SourceError,
    TooManyAttemptsError,
)
from academichub.memory import tune_allocator
from academichub.settings import Settings, load_settings
from academichub.web import (
    account_pages,
    admin_pages,
    api,
    api_docs,
    briefing_api,
    briefing_pages,
    delivery_routes,
    export_api,
    feeds_out,
    pages,
    radar_api,
)
from academichub.web.batch_process import NextBatches
from academichub.web.deps import AppState, SignInRequired
from academichub.web.fresh import FreshReads, close_reads
from academichub.web.pagecache import PageCache
from academichub.web.reconnect import DatabaseOutages
from academichub.web.replay import Replays
from academichub.web.security import KnownHosts, RequestLimits, SameOrigin, SecurityHeaders

STATIC_DIR = Path(__file__).parent / "static"


def _status(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, (InputError, ConfigError, DeliveryError)):
        return 400, "bad_request"
    if isinstance(exc, TooManyAttemptsError):
        return 429, "too_many_attempts"
    if isinstance(exc, AuthError):
        return 401, "unauthorized"
    if isinstance(exc, SourceError):  # a source the request needed (ORCID, an LLM endpoint) failed
        return 502, "source_failed"
    return 500, "internal_error"


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def refuse_insecure(settings: Settings, host: str | None = None, store: Store | None = None) -> None:
    """Stop before serving a configuration that would put readers' accounts or data at risk."""
    host = host or settings.host
    if settings.secret_key is not None and len(settings.secret_key.get_secret_value()) < MIN_LENGTH:
        raise ConfigError(f"web: secret_key is shorter than {MIN_LENGTH} characters; leave it unset to have one generated")
    if settings.auth.mode == "accounts" and host not in LOOPBACK and settings.auth.secure_cookies == "never":
        raise ConfigError(f"web: accounts mode on {host} with auth.secure_cookies = never would send "
                          "session cookies in clear; use auto (behind HTTPS) or always")
    if settings.auth.mode != "local":
        return
    if host not in LOOPBACK and not settings.auth.local_network:
        raise ConfigError(f"web: local mode has no sign-in, so on {host} whoever reaches the address would be the "
                          "reader; serve on 127.0.0.1, set ACADEMICHUB_AUTH__MODE=accounts, or, if that is what "
                          "you want, ACADEMICHUB_AUTH__LOCAL_NETWORK=true")
    others = Accounts(store).with_passwords() if store is not None else []
    if others:
        raise ConfigError(f"web: this install has accounts ({', '.join(others[:5])}) but runs in local mode, where "
                          "every request is the local reader and their passwords and tokens protect nothing; "
                          "set ACADEMICHUB_AUTH__MODE=accounts")


def worker_app() -> FastAPI:
    """The app of one of `serve --workers N`'s processes (settings from the environment it was given).

    The parent prepared the store; a worker neither migrates nor writes the index: it opens the
    database and reads the index, the feature snapshot files and the stored models like any other
    process, so none of them holds anything a request needs that the others lack.
    """
    tune_allocator()
    settings = load_settings()
    return create_app(settings, store=open_store(settings, sync=False))


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """Build the app for these settings (the store is opened and prepared here unless given)."""
    refuse_insecure(settings)
    store = store or prepare_store(settings)
    refuse_insecure(settings, store=store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Request threads wait on the GIL or the database: more than the connection pool only
        # queue for a connection (or open and close overflow ones on every request).
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        batches.start()
        try:
            yield
        finally:
            batches.close()
            await close_reads()
            store.close()

    app = FastAPI(title="AcademicHub", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json")
    services = compose.build(settings, store=store)
    batches = NextBatches(settings, services.feed)
    app.state.academichub = AppState(settings, store, services.feed, services.secret, services.embedder,
                                     services.briefing, services.trainer, PageCache(services.feed, record=batches.record), services,
                                     batches)
    app.state.local_user = services.accounts.local_reader()
    # Innermost: what the routes could not read for a database away is run again or answered 503.
    # Replays bypass it (they fall through to the routes when the database fails them): wrapping
    # every replay cost 5% of GET / (bench/load.py --scenario home, 6,390 against 6,726 requests/s).
    app.add_middleware(DatabaseOutages)
    app.add_middleware(Replays)  # the security headers are added to its answers too
    app.add_middleware(FreshReads)  # before any read: PostgreSQL's board caught up with the store
    app.add_middleware(RequestLimits)
    app.add_middleware(SameOrigin, public_url=settings.public_url or "")
    if settings.auth.mode == "local" and not settings.auth.local_network:
        app.add_middleware(KnownHosts, names=settings.auth.host_names, public_url=settings.public_url or "")
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:  # browsers ask for it on every page, linked or not
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
    api_docs.mount(app)
    app.include_router(api.router)
    app.include_router(export_api.router)  # before briefing_api: /briefings/{id}/export is more specific
    app.include_router(briefing_api.router)
    app.include_router(radar_api.router)
    app.include_router(delivery_routes.api)
    app.include_router(delivery_routes.pages)
    app.include_router(pages.router)
    app.include_router(briefing_pages.router)
    app.include_router(account_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(feeds_out.router)

    plain_openapi = app.openapi

    def openapi() -> dict:
        # FastAPI describes Server-Sent Events with OpenAPI 3.2's `itemSchema` inside a document
        # that says 3.1; say 3.2 so validators and generators read the document as what it is.
        spec = plain_openapi()
        if '"itemSchema"' in str(spec).replace("'", '"'):
            spec["openapi"] = "3.2.0"
        return spec

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(SignInRequired)
    async def sign_in_first(_request: Request, exc: SignInRequired):  # type: ignore[no-untyped-def]
        return RedirectResponse(f"/login?{urlencode({'next': exc.next_path})}", status_code=303)

    @app.exception_handler(AcademicHubError)
    async def handle_known(request: Request, exc: AcademicHubError):  # type: ignore[no-untyped-def]
        status, code = _status(exc)
        if request.url.path.startswith("/api/"):
            error = {"code": code, "message": str(exc)}
            if isinstance(exc, InputError) and exc.suggestions:
                error["suggestions"] = list(exc.suggestions)
            response = JSONResponse({"error": error}, status_code=status)
        else:
            response = pages.error_page(request, status, str(exc), exc.problem if isinstance(exc, InputError) else "")
        if isinstance(exc, TooManyAttemptsError):
            response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        code = {404: "not_found", 405: "method_not_allowed", 403: "forbidden", 415: "unsupported_media_type"}
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": {"code": code.get(exc.status_code, "http_error"),
                                           "message": str(exc.detail)}}, status_code=exc.status_code)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def handle_invalid(request: Request, exc: RequestValidationError):  # type: ignore[no-untyped-def]
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": {"code": "invalid_request", "message": message}}, status_code=422)
        return pages.error_page(request, 422, message)

    return app
