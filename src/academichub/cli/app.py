"""The Typer app and what every command shares: settings, the store, output helpers."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from academichub.cli.progress import progress_bar
from academichub.compose import Accounts, Store, open_store  # the store every command works on
from academichub.embedding.base import embedder_or_none
from academichub.errors import InputError, NotFoundError
from academichub.model.accounts import Radar, User
from academichub.search import papers as stored_papers
from academichub.settings import Settings, load_settings
from academichub.worker import embedding_job, jobs

app = typer.Typer(help="AcademicHub: a self-hosted research radar.", add_completion=False,
                  no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None)
# Plain text, never Rich markup: what a command prints holds readers' and sources' words, and
# "[/]" in a followed keyword stopped `follow` with a traceback ("[bold red]x" printed "x").
out = Console(markup=False)
err = Console(stderr=True, markup=False)

HomeOption = Annotated[Path | None, typer.Option("--home", help="Data directory (default: per-user; env ACADEMICHUB_HOME).")]


UserOption = Annotated[str | None, typer.Option("--user", help="Act as this account (accounts mode; default: the local reader).")]


@app.callback()
def main_options(ctx: typer.Context, home: HomeOption = None, user: UserOption = None) -> None:
    """Build the settings once; every command receives them."""
    ctx.obj = load_settings(home)
    ctx.meta["user"] = user


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.obj


def export_settings(settings: Settings) -> None:
    """Put what locates the install into the environment, for child processes (web or queue
    workers) that build their settings from it: the data directory (and its settings file), the
    database, the queue and the address served, whichever of them came from the command line."""
    os.environ["ACADEMICHUB_HOME"] = str(settings.home)
    os.environ["ACADEMICHUB_HOST"], os.environ["ACADEMICHUB_PORT"] = settings.host, str(settings.port)
    for name, value in (("DATABASE_URL", settings.database_url), ("BROKER_URL", settings.broker_url)):
        if value:
            os.environ[f"ACADEMICHUB_{name}"] = value


def reader_of(ctx: typer.Context, store: Store) -> tuple[User, Radar]:
    """The reader a command acts for (--user NAME, else the local reader) and their default radar."""
    name = ctx.meta.get("user") or (ctx.parent.meta.get("user") if ctx.parent else None)
    accounts = Accounts(store)
    if not name:
        return accounts.local_reader()
    user = accounts.find_reader(name)
    if user is None:
        raise NotFoundError(f"accounts: no user {name!r}")
    return user, accounts.default_radar(user.id)


def as_background(settings: Settings) -> None:
    """Lower this process's CPU priority by `background_nice` (bulk work yields to web processes)."""
    if settings.background_nice and hasattr(os, "nice"):
        try:
            os.nice(settings.background_nice)
        except OSError:  # not allowed here (a container's limits): run at the priority given
            pass


def parse_day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: expected YYYY-MM-DD, got {value!r}") from None


def counted(n: int, noun: str) -> str:
    """ "1 paper", "2 papers": a count with its noun in the number it needs."""
    return f"{n} {noun if n == 1 else noun + 's'}"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def init_store(settings: Settings, *, sample: bool = True) -> Store:
    store = open_store(settings)
    Accounts(store).local_reader()
    if sample and (stored_papers.holdings(store)[0] == 0 or jobs.sample_unfinished(store)):
        with progress_bar("Loading the bundled arXiv sample", console=err) as advance:
            report = jobs.load_sample(store, progress=advance)
        jobs.start_demo(store)
        err.print(f"Loaded {counted(report.new, 'paper')} from the bundled sample into {settings.home}; "
                  f"the demo radar follows {jobs.DEMO_AUTHOR}")
    embed_pending(store, settings)
    return store


def embed_pending(store: Store, settings: Settings) -> None:
    """Embed works still without a vector of the configured model (after a load or an ingest)."""
    embedder = embedder_or_none(settings.embedding)
    missing = embedding_job.missing_count(store, embedder) if embedder is not None else 0
    if missing:
        with progress_bar("Embedding new papers", console=err, total=missing) as advance:
            count = jobs.embed_new(store, settings, progress=advance, embedder=embedder)
        err.print(f"Embedded {counted(count, 'paper')} with {embedder.tag}")


def existing_file(path: Path, command: str) -> Path:
    """The path of a file a command reads, or a one-line error saying what is there instead."""
    if not path.is_file():
        if path.is_dir():
            found = "a directory, not a file"
        elif path.exists():  # /dev/stdin, a pipe, a device: read more than once, so not streamed
            found = "not a regular file (a pipe or a device); save it to a file first"
        else:
            found = "no such file"
        raise InputError(f"{command}: cannot read {path}: {found}")
    return path
