"""Per-request context: the store, settings, the reader, their radar and language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from academichub.auth.service import session_subject
from academichub.compose import Accounts, Deliveries, Store
from academichub.embedding.base import Embedder
from academichub.errors import AuthError, NotFoundError
from academichub.i18n import gettext_for, pick_language
from academichub.model.accounts import Radar, User
from academichub.radar.feed import FeedService
from academichub.settings import Settings

LANG_COOKIE = "lang"
SESSION_COOKIE = "ah_session"
RADAR_COOKIE = "ah_radar"


class SignInRequired(Exception):
    """A page needs a signed-in reader: the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class AppState:
    """What the app factory builds once and every request shares."""

    settings: Settings
    store: Store
    feed: FeedService
    secret: bytes
    embedder: Embedder | None = None
    briefing: Any = None  # BriefingService (typed loosely: it imports the feed, which imports this)
    trainer: Any = None  # worker.training.BackgroundTrainer: retrains reader models off the request path
    pages: Any = None  # web.pagecache.PageCache: renderings of the current batch, checked against the store
    services: Any = None  # compose.Services: what the composition root built (delivery is made from it)
    batches: Any = None  # web.batch_process.NextBatches: 换一批, in a process of its own when one runs

    @property
    def accounts(self) -> Accounts:
        """Readers, radars, chips and credentials (the composition root's)."""
        return self.services.accounts

    @property
    def deliveries(self) -> Deliveries:
        """The readers' deliveries (the composition root's)."""
        return self.services.deliveries


@dataclass(frozen=True)
class RequestContext:
    """What a handler needs about this request."""

    app: AppState
    user: User
    radar: Radar
    lang: str
    csrf_subject: str = ""  # what form tokens are bound to: the user (local mode) or the session
    is_admin: bool = False
    radars: tuple[Radar, ...] = ()  # all of the reader's radars, default first

    @property
    def gettext(self) -> Callable[[str], str]:
        """The `_` of the request's language."""
        return gettext_for(self.lang)


def app_state(request: Request) -> AppState:
    """The shared state of the app serving this request."""
    return request.app.state.academichub


def authenticate(request: Request, state: AppState) -> tuple[User, str]:
    """The signed-in reader and the secret their forms are bound to.

    API calls may send `Authorization: Bearer TOKEN`; pages and the API also accept the session
    cookie. Without either, the API answers 401 and pages redirect to the sign-in form.
    """
    accounts = state.accounts
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and request.url.path.startswith("/api/"):
        user = accounts.bearer(header[7:].strip())
        if user is None:
            raise AuthError("api: invalid or revoked token")
        return user, "token"
    session = request.cookies.get(SESSION_COOKIE)
    user = accounts.signed_in(session) if session else None
    if user is not None:
        return user, session_subject(session)
    if request.url.path.startswith("/api/"):
        raise AuthError("api: sign in, or send Authorization: Bearer TOKEN (academichub token create)")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise SignInRequired(target)


def pick_radar(accounts: Accounts, user: User, request: Request) -> tuple[Radar, tuple[Radar, ...]]:
    """The radar a request is about (?radar=ID if yours, else the remembered one, else your default)
    and all of yours, default first: one read serves both."""
    mine = tuple(accounts.radars(user.id)) or (accounts.default_radar(user.id),)
    asked = request.query_params.get("radar")
    if asked:  # asked for explicitly: someone else's (or a malformed id) is not found
        found = next((r for r in mine if asked.isdecimal() and r.id == int(asked)), None)
        if found is None:
            raise NotFoundError(f"radars: no radar {asked!r}" if not asked.isdigit() else f"radars: no radar {asked}")
        return found, mine
    remembered = request.cookies.get(RADAR_COOKIE, "")
    # A cookie from another account or a deleted radar falls back to the default.
    return next((r for r in mine if remembered.isdecimal() and r.id == int(remembered)), mine[0]), mine


async def request_context(request: Request) -> RequestContext:
    """The reader (the local one, or the signed-in one in accounts mode), their radar and language.

    Runs on the event loop: one to three indexed reads by key (none while the change
    board says they did not change) cost less than the hop to a worker thread.
    """
    return context_of(request)


def context_of(request: Request) -> RequestContext:
    """`request_context`'s work, for a caller outside FastAPI's dependencies (web/replay.py); raises
    what it does (SignInRequired, AuthError, NotFoundError)."""
    state = app_state(request)
    if state.settings.auth.mode == "local":
        user, _radar = request.app.state.local_user
        subject, admin = user.name, True  # the one local reader administers their own install
    else:
        user, subject = authenticate(request, state)
        admin = state.accounts.is_admin(user.id)
    radar, radars = pick_radar(state.accounts, user, request)
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                         user.language, request.headers.get("accept-language"), default=state.settings.language)
    return RequestContext(state, user, radar, lang, subject, admin, radars)


Ctx = Annotated[RequestContext, Depends(request_context)]
