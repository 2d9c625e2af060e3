"""The `academichub` command: thin commands over the same services the web app uses."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from academichub.cli.progress import progress_bar

try:  # recent Typer carries its own copy of Click; older releases raise Click's own errors
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException, NoArgsIsHelpError
from academichub.errors import AcademicHubError, InputError
from academichub.i18n import gettext_for, pick_language
from academichub.ingest.report import RunReport
from academichub.radar import subscriptions as subs
from academichub.radar.feed import FeedService, page_json
from academichub.settings import Settings, load_settings
from academichub.sources.formats import FORMATS, detect_format
from academichub.storage.store import Store
from academichub.worker import jobs

app = typer.Typer(help="AcademicHub: a self-hosted research radar.", add_completion=False,
                  no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None)
out = Console()
err = Console(stderr=True)

HomeOption = Annotated[Optional[Path], typer.Option("--home", help="Data directory (default: per-user; env ACADEMICHUB_HOME).")]


@app.callback()
def main_options(ctx: typer.Context, home: HomeOption = None) -> None:
    """Build the settings once; every command receives them."""
    ctx.obj = load_settings(home)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj


def _open(settings: Settings) -> Store:
    return Store.open(settings)


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: expected YYYY-MM-DD, got {value!r}") from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _print_report(report: RunReport, as_json: bool) -> None:
    if as_json:
        _print_json(report.to_json())
        return
    out.print(f"[bold]{report.source}[/]: fetched {report.fetched}, new {report.new}, updated "
              f"{report.updated}, unchanged {report.unchanged}, merged {report.merged}, rejected "
              f"{report.rejected} in {report.seconds:.1f}s")
    for reason, count in report.rejected_reasons.most_common():
        out.print(escape(f"  rejected {count}: {reason}"))
    for error in report.errors:
        err.print(escape(f"  error ({error['kind']}): {error['message']}"))


def _init(settings: Settings, *, sample: bool = True) -> Store:
    store = _open(settings)
    store.accounts.ensure_local_user()
    if sample and store.works.count() == 0:
        with progress_bar("Loading the bundled arXiv sample", console=err) as advance:
            report = jobs.load_sample(store, progress=advance)
        err.print(f"Loaded {report.new} papers from the bundled sample into {settings.home}")
    return store


@app.command()
def init(ctx: typer.Context,
         sample: Annotated[bool, typer.Option("--sample/--no-sample", help="Load the bundled sample into an empty store.")] = True) -> None:
    """Create the data directory and database; load the bundled sample if the store is empty."""
    settings = _settings(ctx)
    with _init(settings, sample=sample) as store:
        err.print(f"Ready: {store.works.count()} papers in {store.database}", soft_wrap=True)


def _serve(settings: Settings, host: str | None, port: int | None, store: Store | None = None) -> None:
    import uvicorn

    from academichub.web.app import create_app

    uvicorn.run(create_app(settings, store=store), host=host or settings.host, port=port or settings.port,
                log_level="info")


HostOption = Annotated[Optional[str], typer.Option(help="Bind address (setting `host`).")]
PortOption = Annotated[Optional[int], typer.Option(help="Port (setting `port`).")]


@app.command()
def serve(ctx: typer.Context, host: HostOption = None, port: PortOption = None) -> None:
    """Serve the web UI and API."""
    _serve(_settings(ctx), host, port)


@app.command()
def up(ctx: typer.Context, host: HostOption = None, port: PortOption = None,
       schedule: Annotated[bool, typer.Option("--schedule/--no-schedule", help="Run the daily arXiv fetch.")] = True) -> None:
    """Init, then serve the web UI with the daily schedule running."""
    from academichub.worker.scheduler import DailyScheduler

    settings = _settings(ctx)
    store = _init(settings)
    scheduler = None
    if schedule and settings.schedule.enabled:
        scheduler = DailyScheduler(settings.schedule, lambda: jobs.fetch_arxiv(store, settings))
        scheduler.start()
    err.print(f"AcademicHub on http://{host or settings.host}:{port or settings.port}/")
    try:
        _serve(settings, host, port, store)
    finally:
        if scheduler:
            scheduler.stop()


@app.command()
def ingest(
    ctx: typer.Context,
    source: Annotated[Optional[str], typer.Argument(help="Source to fetch: arxiv.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Ingest a local file instead of fetching.")] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", help=f"Format of --file: {', '.join(FORMATS)} (detected when omitted).")] = None,
    date_from: Annotated[Optional[str], typer.Option("--from", help="First date, YYYY-MM-DD.")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="Last date, YYYY-MM-DD.")] = None,
    categories: Annotated[Optional[str], typer.Option(help="Comma-separated arXiv categories (default: setting).")] = None,
    method: Annotated[Optional[str], typer.Option(help="arXiv door: listing (today), api or oai (default: listing, or api with dates).")] = None,
    author: Annotated[Optional[str], typer.Option(help="Fetch an author's papers (arXiv query API).")] = None,
    ids: Annotated[Optional[list[str]], typer.Option("--id", help="Fetch these arXiv ids (repeatable).")] = None,
    max_results: Annotated[int, typer.Option("--max", min=1, help="Most records from the query API.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
) -> None:
    """Fetch a source (with a date range) or load a local file, then print the run report."""
    settings = _settings(ctx)
    if file is None and source is None:
        raise InputError("ingest: name a source (arxiv) or give --file F")
    if file is not None and source is not None:
        raise InputError("ingest: give a source or --file, not both")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"ingest: unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if file is not None and not file.is_file():
        raise InputError(f"ingest: cannot read {file}: no such file")
    if file is not None and fmt is None:
        fmt = detect_format(file)
    with _open(settings) as store, progress_bar("Ingesting", console=err, enabled=not as_json) as advance:
        if file is not None:
            _fmt, report = jobs.ingest_file(store, file, fmt=fmt, progress=advance)
        else:
            if source != "arxiv":
                raise InputError(f"ingest: unknown source {source!r}; available: arxiv")
            start, end = _date(date_from, "--from"), _date(date_to, "--to")
            chosen = method or ("api" if (start or end) else "listing")
            cats = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
            report = jobs.fetch_arxiv(store, settings, method=chosen, categories=cats, date_from=start,
                                      date_to=end, author=author, ids=ids, max_results=max_results,
                                      progress=advance)
    _print_report(report, as_json)
    if report.errors:
        raise typer.Exit(1)


KindArgument = Annotated[str, typer.Argument(help="author, keyword, category or venue.")]
ValueArgument = Annotated[str, typer.Argument(help='What to follow, e.g. "Jianxiang He" or cs.CL.')]


@app.command()
def follow(ctx: typer.Context, kind: KindArgument, value: ValueArgument) -> None:
    """Follow an author, keyword, category or venue on your radar."""
    with _init(_settings(ctx)) as store:
        _user, radar = store.accounts.ensure_local_user()
        sub = subs.follow(store, radar.id, kind, value)
    err.print(f"Following {sub.kind} {sub.value!r}")


@app.command()
def unfollow(ctx: typer.Context, kind: KindArgument, value: ValueArgument) -> None:
    """Stop following an author, keyword, category or venue."""
    with _open(_settings(ctx)) as store:
        _user, radar = store.accounts.ensure_local_user()
        sub = subs.unfollow(store, radar.id, kind, value)
    err.print(f"No longer following {sub.kind} {sub.value!r}")


@app.command()
def following(ctx: typer.Context,
              as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List what your radar follows."""
    with _open(_settings(ctx)) as store:
        _user, radar = store.accounts.ensure_local_user()
        rows = store.accounts.subscriptions(radar.id)
    if as_json:
        _print_json([{"id": s.id, "kind": s.kind, "value": s.value} for s in rows])
        return
    for s in rows:
        out.print(escape(f"{s.kind:9} {s.value}"))


@app.command()
def feed(
    ctx: typer.Context,
    next_batch: Annotated[bool, typer.Option("--next", help="换一批: show the next batch of unseen papers.")] = False,
    period: Annotated[Optional[str], typer.Option(help="recent, latest, week, month, all or FROM..TO.")] = None,
    seen: Annotated[bool, typer.Option("--seen", help="Show seen papers again.")] = False,
    lang: Annotated[Optional[str], typer.Option(help="Language of the reasons: zh or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the feed contract as JSON.")] = False,
) -> None:
    """Print the current batch of your feed (or, with --next, the next one)."""
    settings = _settings(ctx)
    if lang is not None and lang not in ("zh", "en"):
        raise InputError(f"feed: --lang must be zh or en, got {lang!r}")
    _ = gettext_for(pick_language(lang, default=settings.language))
    with _init(settings) as store:
        _user, radar = store.accounts.ensure_local_user()
        service = FeedService(store, settings.feed)
        page = service.next(radar, period=period) if next_batch else service.current(radar, period=period, show_seen=seen)
        data = page_json(page, _)
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"batch {data['batch']} · {data['period']['from']} – {data['period']['to']}", show_lines=False)
    for column in ("#", "source", "date", "title", "why"):
        table.add_column(column, overflow="fold")
    for item in data["items"]:
        table.add_row(f"{item['n']:02d}.", *(escape(v) for v in (
            item["source_label"], item["date"], item["title"], "; ".join(item["reasons"]))))
    out.print(table)


@app.command("search")
def search_command(
    ctx: typer.Context, query: Annotated[str, typer.Argument(help="Words, \"phrases\", field:term.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    category: Annotated[Optional[str], typer.Option(help="Only this category.")] = None,
    date_from: Annotated[Optional[str], typer.Option("--from", help="First date, YYYY-MM-DD.")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="Last date, YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Full-text search over stored papers."""
    from academichub.search.service import search

    with _open(_settings(ctx)) as store:
        result = search(store, query, limit=limit, category=category,
                        date_from=_date(date_from, "--from"), date_to=_date(date_to, "--to"))
    if as_json:
        _print_json(result.to_json())
        return
    out.print(f"{result.total} results")
    for i, (work, _score) in enumerate(result.hits, start=1):
        out.print(escape(f"{i:2d}. [{work.label}] {work.feed_date} {work.paper.title}  ({work.public_id})"))


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Rebuild the full-text index from the database."""
    with _open(_settings(ctx)) as store, progress_bar("Reindexing", console=err) as advance:
        count = store.reindex(progress=advance)
    err.print(f"Indexed {count} papers")


def _fail(message: str, code: int) -> None:
    # Written directly, not through Rich, so a long message stays on one line.
    sys.stderr.write(f"academichub: {message}\n")
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors and non-zero exits instead of tracebacks."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="academichub", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        sys.stdout.write(exc.format_message())
        sys.exit(0)
    except ClickException as exc:
        _fail(f"error: {exc.format_message().strip()}", exc.exit_code)
    except typer.Abort:
        _fail("aborted", 130)
    except AcademicHubError as exc:
        _fail(str(exc), 1)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        _fail(f"invalid setting {where}: {first['msg']}", 2)
    sys.exit(code if isinstance(code, int) else 0)
