"""Local files of every supported format: detection by content, and reading into records."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from academichub import safejson
from academichub.capped import open_capped, read_all
from academichub.errors import InputError, ParseError, SourceError
from academichub.model import Rejected
from academichub.sources import registry, safexml
from academichub.sources.contract import FileFormat, Items

_ROOT_TAG = re.compile(rb"<([A-Za-z][\w:.-]*)")


def formats() -> dict[str, FileFormat]:
    """Every format some source declares, by name."""
    return {name: fmt for name, (fmt, _source) in registry.file_formats().items()}


def format_names() -> tuple[str, ...]:
    """The formats `--format` takes."""
    return tuple(registry.file_formats())


def format_source(fmt: str) -> str:
    """The source a file's records are reported under."""
    return registry.file_formats()[fmt][1]


MAX_STREAM_BYTES = 64_000_000_000  # a line format streams: the whole arXiv metadata snapshot is ~4.5 GB
MAX_DOCUMENT_BYTES = 1_000_000_000  # a document format is parsed whole, in memory


def open_binary(path: Path, limit: int = MAX_STREAM_BYTES, *, what: str | None = None) -> IO[bytes]:
    """Open a file for reading, transparently un-gzipping it, capped in size and compression ratio."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"ingest: cannot read {path}: {exc.strerror or exc}") from None
    return open_capped(handle, limit=limit, what=what or f"ingest: {path.name}")


def _sniff_xml(head: bytes) -> str | None:
    for match in _ROOT_TAG.finditer(head):
        tag = match.group(1).decode("ascii", "replace")
        if tag in ("DOCTYPE", "xml"):
            continue
        rooted = [f for f in formats().values() if tag in f.xml_roots]
        # A format that tells itself apart by its head goes before one that takes any file of its roots.
        for fmt in sorted(rooted, key=lambda f: f.sniff_xml is None):
            if fmt.sniff_xml is None or fmt.sniff_xml(head):
                return fmt.name
        return None
    return None


def _sniff_json(stream: IO[bytes], head: bytes) -> str | None:
    first_line = head.split(b"\n", 1)[0]
    try:
        record = safejson.loads(first_line)
    except ValueError:
        record = None
    if isinstance(record, dict):
        for fmt in formats().values():
            if fmt.sniff_line is not None and fmt.sniff_line(record):
                return fmt.name
    try:
        document = safejson.loads(head + read_all(stream))  # the stream's cap refuses a bomb
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    return next((f.name for f in formats().values() if f.sniff_json is not None and f.sniff_json(document)), None)


def detect_format(path: Path) -> str:
    """Tell a file's format from its first bytes, or raise InputError naming the choices."""
    with open_binary(path, MAX_DOCUMENT_BYTES) as stream:
        try:
            raw = stream.read(8192)
            head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
            found = None
            if head.startswith(b"<"):
                found = _sniff_xml(head)
            elif head.startswith(b"{"):
                found = _sniff_json(stream, head)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"ingest: cannot read {path}: {exc}") from None
    if not head and len(raw) < 8192:  # the whole file read, and nothing but blanks in it
        raise InputError(f"ingest: {path} is empty (no records in it)")
    if found is None:
        raise InputError(
            f"ingest: cannot tell the format of {path}; name it with --format ({', '.join(format_names())})"
        )
    return found


def read_items(path: Path, fmt: str | None = None) -> tuple[str, Items]:
    """Return (format, records) for a local file; the records stream for line formats."""
    fmt = fmt or detect_format(path)
    declared = formats().get(fmt)
    if declared is None:
        raise InputError(f"ingest: unknown format {fmt!r}; choose one of {', '.join(format_names())}")
    if declared.stream is not None:
        return fmt, _streamed(path, declared.stream)
    with open_binary(path, MAX_DOCUMENT_BYTES) as stream:
        try:
            data = read_all(stream)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"ingest: cannot read {path}: {exc}") from None
    return fmt, _document(declared, data, path)


def _document(fmt: FileFormat, data: bytes, path: Path) -> Items:
    """A whole document's records; an XML file broken part-way (a bad byte, a truncation) keeps
    the entries before the break and reports where it broke, instead of losing them all."""
    parse = fmt.read
    assert parse is not None, fmt.name
    try:
        items = list(parse(data))
    except safexml.MalformedXmlError as exc:
        if (repaired := safexml.repair(data, component=exc.component)) is None:
            raise
        fixed, where = repaired
        try:
            items = list(parse(fixed))
        except ParseError:
            raise exc from None
        items.append(Rejected(f"{path.name} is broken at {where}; what follows is lost"))
    yield from items


def _streamed(path: Path, reader: Callable[[IO[bytes]], Items]) -> Items:
    with open_binary(path) as stream:
        try:
            yield from reader(stream)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{path.name} is truncated or unreadable: {exc}", component="ingest") from None
        except InputError as exc:  # a cap: the run reports it, and what came before it is kept
            raise SourceError(str(exc).removeprefix("ingest: "), component="ingest") from None
