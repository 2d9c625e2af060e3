"""BibTeX field values as BibTeX reads them: braced or quoted pieces, numbers and @string names,
joined by `#`.

bibtexparser 2 resolves a field that is one @string name, but not one joined with `#` (its open
issue 396): `title = pre # " Learning"` stayed that text, and hand-kept .bib files name journals
this way (`journal = pami # " 2020"`). This reads the raw values bibtexparser splits, in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The month names every standard BibTeX style defines (jan = "January" …).
MONTHS = {name[:3].lower(): name for name in (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December")}
_WORD = re.compile(r"[^\s#{}\"]+")
_SPACE = re.compile(r"\s*")
_BRACES = re.compile(r"[{}]")
_QUOTE_MARKS = re.compile(r"[{}\"]")


def _braced(raw: str, start: int) -> int | None:
    """The index just past the brace that closes the one at `start`, or None when none does."""
    depth = 0
    for mark in _BRACES.finditer(raw, start):
        depth += 1 if mark.group() == "{" else -1
        if depth == 0:
            return mark.end()
    return None


def _quoted(raw: str, start: int) -> int | None:
    """The index just past the quote that closes the one at `start` (a quote inside braces is text)."""
    depth = 0
    for mark in _QUOTE_MARKS.finditer(raw, start + 1):
        if mark.group() == '"':
            if depth == 0:
                return mark.end()
        else:
            depth += 1 if mark.group() == "{" else -1
    return None


def evaluate(raw: str, macros: dict[str, str]) -> str:
    """The value of a raw BibTeX field (`{…}`, `"…"`, a number, a name, joined by `#`); names are
    looked up case-blind in `macros`, then the month names, else kept as written. A value that is
    none of these (unbalanced braces) is returned as it was written."""
    pieces: list[str] = []
    position = _SPACE.match(raw, 0).end()  # type: ignore[union-attr]
    while position < len(raw):
        char = raw[position]
        if char in "{\"":
            end = (_braced if char == "{" else _quoted)(raw, position)
            if end is None:
                return raw
            pieces.append(raw[position + 1:end - 1])
        else:
            word = _WORD.match(raw, position)
            if word is None:
                return raw
            end = word.end()
            name = word.group()
            pieces.append(name if name.isdigit() else macros.get(name.lower(), MONTHS.get(name.lower(), name)))
        position = _SPACE.match(raw, end).end()  # type: ignore[union-attr]
        if position < len(raw):
            if raw[position] != "#":
                return raw
            position = _SPACE.match(raw, position + 1).end()  # type: ignore[union-attr]
    return "".join(pieces)


def macros_of(strings: Iterable[tuple[str, str]]) -> dict[str, str]:
    """@string definitions (name, raw value) in file order, each value read with those before it."""
    macros: dict[str, str] = {}
    for name, raw in strings:
        macros[name.lower()] = evaluate(raw, macros)
    return macros
