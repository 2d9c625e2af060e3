"""Commands of the briefing: write one, list past ones, ask for one every announcement day."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from academichub import compose
from academichub.briefing.export import to_html, to_markdown
from academichub.briefing.service import BriefingService, Request
from academichub.cli.app import app, counted, err, init_store, out, print_json, reader_of, settings_of
from academichub.errors import InputError
from academichub.limits import ROW_ID_MAX
from academichub.present.names import radar_title
from academichub.present.render import render_tex
from academichub.search import papers as stored_papers
from academichub.settings import Settings

FORMATS = ("md", "html", "json")


def _kept(settings: Settings, store: compose.Store) -> BriefingService:
    """The briefing service for kept briefings and schedules (no embedding model loaded: none is needed)."""
    return compose.build(settings, store=store, embedder=None, background=False).briefing


def _language(lang: str | None, user_language: str | None, default: str) -> str:
    lang = lang or user_language or default
    if lang not in ("zh", "en"):
        raise InputError(f"brief: --lang must be zh or en, got {lang!r}")
    return lang


@app.command()
def brief(
    ctx: typer.Context,
    radar: Annotated[str | None, typer.Option("--radar", help="Radar name or id (default: your default radar).")] = None,
    period: Annotated[str, typer.Option("--period", help="day, week or FROM..TO (anchored on the newest "
                                                          "announcement day in the store).")] = "day",
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: your language setting).")] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Write the prose with the configured LLM endpoint.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write a cross-field briefing of a radar's papers over a period, citing every paper it rests on."""
    settings = settings_of(ctx)
    if fmt not in FORMATS:
        raise InputError(f"brief: --format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    with init_store(settings) as store:
        user, _default = reader_of(ctx, store)
        chosen = compose.Accounts(store).find_radar(user.id, radar)
        result = compose.build(settings, store=store, background=False).briefing.build(Request(chosen, period, _language(lang, user.language, settings.language), llm))
    if result.note:
        err.print(result.note, style="yellow")
    name = radar_title(chosen, result.lang)
    text = {"md": lambda: to_markdown(result, name), "html": lambda: to_html(result, name, render=render_tex),
            "json": lambda: None}[fmt]()
    if fmt == "json":
        if output:
            import json
            output.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            print_json(result.to_json())
    elif output:
        output.write_text(text, encoding="utf-8")
    else:
        out.print(text, markup=False, highlight=False, soft_wrap=True)
    if output:
        err.print(f"Wrote briefing {result.id} ({counted(len(result.papers), 'paper')}, {counted(len(result.themes), 'theme')}) to {output}")


@app.command()
def briefings(ctx: typer.Context,
              as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List your past briefings, newest first."""
    settings = settings_of(ctx)
    with init_store(settings) as store:
        user, _radar = reader_of(ctx, store)
        rows = _kept(settings, store).kept(user.id)
    items = [{"id": r.id, "radar_id": r.radar_id, "period": r.period, "from": r.start.isoformat() if r.start else None,
              "to": r.end.isoformat() if r.end else None, "lang": r.lang, "mode": r.mode,
              "created_at": r.created_at.isoformat(), "papers": len(r.content.get("papers", []))} for r in rows]
    if as_json:
        print_json(items)
        return
    table = Table()
    for column in ("id", "period", "from", "to", "lang", "mode", "papers", "created"):
        table.add_column(column)
    for i in items:
        table.add_row(str(i["id"]), i["period"], i["from"] or "", i["to"] or "", i["lang"], i["mode"], str(i["papers"]),
                      i["created_at"][:16])
    out.print(table)


@app.command("brief-daily")
def brief_daily(
    ctx: typer.Context,
    switch: Annotated[str, typer.Argument(help="on or off.")],
    radar: Annotated[str | None, typer.Option("--radar", help="Radar name or id (default: your default radar).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: your language setting).")] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Have the LLM write it.")] = False,
) -> None:
    """Ask the scheduler for a briefing of a radar after every announcement day (or stop it)."""
    if switch not in ("on", "off"):
        raise InputError(f"brief-daily: say on or off, got {switch!r}")
    settings = settings_of(ctx)
    with init_store(settings) as store:
        user, _radar = reader_of(ctx, store)
        chosen = compose.Accounts(store).find_radar(user.id, radar)
        briefing = _kept(settings, store)
        if switch == "on":
            briefing.set_schedule(chosen.id, lang=_language(lang, user.language, settings.language), llm=llm)
            err.print(f"Radar '{radar_title(chosen, 'en')}' gets a briefing after every announcement day (academichub up)")
        elif briefing.clear_schedule(chosen.id):
            err.print(f"Radar '{radar_title(chosen, 'en')}' gets no daily briefing any more")
        else:
            err.print(f"Radar '{radar_title(chosen, 'en')}' had no daily briefing")


@app.command("export")
def export_command(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Argument(help="Paper ids (arxiv:…, doi:…).")] = None,
    feed: Annotated[bool, typer.Option("--feed", help="The current batch of your feed.")] = False,
    saved: Annotated[bool, typer.Option("--saved", help="Your saved list.")] = False,
    briefing: Annotated[int | None, typer.Option("--briefing", min=1, max=ROW_ID_MAX, help="A briefing's references (its id).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="bibtex, ris or csl-json.")] = "bibtex",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
) -> None:
    """Export papers, your feed batch, your saved list or a briefing's references as BibTeX, RIS or CSL-JSON."""
    from academichub.briefing.model import from_stored
    from academichub.export.citations import export
    from academichub.radar.feedback import saved as saved_papers

    settings = settings_of(ctx)
    if sum(map(bool, (ids, feed, saved, briefing is not None))) != 1:
        raise InputError("export: give paper ids, or one of --feed, --saved, --briefing N")
    with init_store(settings) as store:
        user, radar = reader_of(ctx, store)
        if feed:
            works = [card.work for card in compose.build(settings, store=store, background=False).feed.current(radar).cards]
        elif saved:
            works = saved_papers(store, user.id)
        else:
            if briefing is not None:
                stored = _kept(settings, store).kept_one(user.id, briefing)
                ids = [p.id for p in from_stored(stored).papers]
            works = stored_papers.papers(store, ids or [], "export")
        text = export(works, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"Wrote {counted(len(works), 'paper')} as {fmt} to {output}")
    else:
        if not works:  # an empty file is still what was asked for; say why it is empty
            err.print("export: your saved list is empty" if saved else "export: your feed has no papers in its period")
        print(text)
