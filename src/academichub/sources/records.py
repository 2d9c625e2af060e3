"""Converting a source's records one by one: a malformed record is rejected with a reason, never
the end of its page or its run.

Sources send what they send: a number where a string belongs, a list where an object does. A
converter that meets one raises TypeError or AttributeError deep inside; caught here per
record, the rest of the page is stored and the run report counts the malformed ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from academichub.model import Paper, Rejected

MALFORMED = (TypeError, AttributeError, ValueError, KeyError, IndexError, OverflowError)  # 2**31 as a year overflows
# How journals title a notice about another article when their feed says nothing else of it:
# Nature's "Author Correction: …", Springer's "Correction to: …", "Retraction Note: …", PNAS's
# "Correction for Smith et al., …", "Editorial Expression of Concern: …"; Science's table of
# contents titles one with that word alone ("Retraction", "Erratum").
_NOTICE_TITLE = re.compile(
    r"^\W*(?:(?:author|publisher)(?:['’]s)?\s+)?(?:correction|erratum|corrigendum|addendum|retraction(?:\s+note)?|"
    r"notice\s+of\s+retraction|retracted(?:\s+article)?|(?:editorial\s+)?expression\s+of\s+concern)"
    r"(?:\s+to\s*:|\s*:|\s+for\s+\S+(?:\s+\S+){0,2}\s+et\s+al\.|\W*$)", re.IGNORECASE)


def notice_title(title: str) -> str | None:
    """The kind of notice a title announces ("author correction"), or None for a work's own title."""
    match = _NOTICE_TITLE.match(title or "")
    if not match:
        return None
    words = re.findall(r"[a-z]+", match.group(0).lower())
    return " ".join(words[:words.index("for")] if "for" in words else words)


def convert_one(convert: Callable[[Any], Paper | Rejected], raw: Any, what: str) -> Paper | Rejected:
    """One record through its converter, or a Rejected naming what kind of record was malformed."""
    try:
        return convert(raw)
    except MALFORMED as exc:
        return Rejected(f"malformed {what} ({type(exc).__name__})", ref=_ref(raw))


def convert_all(convert: Callable[[dict[str, Any]], Paper | Rejected], raws: Any, what: str) -> list[Paper | Rejected]:
    """Every record of a page's list; anything but a JSON object is rejected as such."""
    if not isinstance(raws, list):
        return [] if raws in (None, "", {}) else [Rejected(f"{what} list is not a list")]
    return [convert_one(convert, raw, what) if isinstance(raw, dict) else Rejected(f"{what} is not an object")
            for raw in raws]


def whole_number(value: Any, default: int = 0) -> int:
    """A count from a page's metadata (a number or digits), else the default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if value >= 0 else default
    text = str(value).strip() if isinstance(value, str | float) else ""
    return int(text) if text.isdecimal() and len(text) < 19 else default


def text_or_none(value: Any) -> str | None:
    """A cursor or token from a page's metadata: a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def _ref(raw: Any) -> str:
    if isinstance(raw, dict):
        for key in ("DOI", "doi", "id", "pmid"):
            if isinstance(raw.get(key), str):
                return raw[key][:200]
    return ""


def each(convert: Callable[[Any], Paper | Rejected], raws: Iterable[Any], what: str) -> list[Paper | Rejected]:
    """Every record of a parsed document (XML entries, feed entries) through its converter."""
    return [convert_one(convert, raw, what) for raw in raws]


def in_categories(items: list[Paper | Rejected], categories: list[str]) -> list[Paper | Rejected]:
    """The records in some categories (or their archives), and every rejection (it is reported)."""
    wanted = {c.casefold() for c in categories}
    return [i for i in items if isinstance(i, Rejected) or any(
        c.casefold() in wanted or c.split(".")[0].casefold() in wanted for c in i.categories)]
