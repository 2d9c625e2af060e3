"""Per-request context: the store, settings, the reader, their radar and language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from academichub.embedding.base import Embedder
from academichub.i18n import gettext_for, pick_language
from academichub.radar.feed import FeedService
from academichub.settings import Settings
from academichub.storage.accounts import Radar, User
from academichub.storage.store import Store

LANG_COOKIE = "lang"


@dataclass(frozen=True)
class AppState:
    """What the app factory builds once and every request shares."""

    settings: Settings
    store: Store
    feed: FeedService
    secret: bytes
    embedder: Embedder | None = None
    briefing: Any = None  # BriefingService (typed loosely: it imports the feed, which imports this)


@dataclass(frozen=True)
class RequestContext:
    """What a handler needs about this request."""

    app: AppState
    user: User
    radar: Radar
    lang: str

    @property
    def gettext(self) -> Callable[[str], str]:
        """The `_` of the request's language."""
        return gettext_for(self.lang)


def app_state(request: Request) -> AppState:
    """The shared state of the app serving this request."""
    return request.app.state.academichub


def request_context(request: Request, state: Annotated[AppState, Depends(app_state)]) -> RequestContext:
    """The local reader and their default radar (accounts arrive with multi-user mode)."""
    user, radar = request.app.state.local_user
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                         user.language, default=state.settings.language)
    return RequestContext(state, user, radar, lang)


Ctx = Annotated[RequestContext, Depends(request_context)]
