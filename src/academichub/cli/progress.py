"""A Rich progress bar for long work, handed to services as a plain `advance(n)` callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


@contextmanager
def progress_bar(description: str, *, console: Console, total: int | None = None,
                 enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Show a bar (records done, elapsed) while the block runs; yields `advance(n)`."""
    if not enabled or not console.is_terminal:  # no bar in pipes, logs and cron mail
        yield lambda _n: None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("records"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
