"""The radar's everyday commands: init, up, serve, follow, feed, search, reindex."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from academichub import compose
from academichub.cli.app import (
    app,
    as_background,
    counted,
    err,
    export_settings,
    init_store,
    open_store,
    out,
    parse_day,
    print_json,
    reader_of,
    settings_of,
)
from academichub.cli.progress import progress_bar
from academichub.compose import Accounts, Store, prepare_store
from academichub.embedding.base import embedder_or_none
from academichub.errors import ConfigError, InputError
from academichub.i18n import gettext_for, pick_language
from academichub.memory import tune_allocator
from academichub.present.feed import page_json
from academichub.radar import subscriptions as subs
from academichub.radar.rulematch import keyword_has_papers
from academichub.search import papers as stored_papers
from academichub.settings import Settings


@app.command()
def init(ctx: typer.Context,
         sample: Annotated[bool, typer.Option("--sample/--no-sample", help="Load the bundled sample into an empty store.")] = True) -> None:
    """Create the data directory and database; load the bundled sample if the store is empty."""
    settings = settings_of(ctx)
    with init_store(settings, sample=sample) as store:
        # A run that stopped after storing works (a full disk) left some without features. Here,
        # not in init_store: `worker` forks its processes after it, and polars used before a fork
        # deadlocks in the child (a queued ingest hung in the tokeniser).
        from academichub.ingest import features

        features.catch_up(store)
        err.print(f"Ready: {counted(stored_papers.holdings(store)[0], 'paper')} in {store.database}", soft_wrap=True)


def _serve(settings: Settings, host: str | None, port: int | None, store: Store | None = None,
           access_log: bool = False, workers: int = 1) -> None:
    import uvicorn

    from academichub.web.app import create_app, refuse_insecure

    tune_allocator()  # before the server's threads start (the workers of --workers N do it again)

    host, port = host or settings.host, port or settings.port
    # The settings the app holds (and the admin page shows) are the ones it runs with.
    settings = settings.model_copy(update={"host": host, "port": port})
    refuse_insecure(settings, host)  # before binding: --host may differ from the setting
    # What locates the install goes into the environment: the queue's module (worker.actors) and
    # the batch processes read it there, and a broker named only in --home's settings file was
    # otherwise missed (a feed request then failed asking for ACADEMICHUB_BROKER_URL).
    export_settings(settings)
    # No access log by default: a line per request costs ~8% of a replayed feed request; the proxy
    # in front of a shared install keeps one anyway.
    if workers == 1:
        uvicorn.run(create_app(settings, store=store), host=host, port=port, log_level="info", access_log=access_log)
        return
    # Several processes: the store is prepared here once, then each worker builds its app from the
    # environment (uvicorn starts them by import string) and shares nothing but the data directory.
    if store is None:
        prepare_store(settings).close()
    else:  # `up`: its scheduler keeps using this store in the parent process
        from academichub.ingest import features

        features.catch_up(store)
    uvicorn.run("academichub.web.app:worker_app", factory=True, workers=workers, host=host, port=port,
                log_level="info", access_log=access_log)


def refuse_busy_address(host: str, port: int) -> None:
    """Stop with a one-line error when another program listens on host:port already, before a
    store, a scheduler or a worker is started for nothing (uvicorn found out only after them)."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(f"serve: cannot bind to {host!r}: {exc.strerror}") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closing socket is no owner
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"serve: {host}:{port} is in use already (is AcademicHub running there?); "
                                  "choose another with --port") from None
            raise ConfigError(f"serve: cannot bind to {host}:{port}: {exc.strerror}") from None


HostOption = Annotated[str | None, typer.Option(help="Bind address (setting `host`).")]
PortOption = Annotated[int | None, typer.Option(min=1, max=65535, help="Port (setting `port`).")]
# At most 64 processes of each kind: "--workers 100000" forked until the machine ran out of memory
# (each web process and its batch process keep about 300 MB).
MAX_PROCESSES = 64
WorkersOption = Annotated[int, typer.Option("--workers", min=1, max=MAX_PROCESSES,
                                            help="Web processes (one port; each answers any request).")]
AccessLogOption = Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request (off: the proxy in front keeps one).")]


@app.command()
def serve(ctx: typer.Context, host: HostOption = None, port: PortOption = None, workers: WorkersOption = 1,
          access_log: AccessLogOption = False) -> None:
    """Serve the web UI and API."""
    settings = settings_of(ctx)
    refuse_busy_address(host or settings.host, port or settings.port)
    _serve(settings, host, port, access_log=access_log, workers=workers)


@app.command()
def up(ctx: typer.Context, host: HostOption = None, port: PortOption = None,
       schedule: Annotated[bool, typer.Option("--schedule/--no-schedule", help="Run every enabled source on its cadence.")] = True,
       workers: WorkersOption = 1, access_log: AccessLogOption = False) -> None:
    """Init, then serve the web UI with every enabled source fetched on its schedule."""
    settings = settings_of(ctx)
    refuse_busy_address(host or settings.host, port or settings.port)
    store = init_store(settings)
    scheduler = None
    if schedule and settings.schedule.enabled:
        scheduler = compose.scheduler(settings, store)
        scheduler.start()
    err.print(f"AcademicHub on http://{host or settings.host}:{port or settings.port}/")
    try:
        _serve(settings, host, port, store, access_log=access_log, workers=workers)
    finally:
        if scheduler:
            scheduler.stop()


KindArgument = Annotated[str, typer.Argument(help="author, keyword, category or venue.")]
ValueArgument = Annotated[str, typer.Argument(help='What to follow, e.g. "Jianxiang He" or cs.CL.')]


@app.command()
def follow(ctx: typer.Context, kind: KindArgument, value: ValueArgument) -> None:
    """Follow an author, keyword, category or venue on your radar."""
    with init_store(settings_of(ctx)) as store:
        _user, radar = reader_of(ctx, store)
        sub = subs.follow(store, radar.id, kind, value)
        unmatched = sub.kind == "keyword" and keyword_has_papers(store, sub.value) is False
    err.print(f"Following {sub.kind} {sub.value!r}")
    if unmatched:  # as the page says under its chip box (a misspelt keyword, or one in another language)
        err.print("No stored paper matches it yet: its papers will be shown as they arrive.")


@app.command()
def unfollow(ctx: typer.Context, kind: KindArgument, value: ValueArgument) -> None:
    """Stop following an author, keyword, category or venue."""
    with open_store(settings_of(ctx)) as store:
        _user, radar = reader_of(ctx, store)
        sub = subs.unfollow(store, radar.id, kind, value)
    err.print(f"No longer following {sub.kind} {sub.value!r}")


@app.command()
def following(ctx: typer.Context,
              as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List what your radar follows."""
    with open_store(settings_of(ctx)) as store:
        _user, radar = reader_of(ctx, store)
        rows = Accounts(store).chips(radar.id)
    if as_json:
        print_json([{"id": s.id, "kind": s.kind, "value": s.value} for s in rows])
        return
    for s in rows:
        out.print(f"{s.kind:9} {s.value}")


@app.command()
def feed(
    ctx: typer.Context,
    next_batch: Annotated[bool, typer.Option("--next", help="换一批: show the next batch of unseen papers.")] = False,
    period: Annotated[str | None, typer.Option(help="recent, latest, week, month, all or FROM..TO.")] = None,
    seen: Annotated[bool, typer.Option("--seen", help="Show seen papers again.")] = False,
    lang: Annotated[str | None, typer.Option(help="Language of the table and its reasons: zh or en (default: your "
                                                  "language setting, else the install's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the feed contract as JSON.")] = False,
) -> None:
    """Print the current batch of your feed (or, with --next, the next one)."""
    settings = settings_of(ctx)
    if lang is not None and lang not in ("zh", "en"):
        raise InputError(f"feed: --lang must be zh or en, got {lang!r}")
    with init_store(settings) as store:
        user, radar = reader_of(ctx, store)
        # As `brief` and the pages choose: the reasons were Chinese for a reader whose setting is English.
        _ = gettext_for(pick_language(lang, user.language, default=settings.language))
        services = compose.build(settings, store=store, background=False)
        feed = services.feed
        page = feed.next(radar, period=period) if next_batch else feed.current(radar, period=period, show_seen=seen)
        data = page_json(page, _)
        services.trainer.wait_idle()  # after answering: the next command ranks with the retrained model
    if as_json:
        print_json(data)
        return
    table = Table(title=f"{_('Batch {n}').format(n=data['batch'])} · {data['period']['from']} – {data['period']['to']}",
                  show_lines=False)
    for column in ("#", _("Source"), _("Date"), _("Title"), _("Why shown")):  # in the language of the reasons
        table.add_column(column, overflow="fold")
    for item in data["items"]:
        table.add_row(f"{item['n']:02d}.", item["source_label"], item["date"], item["title"],
                      "; ".join(item["reasons"]))
    out.print(table)


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words, "phrases", AND/OR/NOT, -word, title: abstract: author: cat:.')],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    category: Annotated[str | None, typer.Option(help="Only this category (an archive: all its subjects).")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source (arxiv, crossref, openalex, pubmed …).")] = None,
    venue: Annotated[str | None, typer.Option(help="Only this venue (journal name).")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First date, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date, YYYY-MM-DD.")] = None,
    mode: Annotated[str | None, typer.Option(help="hybrid, text or semantic (setting search.mode).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search stored papers: full text and embeddings fused (hybrid), or either alone."""
    from academichub.search.service import search

    settings = settings_of(ctx)
    chosen = mode or settings.search.mode
    embedder = embedder_or_none(settings.embedding) if chosen != "text" else None
    with open_store(settings) as store:
        result = search(store, query, limit=limit, category=category, source=source, venue=venue,
                        date_from=parse_day(date_from, "--from"), date_to=parse_day(date_to, "--to"),
                        embedder=embedder, mode=chosen)
    if as_json:
        print_json(result.to_json())
        return
    out.print(counted(result.total, "result"))
    for i, (work, _score) in enumerate(result.hits, start=1):
        out.print(f"{i:2d}. [{work.label}] {work.feed_date} {work.paper.title}  ({work.public_id})")


@app.command()
def similar(ctx: typer.Context, paper: Annotated[str, typer.Argument(help="A paper id, e.g. arxiv:2508.06869.")],
            limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
            as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Papers like this one (nearest by embedding)."""
    from academichub.search.service import similar as like_this

    settings = settings_of(ctx)
    with open_store(settings) as store:
        work, found = like_this(store, embedder_or_none(settings.embedding), paper, limit=limit)
    if as_json:
        print_json({"paper": work.public_id, "items": [{"id": w.public_id, "title": w.paper.title,
                                                         "source_label": w.label, "date": w.feed_date.isoformat()}
                                                        for w in found]})
        return
    out.print(f"Like «{work.paper.title}»:")
    for i, w in enumerate(found, start=1):
        out.print(f"{i:2d}. [{w.label}] {w.feed_date} {w.paper.title}  ({w.public_id})")


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Rebuild the full-text index from the database."""
    with open_store(settings_of(ctx)) as store, progress_bar("Reindexing", console=err) as advance:
        count = store.reindex(progress=advance)
    err.print(f"Indexed {counted(count, 'paper')}")


@app.command()
def worker(ctx: typer.Context,
           processes: Annotated[int, typer.Option("--processes", min=1, max=MAX_PROCESSES, help="Worker processes.")] = 2,
           threads: Annotated[int, typer.Option("--threads", min=1, max=MAX_PROCESSES, help="Threads per process.")] = 1) -> None:
    """Run queue workers for the jobs on ACADEMICHUB_BROKER_URL (training, scheduled fetches, queued file ingests)."""
    import dramatiq.cli

    settings = settings_of(ctx)
    if not settings.broker_url:
        raise InputError("worker: set ACADEMICHUB_BROKER_URL=redis://host:port/db (the queue the web processes use)")
    init_store(settings, sample=False).close()  # migrated before any job runs
    export_settings(settings)  # the worker processes read their settings from the environment
    as_background(settings)  # inherited by the worker processes
    tune_allocator()
    arguments = dramatiq.cli.make_argument_parser().parse_args(
        ["academichub.worker.actors", "--processes", str(processes), "--threads", str(threads)])
    raise SystemExit(dramatiq.cli.main(arguments))
