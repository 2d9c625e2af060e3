"""The one list of sources: every module of this package that declares a `SOURCE`, found by looking.

Settings groups, `ingest NAME` and its options, scheduled streams, the harvester's fetchers, file
formats and the sources page all come from here; nothing else lists sources.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

import academichub.sources as package
from academichub.errors import InputError
from academichub.sources.contract import CliOption, Fetcher, FileFormat, Source, Stream, Window


@functools.cache
def sources() -> dict[str, Source]:
    """Every declared source by name, in the order of their modules' names."""
    found: dict[str, Source] = {}
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        declared = getattr(importlib.import_module(f"{package.__name__}.{module.name}"), "SOURCE", None)
        if isinstance(declared, Source):
            if declared.name in found:
                raise RuntimeError(f"sources: {module.name} declares {declared.name!r} a second time")
            found[declared.name] = declared
    return found


def cli_names() -> tuple[str, ...]:
    """What `ingest NAME` accepts, in the registry's order."""
    return tuple(name for entry in sources().values() for name in entry.cli_names)


def group_of(settings: Any, source: str) -> Any:
    """A source's settings group (`settings.sources.<group>`)."""
    entry = sources().get(source)
    return getattr(settings.sources, entry.group if entry else source)


def configured(settings: Any) -> list[Stream]:
    """Every stream the settings enable, in a stable order (the registry's)."""
    streams: list[Stream] = []
    for entry in sources().values():
        group = getattr(settings.sources, entry.group)
        if group.enabled:
            streams.extend(entry.streams(group))
    return streams


def cli_options() -> list[tuple[CliOption, tuple[str, ...]]]:
    """Every option some source takes, once, with the sources that take it."""
    merged: dict[str, tuple[CliOption, tuple[str, ...]]] = {}
    for entry in sources().values():
        for option in entry.options:
            first, takers = merged.get(option.name, (option, ()))
            merged[option.name] = (first, (*takers, entry.name))
    return list(merged.values())


def asked(name: str, settings: Any, options: Mapping[str, Any], window: Window | None = None) -> Stream:
    """The stream `ingest NAME` fetches; an option the source does not take is refused by name."""
    entry = next((e for e in sources().values() if name in e.cli_names), None)
    if entry is None:
        raise InputError(f"ingest: unknown source {name!r}; available: {', '.join(cli_names())}")
    takes = {option.name for option in entry.options}
    given = {key: value for key, value in options.items() if value not in (None, [], "")}
    if stray := sorted(set(given) - takes):
        flags = {option.name: option.cli_flag for option, _ in cli_options()}
        accepted = ", ".join(option.cli_flag for option in entry.options) or "no options of its own"
        raise InputError(f"ingest: {name} does not take {', '.join(flags.get(k, k) for k in stray)} "
                         f"(it takes {accepted})")
    return entry.asked(name, getattr(settings.sources, entry.group), given, window)


def fetcher(stream: Stream) -> Fetcher:
    """How a stream is fetched."""
    return sources()[stream.source].fetch


def check_window(stream: Stream, window: Window) -> None:
    """Refuse a date window a stream cannot honour."""
    if (window.start or window.end) and stream.windowless:
        raise InputError(f"ingest: {stream.label} is today's feed; it takes no --from/--to")
    if window.start and window.end and window.start > window.end:
        raise InputError("ingest: --from is after --to")


@functools.cache
def file_formats() -> dict[str, tuple[FileFormat, str]]:
    """Every file format by name, with the source its records are reported under."""
    found: dict[str, tuple[FileFormat, str]] = {}
    for entry in sources().values():
        for fmt in entry.formats:
            if fmt.name in found:
                raise RuntimeError(f"sources: format {fmt.name!r} is declared by {found[fmt.name][1]} and {entry.name}")
            found[fmt.name] = (fmt, entry.name)
    return found
