"""`academichub ingest` and `academichub sources`: fetching every source, and their health."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from academichub.cli.app import (
    app,
    as_background,
    embed_pending,
    err,
    existing_file,
    export_settings,
    open_store,
    out,
    parse_day,
    print_json,
    settings_of,
)
from academichub.cli.progress import progress_bar
from academichub.errors import InputError
from academichub.health import stream_health
from academichub.model.report import RunReport
from academichub.settings import Settings
from academichub.sources import journal_rss, registry
from academichub.sources.contract import Window
from academichub.sources.formats import detect_format, format_names
from academichub.worker import jobs


def _print_report(report: RunReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_json())
        return
    out.print(Text.assemble((report.source, "bold"), f": fetched {report.fetched}, new {report.new}, updated "
                            f"{report.updated}, unchanged {report.unchanged}, merged {report.merged}, rejected "
                            f"{report.rejected}" + (f", left out {report.left_out}" if report.left_out else "")
                            + f" in {report.seconds:.1f}s"))
    for reason, count in report.rejected_reasons.most_common():
        out.print(f"  rejected {count}: {reason}")
    for reason, count in report.left_out_reasons.most_common():
        out.print(f"  left out {count} (not a paper): {reason}")
    for error in report.errors:
        err.print(f"  error ({error['kind']}): {error['message']}")


EXIT_NOTHING_NEW = 10  # for cron: 0 = new papers arrived, 10 = ran fine but nothing new, 1 = a source failed
MOSTLY_REJECTED = 0.5  # a file with more rejected records than this share is not what it was said to be


def ingest(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(help=f"Source to fetch: {', '.join(registry.cli_names())}.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Ingest a local file instead of fetching.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help=f"Format of --file: {', '.join(format_names())} (detected when omitted).")] = None,
    run_all: Annotated[bool, typer.Option("--all", help="One pass over every enabled source.")] = False,
    date_from: Annotated[str | None, typer.Option("--from", help="First date, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date, YYYY-MM-DD.")] = None,
    max_results: Annotated[int, typer.Option("--max", min=1, help="Most records from the arXiv query API.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
    queue: Annotated[bool, typer.Option("--queue", help="Send --file to the worker queue (needs a broker) instead of ingesting here.")] = False,
    **source_options: Any,
) -> None:
    """Fetch a source (incrementally, or for --from/--to), every enabled source (--all), or a local file."""
    settings = settings_of(ctx)
    if sum((file is not None, source is not None, run_all)) != 1:
        raise InputError("ingest: give exactly one of a source, --all or --file F")
    if fmt is not None and fmt not in format_names():
        raise InputError(f"ingest: unknown format {fmt!r}; choose one of {', '.join(format_names())}")
    named = fmt is not None
    if file is not None:
        existing_file(file, "ingest")
        fmt = fmt or detect_format(file)
    if queue:
        _queue_file(settings, file, fmt, as_json)
        return
    as_background(settings)
    start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    window = Window(start, end) if (start or end) else None
    with open_store(settings) as store, progress_bar("Ingesting", console=err, enabled=not as_json) as advance:
        if file is not None:
            _fmt, report = jobs.ingest_file(store, file, fmt=fmt, progress=advance)
        else:
            report = None
            if run_all:
                runs = jobs.fetch_all(store, settings, progress=advance)
            else:
                stream = registry.asked(source, settings, source_options, window)
                runs = [(stream, jobs.fetch_stream(store, settings, stream, window=window, progress=advance))]
    if as_json:
        with open_store(settings) as store:
            jobs.embed_new(store, settings)
    else:
        with open_store(settings) as store:
            embed_pending(store, settings)
    if report is not None:
        _print_report(report, as_json)
        # Records that are not papers (a feed of notices) were read as they are: only those that
        # could not be used say the file may not be what it was taken for.
        unreadable = report.rejected > report.fetched * MOSTLY_REJECTED
        if unreadable:
            said = "named" if named else "detected"
            err.print(f"ingest: {report.rejected} of {report.fetched} records of {file} were rejected: "
                      f"is it {fmt}, the format {said}?", soft_wrap=True)
        raise typer.Exit(1 if report.errors or unreadable else 0)
    _print_runs(runs, as_json)
    reports = [r for _, r in runs]
    if any(r.errors for r in reports):
        raise typer.Exit(1)
    raise typer.Exit(0 if any(r.new for r in reports) else EXIT_NOTHING_NEW)


def _with_source_options(command: Any) -> Any:
    """Give `ingest` the options every source declares, each once, its help naming who takes it."""
    signature = inspect.signature(command, eval_str=True)
    fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    declared = [
        inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
            list[str] | None if option.multiple else str | None,
            typer.Option(option.cli_flag, help=f"{', '.join(takers)}: {option.help}")])
        for option, takers in registry.cli_options()]
    command.__signature__ = signature.replace(parameters=[*fixed, *declared])
    return command


app.command()(_with_source_options(ingest))


def _queue_file(settings: Settings, file: Path | None, fmt: str | None, as_json: bool) -> None:
    """Send a file ingest to the worker queue and say which job it is."""
    if file is None:
        raise InputError("ingest: --queue sends a file; give --file F")
    if not settings.broker_url:
        raise InputError("ingest: --queue needs a broker; set ACADEMICHUB_BROKER_URL=redis://host:port/db")
    export_settings(settings)  # the actors module connects to the broker these settings name
    from academichub.worker import actors

    message = actors.ingest_file.send(str(file.resolve()), fmt)
    if as_json:
        print_json({"queued": message.message_id, "file": str(file.resolve()), "format": fmt})
    else:
        out.print(f"Queued ingest of {file} ({fmt}) as job {message.message_id}; "
                  "a worker runs it (`academichub worker`, the admin page shows the queue).")


def _print_runs(runs: list, as_json: bool) -> None:  # type: ignore[type-arg]
    if as_json:
        data = [{"stream": stream.key, **report.to_json()} for stream, report in runs]
        print_json(data[0] if len(data) == 1 else data)
        return
    if not runs:
        err.print("No source is enabled; see `academichub sources` and the sources.* settings.")
    for stream, report in runs:
        out.print(f"[{stream.label}]", end=" ")
        _print_report(report, False)


@app.command()
def sources(ctx: typer.Context,
            presets: Annotated[bool, typer.Option("--presets", help="List the journal feed presets instead.")] = False,
            as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show every source's health: last run, last success, errors, and quiet-day flags."""
    if presets:
        rows = [{"name": p.name, "title": p.title, "url": p.url} for p in journal_rss.PRESETS.values()]
        if as_json:
            print_json(rows)
        for row in [] if as_json else rows:
            out.print(f"{row['name']:28} {row['title']}  {row['url']}")
        return
    with open_store(settings_of(ctx)) as store:
        report = stream_health(store, settings_of(ctx))
    if as_json:
        print_json([h.to_json() for h in report])
        return
    table = Table(title="sources")
    for column in ("stream", "status", "last run", "new", "last success", "notes"):
        table.add_column(column, overflow="fold")
    for h in report:
        last = h.last_run or {}
        notes = "; ".join([f["message"] for f in h.flags] + ([f"{h.last_error_kind}: {h.last_error}"]
                                                              if h.last_error else []))
        table.add_row(h.label, h.status, str(h.last_run_at or "—")[:16], str(last.get("new", "—")),
                      str(h.last_success_at or "—")[:16], notes)
    out.print(table)
