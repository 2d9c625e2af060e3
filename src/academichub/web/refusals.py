"""A refused value in the reader's language: one table for every page that says why (its code is
the `problem` the refusing service gave the InputError; chips have their own, with the value in it)."""

from __future__ import annotations

from collections.abc import Callable

from academichub.errors import AcademicHubError, AuthError, InputError, TooManyAttemptsError


def _texts(_: Callable[[str], str]) -> dict[str, str]:
    return {
        # periods and searches
        "range-order": _("The date range ends before it starts."),
        "range-empty": _("A date range needs a start or an end."),
        "date": _("Dates are written YYYY-MM-DD."),
        "period": _("There is no such period: choose one of the period links."),
        "too-long": _("The query is too long (500 characters at most)."),
        "mode": _("There is no such search mode: choose hybrid, full text or semantic."),
        "source": _("There is no such source: choose arXiv, bioRxiv, medRxiv, Crossref, journal feeds, OpenAlex "
                    "or PubMed."),
        # library files and ORCID iDs
        "format": _("The file's format cannot be told: give it the extension of its format "
                    "(.bib, .ris, .rdf or .json)."),
        "no-entries": _("No usable entry was found in the file."),
        "unreadable": _("The file cannot be read as a library file."),
        "too-large": _("The file is too large."),
        "too-many": _("The file holds too many entries: split it, or export the collections you read."),
        "empty-file": _("The file is empty."),
        "orcid": _("This is not a valid ORCID iD."),
        # deliveries and radars
        "email": _("That is not an e-mail address."),
        "url": _("A webhook needs its address (https://…)."),
        "outbound": _("That address cannot be posted to: it is inside this network, or not a web address."),
        "secret": _("The secret holds a control character: paste it again as the service shows it."),
        "unsigned": _("WeCom and Slack webhooks are not signed: leave the secret empty."),
        "channel": _("There is no such channel."),
        "cadence": _("Choose daily or weekly."),
        "name-empty": _("A radar needs a name."),
        "name-taken": _("You already have a radar of that name."),
        # briefings
        "brief-empty": _("This radar has no papers in that period: choose another period, or follow more."),
        "brief-llm": _("Writing with an LLM needs an OpenAI-compatible endpoint in the settings."),
        "brief-language": _("Briefings are written in Chinese or English."),
        # accounts
        "user-name": _("A user name is 2 to 63 letters, digits, “.”, “-” or “_”, beginning with a letter or digit."),
        "user-taken": _("That user name is taken."),
        "password-short": _("The password needs at least {n} characters."),
        "password-long": _("The password is too long (1,000 characters at most)."),
        "sign-in": _("Wrong user name or password."),
        "throttled": _("Too many sign-in attempts: try again in {seconds} s."),
        "form-expired": _("This form has expired: please send it again."),
    }


def refusal(error: AcademicHubError | None, _: Callable[[str], str], problem: str = "", **values: object) -> str:
    """Why `error` (or the `problem` code) refused a value, in the reader's language, its {fields}
    filled from `values`; "" when the table has no words for it (the caller shows the service's own)."""
    if isinstance(error, TooManyAttemptsError):
        code, values = "throttled", {**values, "seconds": max(1, round(error.retry_after))}
    elif isinstance(error, AuthError):
        code = "sign-in"
    else:
        code = error.problem if isinstance(error, InputError) else problem
    text = _texts(_).get(code, "") if code else ""
    return text.format_map(_Kept(values)) if values else text


def explained(error: AcademicHubError, _: Callable[[str], str]) -> tuple[str, str]:
    """(what to say, the detail to show beside it): the table's words with the service's own as the
    detail, or the service's own alone where the table has none."""
    if said := refusal(error, _):
        return said, str(error)
    return str(error), ""


class _Kept(dict):  # type: ignore[type-arg]
    """Values for a text's {fields}; a field not given stays as written (never a KeyError on a page)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _skips(_: Callable[[str], str]) -> dict[str, str]:
    return {  # the reasons of library/readers.py and importer.py, which the CLI and the API print as written
        "unparsable BibTeX block": _("an unreadable BibTeX entry"),
        "unterminated RIS record (no ER line)": _("a RIS record without its ER line"),
        "not an entry (a JSON object)": _("not an entry"),
        "malformed entry": _("a field of the wrong type"),
        "no title": _("no title"),
        "duplicate": _("already in the file"),
        "note": _("a Zotero note"),
        "attachment": _("a Zotero attachment"),
        "annotation": _("a Zotero annotation"),
    }


def skip_reason(why: str, _: Callable[[str], str]) -> str:
    """Why a library import skipped entries, in the reader's language ("malformed entry: title is
    not text" keeps its detail as written)."""
    texts = _skips(_)
    if why in texts:
        return texts[why]
    head, colon, detail = why.partition(": ")
    return f"{texts[head]} ({detail})" if colon and head in texts else why


def match_kind(how: str, _: Callable[[str], str]) -> str:
    """How an imported item was matched to a stored paper, in the reader's language."""
    return {"arxiv": _("arXiv id"), "doi": "DOI", "pmid": "PMID", "title": _("title")}.get(how, how)
