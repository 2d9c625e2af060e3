"""Private RSS 2.0 and Atom feeds of a radar (the token in the URL is the only credential)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from functools import partial

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from academichub.errors import NotFoundError
from academichub.i18n import gettext_for, pick_language
from academichub.keys import strip_control
from academichub.present.links import paper_path
from academichub.present.names import radar_title
from academichub.present.render import plain_text
from academichub.radar import periods
from academichub.search import papers as stored_papers
from academichub.web.deps import AppState, app_state

router = APIRouter(include_in_schema=False)
FEED_ITEMS = 30
FEED_LANGUAGE = {"zh": "zh-CN", "en": "en"}  # the pages' lang attribute


def radar_feed(state: AppState, token: str, base: str, kind: str, *, asked: tuple[str | None, ...] = ()) -> bytes:
    """The radar's best papers of the recent announcement days, as RSS or Atom (nothing is marked
    seen), titled in the first language of `asked` (?lang=, then the feed reader's Accept-Language)
    after the owner's own setting, else the install's."""
    radar = state.accounts.feed_radar(token)
    owner = state.accounts.reader(radar.user_id)
    language = pick_language(asked[0] if asked else None, owner.language, *asked[1:], default=state.settings.language)
    _ = gettext_for(language)
    period = state.feed.period(periods.DEFAULT)
    ranked = state.feed.ranked(radar, period, set(), FEED_ITEMS)
    works = stored_papers.by_work_id(state.store, [r.work_id for r in ranked])
    generator = FeedGenerator()
    generator.id(f"{base}/feeds/radar-{radar.id}")
    name = strip_control(radar_title(radar, language))  # a name stored before names were cleaned: XML refuses them
    generator.title(f"AcademicHub · {name}")
    generator.link(href=f"{base}/", rel="alternate")
    generator.link(href=f"{base}/feeds/{token}.{kind}", rel="self")
    generator.description(_("Papers ranked for the radar “{name}”").format(name=name))
    generator.language(FEED_LANGUAGE[language])
    if kind == "rss":  # RSS 2.0's <author> is an e-mail address, so feedgen wrote none: names go in dc:creator
        generator.load_extension("dc", atom=False)
    newest: datetime | None = None
    for r in reversed(ranked):  # feedgen puts the last added first
        work = works.get(r.work_id)
        if work is None:
            continue
        paper = work.paper
        link = paper.links.get("abs") or f"{base}{paper_path(work.public_id)}"
        entry = generator.add_entry()
        entry.id(f"{base}{paper_path(work.public_id)}")
        # Feed readers show text: TeX typeset as Unicode (H₀, not "$H_0$"), paragraphs kept.
        entry.title(plain_text(paper.title))
        entry.link(href=link)
        abstract = "\n\n".join(plain_text(p) for p in (paper.abstract or "").split("\n\n") if p.strip())
        entry.description(abstract or plain_text(paper.title))  # feedgen escapes text; it is never markup here
        for author in paper.authors[:20]:
            entry.author(name=author.name)
        if kind == "rss" and paper.authors:
            entry.dc.dc_creator([author.name for author in paper.authors[:20]])
        for category in paper.categories[:5]:
            entry.category(term=category)
        entry.published(datetime.combine(work.feed_date, time(0), tzinfo=UTC))
        entry.updated(work.updated_at)
        newest = work.updated_at if newest is None else max(newest, work.updated_at)
    if newest is not None:  # feedgen's default is now: the feed changed at every poll, for every reader
        generator.updated(newest)
        generator.lastBuildDate(newest)
    return generator.atom_str(pretty=True) if kind == "atom" else generator.rss_str(pretty=True)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


@router.get("/feeds/{token}.{kind}")
async def feed(request: Request, token: str, kind: str) -> Response:
    """GET /feeds/TOKEN.atom or .rss."""
    if kind not in ("atom", "rss"):
        raise NotFoundError("feeds: use .atom or .rss")
    state = app_state(request)
    asked = (request.query_params.get("lang"), request.headers.get("accept-language"))
    body = await run_in_threadpool(partial(radar_feed, asked=asked), state, token, str(request.base_url).rstrip("/"),
                                   kind)
    # Feed readers poll: while the papers are the same they get 304 and no body (53 KB each time).
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    headers = {"Cache-Control": "private, max-age=300", "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    media = "application/atom+xml" if kind == "atom" else "application/rss+xml"
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)
