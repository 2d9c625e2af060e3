"""Server-rendered pages: the feed, a paper, search; forms post back and redirect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from academichub import __version__
from academichub.errors import AcademicHubError, InputError, SourceError
from academichub.health import stream_health
from academichub.i18n import LANGUAGES, gettext_for, ngettext_for, pick_language
from academichub.library import importer
from academichub.model.paper import Author
from academichub.present.feed import reason_text
from academichub.present.links import doi_url, outside_links, paper_path
from academichub.present.names import radar_title
from academichub.present.render import plain_text, render_paragraphs, render_tex
from academichub.radar import feedback, periods
from academichub.radar import subscriptions as subs
from academichub.radar.authors import author_decision
from academichub.radar.rulematch import keyword_has_papers
from academichub.ranking.profile import has_words
from academichub.ranking.reasons import Reason
from academichub.search.service import search, similar
from academichub.sources import journal_rss, registry
from academichub.web import api
from academichub.web.bounds import ROW_ID_MAX, PageNumber, RowId
from academichub.web.deps import LANG_COOKIE, RADAR_COOKIE, Ctx, context_of
from academichub.web.moments import moment
from academichub.web.pagecache import page_variant
from academichub.web.query_language import is_chinese, to_english
from academichub.web.refusals import explained, match_kind, refusal, skip_reason
from academichub.web.security import csrf_ok, csrf_token
from academichub.web.source_notes import error_kind, flag_text
from academichub.web.text_language import lang_attribute

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["tex"] = render_tex
TEMPLATES.env.filters["paragraphs"] = render_paragraphs
TEMPLATES.env.filters["plain"] = plain_text  # where markup cannot go: a page's <title>, an attribute
TEMPLATES.env.filters["paper_path"] = paper_path
TEMPLATES.env.filters["moment"] = moment
TEMPLATES.env.filters["lang_attribute"] = lang_attribute
TEMPLATES.env.globals["version"] = __version__
TEMPLATES.env.globals["languages"] = LANGUAGES
TEMPLATES.env.globals["doi_url"] = doi_url
PERIOD_CHOICES = ("recent", "latest", "week", "month", "all")
SIMILAR_SHOWN = 8
router = APIRouter(include_in_schema=False)


def with_value(template: str, value: str, *, titled: bool = False) -> Markup:
    """A translated template with a source's or reader's value in it, the value marked as not
    to be translated (it is a name or a title, not interface text); `titled`: its whole text also
    as a tooltip (where a long value may be cut)."""
    before, _, after = template.partition("{value}")
    value_html = (Markup('<span translate="no" title="{0}">{0}</span>') if titled
                  else Markup('<span translate="no">{0}</span>')).format(value)
    return escape(before) + value_html + escape(after)


def reason_html(reason: Reason, _: Callable[[str], str]) -> Markup:
    """A card's reason in the reader's language, its value (a name, a title) marked as data; a
    paper's title typeset as the card's own title is (its formulas as MathML, not as TeX)."""
    value = render_tex(reason.value) if reason.kind == "similar_to" else reason.value
    return with_value(reason_text(replace(reason, value="{value}"), _), value)


def status_labels(_: Callable[[str], str]) -> dict[str, str]:
    """A stream's status as the sources and admin pages name it."""
    return {"ok": _("OK"), "failing": _("Failing"), "offline": _("Offline"), "quiet": _("Quiet"),
            "never": _("Not run yet")}


def _labels(_: Callable[[str], str], ngettext: Callable[[str, str, int], str], lang: str) -> dict[str, Any]:
    """Names the interface gives to stored keys: the default radar, the local reader, announce
    types, a stream's status, flags and error kind."""
    types = {"new": _("New submission"), "cross": _("Cross-list"), "replace": _("Replaced version"),
             "replace-cross": _("Replaced version (cross-list)")}
    return {
        "radar_label": lambda radar: radar_title(radar, lang),
        "user_label": lambda u: _("Local reader") if u.is_local else u.display_name,
        "announce_type": lambda kind: types.get(kind, kind),
        "with_value": with_value, "statuses": status_labels(_),
        "flag_text": lambda flag: flag_text(flag, _, ngettext), "error_kind": lambda kind: error_kind(kind, _),
    }


def _fragment_context(request: Request, ctx: Ctx) -> dict[str, Any]:
    """What a card needs to render: the language, the form token and where its forms return to."""
    _ = ctx.gettext
    ngettext = ngettext_for(ctx.lang)
    return {"_": _, "ngettext": ngettext, "lang": ctx.lang,
            "csrf": csrf_token(ctx.app.secret, ctx.csrf_subject),
            "reason_text": lambda r: reason_text(r, _), "reason_html": lambda r: reason_html(r, _),
            "path": request.url.path, "query": str(request.url.query), **_labels(_, ngettext, ctx.lang)}


def _context(request: Request, ctx: Ctx, **values: Any) -> dict[str, Any]:
    return {
        **_fragment_context(request, ctx),
        "user": ctx.user, "radar": ctx.radar, "is_admin": ctx.is_admin,
        "accounts": ctx.app.settings.auth.mode == "accounts", "radars": ctx.radars, **values,
    }


def remember_choices(request: Request, ctx: Ctx, response: HTMLResponse) -> HTMLResponse:
    """The language and radar a page was asked for with ?lang= and ?radar=, kept in cookies."""
    if request.query_params.get("lang") in LANGUAGES:  # ?lang=en also remembers the choice
        response.set_cookie(LANG_COOKIE, ctx.lang, max_age=365 * 86400, samesite="lax")
    if request.query_params.get("radar"):  # ?radar=ID switches the radar the pages show
        response.set_cookie(RADAR_COOKIE, str(ctx.radar.id), max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _render(request: Request, ctx: Ctx, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, name, _context(request, ctx, **values), status_code=status)
    return remember_choices(request, ctx, response)


def error_page(request: Request, status: int, message: str, problem: str = "") -> HTMLResponse:
    """A plain error page in the reader's language (used by the app's error handlers): chosen as
    every page chooses it (the address, the cookie, the reader's setting, the browser's languages,
    the install's default); it was the cookie's or Chinese, whatever the browser asked for."""
    state = getattr(request.app.state, "academichub", None)
    user_language = None
    if status < 500:  # the reader's own setting, where the store answers (a 503 is the store not answering)
        try:
            user_language = context_of(request).user.language
        except Exception:  # noqa: BLE001 - the page explains an error; it must not raise another
            user_language = None
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), user_language,
                         request.headers.get("accept-language"),
                         default=state.settings.language if state is not None else "zh")
    _ = gettext_for(lang)
    context = {"_": _, "lang": lang, "status": status, "message": message, "path": request.url.path,
               "query": "", "csrf": "", "said": refusal(None, _, problem)}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


def _check_csrf(ctx: Ctx, token: str | None) -> None:
    if not csrf_ok(ctx.app.secret, ctx.csrf_subject, token):
        raise HTTPException(403, "invalid or missing form token; reload the page and try again")


def _local_path(target: str | None) -> str:
    """Only same-site paths may be redirect targets."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _feed_values(ctx: Ctx, feed: Any, chips: list[Any], *, seen: bool, page: int) -> dict[str, Any]:
    """What feed.html prints besides the common context: the feed, its chips and the period links."""
    # The default period also shows followed authors' earlier papers: the status line says so,
    # or a card dated before the printed range looks like a filter that does not work.
    lookback = (ctx.app.settings.feed.author_lookback_days if feed.period.spec == periods.DEFAULT and feed.period.end
                and any(c.kind == "author" for c in chips) else 0)
    return {"feed": feed, "chips": chips, "kinds": subs.KINDS, "period_choices": PERIOD_CHOICES, "seen": seen,
            "page": page, "lookback_days": lookback}


@router.get("/", response_class=HTMLResponse)
async def feed_page(request: Request, ctx: Ctx, period: str | None = None, seen: bool = False,
                    page: PageNumber = 1, date_from: Annotated[str, Query(alias="from")] = "",
                    date_to: Annotated[str, Query(alias="to")] = "", unmatched: str = "") -> HTMLResponse:
    """The first screen: chips, 换一批 and the numbered cards (`unmatched`: a keyword chip just
    followed that matches no stored paper, said under the chip box)."""
    if date_from or date_to:
        period = f"{date_from}..{date_to}"
    # A page opened without a period shows the default one: a period picked in one window is
    # that window's (its links carry it), not what every new window opens on.
    period = period or periods.DEFAULT

    # A note only: a value that names no chip (mangled, or another radar's) shows the page without it.
    chip = int(unmatched) if unmatched.isascii() and unmatched.isdigit() and 0 < int(unmatched) <= ROW_ID_MAX else None
    note = await run_in_threadpool(_unmatched_note, ctx, chip) if chip is not None else ""
    if seen or note:  # rendered for this request: a recorded page holds no note
        feed = await (ctx.app.batches.seen(ctx.radar, period=period, page=max(1, page)) if seen
                      else run_in_threadpool(ctx.app.feed.current, ctx.radar, period=period))
        chips = await run_in_threadpool(ctx.app.accounts.chips, ctx.radar.id)
        return _render(request, ctx, "feed.html", **_feed_values(ctx, feed, chips, seen=seen, page=page), chip_note=note)

    def whole_page(feed: Any) -> str:
        # The chips are read here too: the page key holds the radar's subscription version.
        chips = ctx.app.accounts.chips(ctx.radar.id)
        return TEMPLATES.get_template("feed.html").render(_context(
            request, ctx, **_feed_values(ctx, feed, chips, seen=False, page=page)))

    # A recorded batch's page is replayed (on the event loop) while nothing it shows changed;
    # the variant names everything else the page prints.
    html = await ctx.app.pages.get(ctx.radar, period, page_variant(request, ctx, page), whole_page)
    return remember_choices(request, ctx, HTMLResponse(html))


def _unmatched_note(ctx: Ctx, subscription_id: int) -> str:
    """What the page says of a keyword chip of this radar that matches no stored paper ("" otherwise)."""
    sub = next((c for c in ctx.app.accounts.chips(ctx.radar.id) if c.id == subscription_id), None)
    if sub is None or sub.kind != "keyword" or keyword_has_papers(ctx.app.store, sub.value) is not False:
        return ""
    _ = ctx.gettext
    note = _("No stored paper matches “{value}” yet: its papers will be shown as they arrive.").format(value=sub.value)
    if is_chinese(sub.value):
        note += ("" if note.endswith("。") else " ") + _("The papers here are in English: follow the English terms "
                                                         "of your topic too.")
    return note


@router.post("/feed/next")
async def feed_next(ctx: Ctx, csrf: Annotated[str, Form()] = "", period: Annotated[str, Form()] = "",
                    after: Annotated[int | None, Form(ge=0, le=ROW_ID_MAX)] = None) -> RedirectResponse:
    """换一批 from the page (which names the batch it showed, `after`); redirects back to the feed."""
    _check_csrf(ctx, csrf)
    spec = periods.check_spec(period or None) if period else None
    await ctx.app.batches.next(ctx.radar, period=spec, after=after)
    return RedirectResponse("/" + (f"?{urlencode({'period': spec})}" if spec else ""), status_code=303)


def chip_problem(error: InputError, value: str, _: Callable[[str], str]) -> str:
    """Why a chip could not be added, in the reader's language."""
    texts = {
        "category": _("“{value}” is not an arXiv category name (such as cs.CL, astro-ph.GA or hep-th), "
                      "nor a category of any stored paper."),
        "keyword": _("“{value}” cannot be read as a keyword: check its brackets and quotes."),
        "empty": _("Type an author, a keyword or a category to follow."),
        "too-long": _("That is too long to follow (200 characters at most)."),
        "author-letters": _("“{value}” has no letters to find an author by."),
        "author-list": _("“{value}” names several authors: follow them one at a time."),
        "kind": _("Choose author, keyword, category or venue."),
        "too-many": _("This radar follows {limit} already: remove some, or make another radar on the account page."),
    }
    if error.problem not in texts:  # a message of its own (it may hold braces of the typed value)
        return str(error)
    return texts[error.problem].format(value=value.strip()[:80], limit=subs.MAX_SUBSCRIPTIONS)


@router.post("/subscriptions", response_model=None)
async def add_subscription(request: Request, ctx: Ctx, kind: Annotated[str, Form()], value: Annotated[str, Form()],
                           csrf: Annotated[str, Form()] = "",
                           next: Annotated[str, Form()] = "/") -> HTMLResponse | RedirectResponse:
    """Add a chip; a value that cannot be followed comes back under the input, kept, with suggestions."""
    _check_csrf(ctx, csrf)
    try:
        sub = await run_in_threadpool(subs.follow, ctx.app.store, ctx.radar.id, kind, value)
    except InputError as error:
        def build() -> tuple[Any, list[Any]]:
            return ctx.app.feed.current(ctx.radar), ctx.app.accounts.chips(ctx.radar.id)
        feed, chips = await run_in_threadpool(build)
        problem = chip_problem(error, value, ctx.gettext)
        return _render(request, ctx, "feed.html", 422, **_feed_values(ctx, feed, chips, seen=False, page=1),
                       chip_error=problem, chip_kind=kind if kind in subs.KINDS else "author", chip_value=value,
                       suggestions=error.suggestions if error.problem != "kind" else ())
    path, _, query = _local_path(next).partition("?")
    params = [(k, v) for k, v in parse_qsl(query) if k != "unmatched"]  # an earlier chip's note is done
    if sub.kind == "keyword" and await run_in_threadpool(keyword_has_papers, ctx.app.store, sub.value) is False:
        # The page says so under the chip box (it would otherwise stay silent: no card, no error).
        params.append(("unmatched", str(sub.id)))
    return RedirectResponse(path + (f"?{urlencode(params)}" if params else ""), status_code=303)


@router.post("/subscriptions/{subscription_id}/delete")
async def remove_subscription(ctx: Ctx, subscription_id: RowId, csrf: Annotated[str, Form()] = "",
                              next: Annotated[str, Form()] = "/") -> RedirectResponse:
    """Remove a chip (its ×)."""
    _check_csrf(ctx, csrf)
    await run_in_threadpool(ctx.app.accounts.unfollow, ctx.radar.id, subscription_id)
    return RedirectResponse(_local_path(next), status_code=303)


@router.get("/paper/{paper_id:path}", response_class=HTMLResponse)
async def paper_page(request: Request, ctx: Ctx, paper_id: str) -> HTMLResponse:
    """All metadata of one paper, with links to where it can be read (its preprint server, PDF,
    DOI, PubMed, the publisher, OpenAlex)."""
    work, like_this = await run_in_threadpool(similar, ctx.app.store, ctx.app.embedder, paper_id, limit=SIMILAR_SHOWN)
    affiliations, marks = numbered_affiliations(work.paper.authors)
    return _render(request, ctx, "paper.html", work=work, paper=work.paper, similar=like_this,
                   affiliations=affiliations, marks=marks, outside=outside_links(work.paper, ctx.gettext))


def numbered_affiliations(authors: Sequence[Author]) -> tuple[list[str], list[list[int]]]:
    """Each distinct affiliation once, numbered as a journal prints them, and each author's numbers:
    printed after every name, a PubMed paper's 22 authors put its abstract 2,825 px down a phone."""
    numbers: dict[str, int] = {}
    marks = [[numbers.setdefault(place, len(numbers) + 1) for place in author.affiliations] for author in authors]
    return list(numbers), marks


def source_names(_: Callable[[str], str]) -> list[tuple[str, str]]:
    """(stored name, name a reader knows) of every source a search can be narrowed to."""
    known = {"arxiv": "arXiv", "biorxiv": "bioRxiv", "medrxiv": "medRxiv", "crossref": "Crossref",
             "journal": _("Journal feeds"), "openalex": "OpenAlex", "pubmed": "PubMed"}
    return [(name, known.get(name, name)) for name in registry.cli_names()]


def search_problem(error: InputError, _: Callable[[str], str]) -> tuple[str, str]:
    """Why a search could not run, in the reader's language, and the parser's own detail."""
    if error.problem == "query":
        return _("This query cannot be read: check its brackets, quotes and field names."), str(error)
    return explained(error, _)


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, ctx: Ctx, q: str = "", category: str = "", source: str = "",
                      venue: str = "", date_from: str = "", date_to: str = "", mode: str = "",
                      page: PageNumber = 1) -> HTMLResponse:
    """Hybrid search with filters."""
    result, error, detail, translated = None, None, "", ""
    mode = mode or ctx.app.settings.search.mode
    if q.strip():
        try:
            start = date.fromisoformat(date_from) if date_from else None
            end = date.fromisoformat(date_to) if date_to else None

            def run(query: str) -> Any:
                return search(ctx.app.store, query, limit=20, offset=(max(1, page) - 1) * 20,
                              category=category or None, source=source or None, venue=venue or None,
                              date_from=start, date_to=end, embedder=ctx.app.embedder, mode=mode)
            result = await run_in_threadpool(run, q)
            if not result.total and is_chinese(q) and ctx.app.settings.llm.configured:
                # The papers are in English: with an endpoint set, the query is searched in English.
                translated = await run_in_threadpool(to_english, ctx.app.settings.llm, q)
                result = await run_in_threadpool(run, translated)
        except SourceError:  # the endpoint failed: the untranslated answer stands, with its advice
            translated = ""
        except InputError as exc:
            error, detail = search_problem(exc, ctx.gettext)
        except ValueError:  # a date the browser's picker did not make
            error = ctx.gettext("Dates are written YYYY-MM-DD.")
    return _render(request, ctx, "search.html", q=q, category=category, source=source, venue=venue,
                   sources=source_names(ctx.gettext),
                   date_from=date_from, date_to=date_to, mode=mode, result=result, error=error, error_detail=detail,
                   page=max(1, page), translated=translated, chinese=is_chinese(q))


@router.post("/feedback")
async def feedback_form(ctx: Ctx, paper: Annotated[str, Form()], action: Annotated[str, Form()],
                        csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> RedirectResponse:
    """Like, save, dismiss, less like this, or undo (the cards' buttons without JavaScript)."""
    _check_csrf(ctx, csrf)
    if action == "undo":
        await run_in_threadpool(feedback.undo, ctx.app.store, ctx.user.id, paper)
    else:
        await run_in_threadpool(feedback.give, ctx.app.store, ctx.user.id, paper, action)
    return RedirectResponse(_local_path(next), status_code=303)


@router.post("/authors/decision")
async def author_decision_form(ctx: Ctx, paper: Annotated[str, Form()], author: Annotated[str, Form()],
                               same: Annotated[str, Form()], csrf: Annotated[str, Form()] = "",
                               next: Annotated[str, Form()] = "/") -> RedirectResponse:
    """Answer "是这位 … 吗?" (without JavaScript)."""
    _check_csrf(ctx, csrf)
    await run_in_threadpool(author_decision, ctx.app.store, ctx.radar, author, paper, same == "yes")
    return RedirectResponse(_local_path(next), status_code=303)


LIBRARY_ENTRIES_PER_PAGE = 100


async def _library_page(request: Request, ctx: Ctx, *, source: str | None = None, page: int = 1,
                        **values: Any) -> HTMLResponse:
    sources = await run_in_threadpool(importer.imported_sources, ctx.app.store, ctx.user.id)
    status = 400 if values.get("error") else 200
    if source is not None:  # one source's entries, a page at a time: what matched, and to which paper
        offset = (page - 1) * LIBRARY_ENTRIES_PER_PAGE
        rows = await run_in_threadpool(lambda: importer.source_entries(
            ctx.app.store, ctx.user.id, source, limit=LIBRARY_ENTRIES_PER_PAGE + 1, offset=offset, required=True))
        here = "/library?" + urlencode({"source": source})
        values |= {"source": source, "first": offset + 1,
                   # an entry of fewer than three words is neither matched nor learnt from (ranking.profile)
                   "entries": [(e, match_kind(e.match, ctx.gettext) if e.match else "", has_words(f"{e.title} {e.abstract}"))
                               for e in rows[:LIBRARY_ENTRIES_PER_PAGE]],
                   "previous": f"{here}&page={page - 1}#entries" if page > 1 else None,
                   "next": f"{here}&page={page + 1}#entries" if len(rows) > LIBRARY_ENTRIES_PER_PAGE else None}
    if report := values.get("report"):  # each line's details in parentheses, punctuated as the language is
        _ = ctx.gettext
        listed = _(" ({items})")
        values["matched"] = listed.format(items=_(", ").join(
            f"{match_kind(how, _)} {n}" for how, n in report.matched.items())) if report.matched else ""
        values["unmatched"] = listed.format(items=_(", ").join(
            f"«{title}»" for title in report.unmatched_examples)) if report.unmatched_examples else ""
        values["skipped"] = listed.format(items=_("; ").join(
            _("{why}: {n}").format(why=skip_reason(why, _), n=n) for why, n in report.skipped.most_common())) \
            if report.skipped else ""
    return _render(request, ctx, "library.html", sources=sources, status=status, **values)


@router.get("/library", response_class=HTMLResponse)
async def library_page(request: Request, ctx: Ctx, source: Annotated[str | None, Query(max_length=300)] = None,
                       page: PageNumber = 1) -> HTMLResponse:
    """Imported libraries, with upload and ORCID forms; with `source`, that file's entries and what each matched."""
    return await _library_page(request, ctx, source=source, page=page)


@router.post("/library", response_class=HTMLResponse)
async def library_upload(request: Request, ctx: Ctx, file: UploadFile,
                         csrf: Annotated[str, Form()] = "") -> HTMLResponse:
    """Import an uploaded library file and show the report."""
    _check_csrf(ctx, csrf)
    data = await file.read(api.MAX_UPLOAD + 1)
    try:
        if len(data) > api.MAX_UPLOAD:
            raise InputError(f"library: upload larger than {api.MAX_UPLOAD // 1_000_000} MB", problem="too-large")
        report = await run_in_threadpool(importer.import_bytes, ctx.app.store, ctx.app.embedder, ctx.user.id,
                                         data, Path(file.filename or "library").name)
    except AcademicHubError as exc:
        error, detail = explained(exc, ctx.gettext)
        return await _library_page(request, ctx, error=error, error_detail=detail)
    return await _library_page(request, ctx, report=report)


@router.post("/library/orcid", response_class=HTMLResponse)
async def library_orcid(request: Request, ctx: Ctx, orcid: Annotated[str, Form()],
                        csrf: Annotated[str, Form()] = "") -> HTMLResponse:
    """Import an ORCID iD's public works."""
    _check_csrf(ctx, csrf)
    try:
        report = await run_in_threadpool(importer.import_orcid, ctx.app.store, ctx.app.embedder, ctx.user.id,
                                         orcid, ctx.app.settings)
    except AcademicHubError as exc:
        error, detail = explained(exc, ctx.gettext)
        return await _library_page(request, ctx, error=error, error_detail=detail)
    return await _library_page(request, ctx, report=report)


@router.post("/library/remove")
async def library_remove(ctx: Ctx, source: Annotated[str, Form()], csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    """Remove an imported source."""
    _check_csrf(ctx, csrf)
    await run_in_threadpool(importer.remove_source, ctx.app.store, ctx.user.id, source)
    return RedirectResponse("/library", status_code=303)


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """Health of every source: last run, counts, errors and quiet-day flags."""
    report = await run_in_threadpool(stream_health, ctx.app.store, ctx.app.settings)
    return _render(request, ctx, "sources.html", report=report,
                   presets=list(journal_rss.PRESETS.values()))


@router.get("/lang/{code}")
async def switch_language(code: str, next: str = "/") -> RedirectResponse:
    """Switch the interface language and go back."""
    if code not in LANGUAGES:
        raise InputError(f"web: unknown language {code!r}")
    response = RedirectResponse(_local_path(next), status_code=303)
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


SAVED_PER_PAGE = 50  # 2,000 saved papers on one page were 6.3 MB of cards


@router.get("/saved", response_class=HTMLResponse)
async def saved_page(request: Request, ctx: Ctx, page: PageNumber = 1) -> HTMLResponse:
    """Your saved papers, a page at a time, with their export."""
    offset = (page - 1) * SAVED_PER_PAGE
    works, total = await run_in_threadpool(
        lambda: feedback.saved_page(ctx.app.store, ctx.user.id, offset=offset, limit=SAVED_PER_PAGE))
    return _render(request, ctx, "saved.html", works=works, total=total, page=page, offset=offset,
                   more=offset + len(works) < total)
