"""The `academichub` entry point: registers every command, turns errors into one line."""

from __future__ import annotations

import os
import sys

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from academichub.cli import accounts, brief, commands, deliver, ingest, learn  # noqa: F401 - importing registers the commands
from academichub.cli.app import app
from academichub.errors import AcademicHubError, refusal
from academichub.settings import closest_setting

try:  # recent Typer carries its own copy of Click; older releases raise Click's own errors
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException, NoArgsIsHelpError


def _fail(message: str, code: int) -> None:
    # Written directly, not through Rich, so a long message stays on one line.
    sys.stderr.write(f"academichub: {message}\n")
    sys.exit(code)


def _not_text(argv: list[str]) -> str | None:
    """The first argument holding bytes that are no UTF-8 (Python reads them as lone surrogates),
    unless it names an existing file: a name in another encoding is still that file's name. Such an
    argument stopped `search` and `token create` with a traceback deep in a tokenizer or SQLite."""
    for argument in argv:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            if not os.path.lexists(argument):
                return argument
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors and non-zero exits instead of tracebacks."""
    command = typer.main.get_command(app)
    if (wrong := _not_text(sys.argv[1:] if argv is None else argv)) is not None:
        shown = wrong.encode("utf-8", "surrogateescape")
        _fail(f"error: the argument {shown!r} is not UTF-8 text (nor an existing file's name)", 2)
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
        if first["type"] == "extra_forbidden":
            near = closest_setting(first["loc"])
            _fail(f"invalid setting {where}: there is no such setting" + (f" (did you mean {near}?)" if near else ""), 2)
        _fail(f"invalid setting {where}: {first['msg']}", 2)
    except DBAPIError as exc:  # the database refused (a full disk, a server gone): one line, not a traceback
        _fail(f"storage: the database refused: {refusal(exc)}", 1)
    except OSError as exc:  # a data directory or file that cannot be made, read or written
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", 1)
    sys.exit(code if isinstance(code, int) else 0)
