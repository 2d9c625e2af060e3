"""The one list of sources: how each is fetched, which streams the settings enable, and what
`academichub ingest SOURCE` fetches.

The harvester, the scheduler, the sources page and health, the queue's fetch job and the CLI all
derive from `SOURCES`; a new source is its parser and fetcher in `sources/`, its adapter in
`adapters.py` and one entry here (its file formats are declared in `sources/formats.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from academichub.errors import InputError
from academichub.radar.subscriptions import normalise_category
from academichub.settings import Settings
from academichub.worker import adapters, streams
from academichub.worker.adapters import Adapter
from academichub.worker.streams import Stream, Window

ARXIV_METHODS = ("listing", "api", "oai")


@dataclass(frozen=True)
class StreamOptions:
    """What `ingest SOURCE` was given besides the source's name."""

    method: str | None = None
    categories: list[str] | None = None
    author: str | None = None
    ids: list[str] | None = None
    issn: str | None = None
    query: str | None = None
    filter: str | None = None
    feed: str | None = None


@dataclass(frozen=True)
class SourceEntry:
    """One source: its adapter, the streams its settings enable and the stream a command asks for."""

    name: str  # Stream.source
    adapter: Adapter
    enabled: Callable[[Settings], list[Stream]]
    asked: Callable[[str, Settings, StreamOptions], Stream]  # (the name typed, settings, options)
    names: tuple[str, ...] = ()  # what `ingest NAME` accepts for it (default: its name)
    windowless: bool = False  # "now" feeds: a date window does not apply

    @property
    def cli_names(self) -> tuple[str, ...]:
        """What `ingest NAME` accepts for this source."""
        return self.names or (self.name,)


def arxiv_stream(settings: Settings, *, method: str = "listing", categories: list[str] | None = None,
                 author: str | None = None, ids: list[str] | None = None) -> Stream:
    """The arXiv stream a command asks for (a listing, an API or OAI harvest, an author, some ids)."""
    if author or ids:
        return streams.arxiv_query_stream(author=author, ids=ids)
    if method not in ARXIV_METHODS:
        raise InputError(f"ingest: unknown arXiv method {method!r}; use {', '.join(ARXIV_METHODS)}")
    cats = [normalise_category(c) for c in (categories or settings.sources.arxiv.categories)]
    return streams.arxiv_stream(cats, method)


def _journal_asked(_name: str, _settings: Settings, options: StreamOptions) -> Stream:
    if not options.feed:
        raise InputError("ingest: journal needs --feed NAME|URL (presets: academichub sources --presets)")
    return streams.journal_stream(options.feed)


SOURCES: dict[str, SourceEntry] = {entry.name: entry for entry in (
    SourceEntry(
        "arxiv", adapters.arxiv_pages,
        lambda s: [streams.arxiv_stream(s.sources.arxiv.categories)]
        if s.sources.arxiv.enabled and s.sources.arxiv.categories else [],
        lambda _n, s, o: arxiv_stream(s, method=o.method or "listing", categories=o.categories, author=o.author,
                                      ids=o.ids)),
    SourceEntry(
        "crossref", adapters.crossref_pages,
        lambda s: [streams.crossref_stream(issn=i) for i in s.sources.crossref.issns] if s.sources.crossref.enabled else [],
        lambda _n, _s, o: streams.crossref_stream(issn=o.issn, query=o.query)),
    SourceEntry(
        "openalex", adapters.openalex_pages,
        lambda s: [streams.openalex_stream(f) for f in s.sources.openalex.filters] if s.sources.openalex.enabled else [],
        lambda _n, _s, o: streams.openalex_stream(o.filter or "")),
    SourceEntry(
        "pubmed", adapters.pubmed_pages,
        lambda s: [streams.pubmed_stream(q) for q in s.sources.pubmed.queries] if s.sources.pubmed.enabled else [],
        lambda _n, _s, o: streams.pubmed_stream(o.query or "")),
    SourceEntry(
        "biorxiv", adapters.biorxiv_pages,
        lambda s: [streams.biorxiv_stream(v) for v in s.sources.biorxiv.servers] if s.sources.biorxiv.enabled else [],
        lambda name, _s, _o: streams.biorxiv_stream(name), names=("biorxiv", "medrxiv")),
    SourceEntry(
        "journal", adapters.journal_pages,
        lambda s: [streams.journal_stream(f) for f in s.sources.journals.feeds] if s.sources.journals.enabled else [],
        _journal_asked, windowless=True),
)}
CLI_NAMES: tuple[str, ...] = tuple(name for entry in SOURCES.values() for name in entry.cli_names)


def configured(settings: Settings) -> list[Stream]:
    """Every stream the settings enable, in a stable order (the registry's)."""
    return [stream for entry in SOURCES.values() for stream in entry.enabled(settings)]


def asked(name: str, settings: Settings, options: StreamOptions) -> Stream:
    """The stream `ingest NAME` fetches."""
    entry = next((e for e in SOURCES.values() if name in e.cli_names), None)
    if entry is None:
        raise InputError(f"ingest: unknown source {name!r}; available: {', '.join(CLI_NAMES)}")
    return entry.asked(name, settings, options)


def adapter(stream: Stream) -> Adapter:
    """How a stream is fetched."""
    return SOURCES[stream.source].adapter


def check_window(stream: Stream, window: Window) -> None:
    """Refuse a date window a stream cannot honour."""
    if (window.start or window.end) and (SOURCES[stream.source].windowless or stream.params.get("method") == "listing"):
        raise InputError(f"ingest: {stream.label} is today's feed; it takes no --from/--to")
    if window.start and window.end and window.start > window.end:
        raise InputError("ingest: --from is after --to")
