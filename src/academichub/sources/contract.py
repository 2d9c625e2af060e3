"""What a source declares once, and what the harvester hands its fetcher.

A source module declares a `SOURCE = Source(...)`: its name, its settings group, the streams its
settings enable, the stream `ingest NAME` asks for, its page fetcher, its file formats and its CLI
options. `sources/registry.py` finds every declaration; the CLI, the worker, the scheduler, format
detection, settings and the sources page are derived from them, so a new source is one module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from academichub.model import Paper, Rejected

if TYPE_CHECKING:
    from academichub.sources.http import HttpClient

Items = Iterator[Paper | Rejected]


class SettingsGroup(BaseModel):
    """A group of settings, whose numbers are finite: an infinite session length or timeout was
    accepted at start and then overflowed the date and time arithmetic it feeds (every sign-in
    answered 500). A key it does not have is refused ("[ranking] min_postives = 3" in the
    settings file, or ACADEMICHUB_RANKING__MIN_POSTIVES, was silently ignored)."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")


# Kinds of setting, bounded for any real use and for the date and time arithmetic they feed.
Interval = Annotated[float, Field(ge=0, le=3600)]  # seconds between requests, or before a retry
Timeout = Annotated[float, Field(gt=0, le=3600)]  # seconds one call may take
CadenceHours = Annotated[float, Field(gt=0, le=24 * 366)]  # hours between scheduled runs
Days = Annotated[int, Field(ge=1, le=3650)]  # days counted back or ahead


class HttpSettings(SettingsGroup):
    """How AcademicHub talks to remote sources."""

    timeout: Timeout = Field(30.0, description="Seconds before a request times out.")
    retries: int = Field(4, ge=0, le=10, description="Retries on timeouts, 429 and 5xx.")
    backoff: Interval = Field(2.0, description="First retry delay in seconds (doubles, with jitter).")
    max_bytes: int = Field(50_000_000, gt=0, description="Largest response body accepted.")
    contact_email: str = Field("", description="E-mail sent in the User-Agent (polite pools).")


class SourceSettings(SettingsGroup):
    """What every source has: an endpoint, politeness, a cadence and health expectations."""

    enabled: bool = Field(False, description="Fetch this source in scheduled runs and `ingest --all`.")
    base_url: str = Field("", description="Endpoint (a mirror, proxy or replay server can stand in).")
    api_key: SecretStr | None = Field(None, description="API key, where the source takes one.")
    min_interval: Interval = Field(1.0, description="Seconds between two requests to its host.")
    max_concurrency: int = Field(2, ge=1, le=16, description="Requests in flight to its host at once.")
    cadence_hours: CadenceHours = Field(6.0, description="Hours between scheduled runs.")
    stale_after_days: Days = Field(
        7, description="Flag the source when it brought nothing new for this many days."
    )
    lookback_days: Days = Field(7, description="First-run window when nothing was harvested yet.")


@dataclass(frozen=True)
class Window:
    """The dates a run covers (either end open)."""

    start: date | None = None
    end: date | None = None


MAX_KEY = 300


@dataclass(frozen=True)
class Stream:
    """One harvestable stream of a source, with what its fetcher needs to fetch it."""

    key: str
    source: str
    label: str
    params: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    windowless: bool = field(default=False, compare=False)  # today's feed: a date window does not apply
    announced: bool = field(default=False, compare=False)  # checked at the schedule's announcement time

    def __post_init__(self) -> None:
        # A key names the stream's stored state (source_state.source_key holds 300 characters): a
        # long query or id list is cut and told apart by a digest of the whole, where PostgreSQL
        # refused the run's state with an error at the end of the run.
        if len(self.key) > MAX_KEY:
            digest = hashlib.blake2b(self.key.encode(), digest_size=8).hexdigest()
            object.__setattr__(self, "key", f"{self.key[:MAX_KEY - len(digest) - 1]}~{digest}")


@dataclass
class Page:
    """Records of one response, where the next page starts, and the response's validators."""

    items: list[Paper | Rejected] = field(default_factory=list)
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False

    @classmethod
    def of(cls, result: Any, parse: Callable[[bytes], list[Paper | Rejected]]) -> Page:
        """The page of a conditional GET's result (an `http.FetchResult`): its records, or "not modified"."""
        if result.not_modified:
            return cls(not_modified=True)
        return cls(parse(result.content), etag=result.etag, last_modified=result.last_modified)


@dataclass(frozen=True)
class Request:
    """Everything a fetcher gets: the stream, its window, a cursor to resume from, its settings."""

    stream: Stream
    window: Window
    resume: str | None
    settings: Any  # the source's own settings group (a SourceSettings subclass)
    http: HttpSettings
    etag: str | None = None  # validators of the stream's last response, for a conditional GET
    last_modified: str | None = None
    max_results: int = 1000
    incremental: bool = False  # a scheduled run continuing from the last one, not an explicit window


Fetcher = Callable[["HttpClient", Request], Iterator[Page]]


@dataclass(frozen=True)
class FileFormat:
    """A local file format: how it is read and how its first bytes give it away."""

    name: str
    help: str
    read: Callable[[bytes], Items] | None = None  # a whole document
    stream: Callable[[IO[bytes]], Items] | None = None  # a line format, read as it streams
    xml_roots: frozenset[str] = frozenset()  # root elements it may have
    sniff_xml: Callable[[bytes], bool] | None = None  # the head tells it apart (None: any file of its roots)
    sniff_json: Callable[[dict[str, Any]], bool] | None = None  # a whole JSON document is of this format
    sniff_line: Callable[[dict[str, Any]], bool] | None = None  # a first JSON line is of this format


@dataclass(frozen=True)
class CliOption:
    """An option `academichub ingest NAME` takes for this source."""

    name: str  # the key in the options a stream is asked with
    help: str
    flag: str = ""  # default: --name
    multiple: bool = False  # repeatable; the value is a list

    @property
    def cli_flag(self) -> str:
        """The option as typed."""
        return self.flag or f"--{self.name.replace('_', '-')}"


Asked = Callable[[str, Any, Mapping[str, Any], Window | None], Stream]


@dataclass(frozen=True)
class Source:
    """Everything about one source that the rest of AcademicHub needs to know."""

    name: str  # Stream.source
    settings: type[SourceSettings]
    streams: Callable[[Any], list[Stream]]  # (its settings group) -> the streams of scheduled runs
    asked: Asked  # (the name typed, its settings group, the options given, the window) -> a stream
    fetch: Fetcher
    settings_key: str = ""  # its group under `sources.` (default: its name)
    names: tuple[str, ...] = ()  # what `ingest NAME` accepts for it (default: its name)
    options: tuple[CliOption, ...] = ()
    formats: tuple[FileFormat, ...] = ()

    @property
    def cli_names(self) -> tuple[str, ...]:
        """What `ingest NAME` accepts for this source."""
        return self.names or (self.name,)

    @property
    def group(self) -> str:
        """Its settings group under `sources.`."""
        return self.settings_key or self.name
