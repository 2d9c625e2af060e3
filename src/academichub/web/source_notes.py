"""What the sources and admin pages say about a stream, in the reader's language: its flags, the
reasons its records were left out or refused, and the kind of its last error."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]
_WITH_DETAIL = re.compile(r"^(notice|malformed record) \((.*)\)$|^(type) (\S+)$")


def run_reason(why: str, _: Gettext) -> str:
    """Why an ingest left a record out or refused it ("notice (author correction)" becomes "notice:
    author correction", the source's own word for the notice kept; a reason this list does not
    know is shown as written)."""
    fixed = {"book record": _("book record"), "no title": _("no title"), "no identifier": _("no identifier"),
             "invalid JSON": _("invalid JSON"), "record without a DOI": _("record without a DOI"),
             "entry without DOI or link": _("entry without DOI or link"), "not a work": _("not a work")}
    if why in fixed:
        return fixed[why]
    found = _WITH_DETAIL.match(why)
    if not found:
        return why
    head, detail = (found.group(1), found.group(2)) if found.group(1) else (found.group(3), found.group(4))
    return {"notice": _("notice: {kind}"), "malformed record": _("malformed record: {kind}"),
            "type": _("type: {kind}")}[head].format(kind=detail)


def _reasons(reasons: dict[str, int], _: Gettext) -> str:
    """The reasons of a run, each with its count when there are several ("notice: erratum ×3")."""
    if len(reasons) <= 1:  # a run recorded without its reasons says so by a dash
        return run_reason(next(iter(reasons)), _) if reasons else "—"
    return _(", ").join(f"{run_reason(why, _)} ×{n}" for why, n in reasons.items())


def flag_text(flag: dict[str, Any], _: Gettext, ngettext: Ngettext) -> str:
    """A health flag (health.StreamHealth.flags) as a sentence of the reader's language."""
    kind = flag["kind"]
    if kind == "rejected":
        return ngettext("Last run: {n} record could not be used ({reasons}).",
                        "Last run: {n} records could not be used ({reasons}).",
                        flag["count"]).format(n=flag["count"], reasons=_reasons(flag["reasons"], _))
    if kind == "left-out":
        return ngettext("Last run: {n} record left out, as it is not a paper ({reasons}).",
                        "Last run: {n} records left out, as they are not papers ({reasons}).",
                        flag["count"]).format(n=flag["count"], reasons=_reasons(flag["reasons"], _))
    if kind == "quiet" and "day" in flag:
        return _("No new papers in the listing of {day}, an announcement day.").format(day=flag["day"])
    if kind == "quiet" and "days" in flag:
        return ngettext("Nothing new for {days} day (expected within {expected}).",
                        "Nothing new for {days} days (expected within {expected}).",
                        flag["days"]).format(days=flag["days"], expected=flag["expected"])
    return flag["message"]


def error_kind(kind: str | None, _: Gettext) -> str:
    """What kind of failure a stream's last error was (errors.SourceError.kind), said plainly."""
    return {"network": _("No network"), "timeout": _("The source did not answer in time"),
            "rate-limited": _("The source asked us to slow down"),
            "http-4xx": _("The source refused the request"), "http-5xx": _("The source's server failed"),
            "too-large": _("The answer was too large"), "parse": _("The answer could not be read"),
            "protocol": _("The source answered with an error")}.get(kind or "", kind or _("Error"))
