"""Typed settings, built once from defaults, the settings file, the environment and the CLI."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, Field, SecretStr, create_model, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from academichub.errors import ConfigError
from academichub.sources import registry
from academichub.sources.contract import HttpSettings, Interval, SettingsGroup, SourceSettings, Timeout

ENV_PREFIX = "ACADEMICHUB_"
SETTINGS_FILE_NAME = "settings.toml"


def default_home() -> Path:
    """Return the per-user data directory used when neither --home nor ACADEMICHUB_HOME is set."""
    return Path(platformdirs.user_data_dir("academichub", appauthor=False))


class OrcidSettings(SourceSettings):
    """ORCID's public API, for importing a researcher's works as a library."""

    base_url: str = Field("https://pub.orcid.org/v3.0", description="ORCID public API base.")
    min_interval: Interval = Field(0.1, description="Seconds between requests.")


def _sources_settings() -> type[BaseModel]:
    """Settings of every source: the HTTP layer, the group each declared source brings, and ORCID's."""
    groups: dict[str, Any] = {"http": (HttpSettings, Field(default_factory=HttpSettings))}
    for entry in registry.sources().values():
        groups[entry.group] = (entry.settings, Field(default_factory=entry.settings))
    groups["orcid"] = (OrcidSettings, Field(default_factory=OrcidSettings))
    return create_model("SourcesSettings", __doc__="Settings of every source.", **groups)


SourcesSettings = _sources_settings()


class EmbeddingSettings(SettingsGroup):
    """Which model embeds works (title + abstract)."""

    model: Literal["wordllama", "minilm", "openai"] = Field(
        "wordllama", description="wordllama (bundled, fast), minilm (extra, slow on CPU) or openai (an endpoint).")
    batch_size: int = Field(256, ge=1, le=4096, description="Texts per embedding call.")
    base_url: str = Field("", description="OpenAI-compatible endpoint for model = openai (…/v1).")
    api_key: SecretStr | None = Field(None, description="Key of that endpoint.")
    remote_model: str = Field("text-embedding-3-small", description="Model name sent to that endpoint.")
    timeout: Timeout = Field(60.0, description="Seconds per embedding request.")


class RankingSettings(SettingsGroup):
    """How the learned ranker combines what a reader follows, likes and reads."""

    rules: Literal["boost", "filter"] = Field(
        "boost", description="boost: rule matches are lifted above the model's order; filter: only they are shown.")
    min_score: float = Field(
        0.0, ge=0, le=1, description="Hide papers the model scores below this (0.5: an average paper of the window).")
    diversity: float = Field(0.3, ge=0, le=1, description="MMR weight against near-duplicates in a batch.")
    min_positives: int = Field(
        1, ge=1, description="Positives needed before the per-user classifier is used (fewer: a centroid).")
    negatives: int = Field(8000, ge=100, le=50000, description="Random papers of the store the model contrasts with.")
    half_life_days: float = Field(180.0, gt=0, le=36500, description="Age at which a positive counts half (recency weight).")
    retrain_settle_seconds: float = Field(
        1.0, ge=0, le=60, description="A web process's trainer waits until a radar's likes, chips or library have "
        "been still this long (at most 5 times as long) before retraining it; the cheap update serves meanwhile.")


class SearchSettings(SettingsGroup):
    """Full-text, semantic and hybrid search."""

    mode: Literal["hybrid", "text", "semantic"] = Field(
        "hybrid", description="hybrid fuses full-text and embedding results (reciprocal rank fusion).")
    ann_threshold: int = Field(
        200_000, ge=0, description="Vectors beyond which similarity search uses an HNSW index instead of exact.")


class FeedSettings(SettingsGroup):
    """How the feed picks and batches papers."""

    batch_size: int = Field(10, ge=1, le=200, description="Papers per batch (换一批 shows the next).")
    recent_days: int = Field(
        5, ge=1, le=60, description="Announcement days in the default 'recent' period."
    )
    author_lookback_days: int = Field(
        365, ge=0, le=36500, description="Unseen papers of followed authors are shown back this many days."
    )
    batch_processes: int = Field(
        1, ge=0, le=1, description="换一批 is ranked and claimed in a process of its own beside each web process "
        "(1), or on the web process's request threads (0)."
    )


class BriefingSettings(SettingsGroup):
    """What a briefing covers."""

    papers: int = Field(40, ge=5, le=1000, description="Top papers of the radar a briefing covers.")
    bridges: int = Field(5, ge=0, le=100, description="Extra cross-field papers added beyond the top papers.")


class LlmSettings(SettingsGroup):
    """An OpenAI-compatible chat endpoint that writes briefing prose (OpenAI, DeepSeek, Qwen, Ollama, vLLM …).

    Also read from ACADEMICHUB_LLM_BASE_URL / _MODEL / _API_KEY, and OPENAI_BASE_URL / OPENAI_API_KEY.
    """

    base_url: str = Field("", description="Endpoint base, e.g. https://api.deepseek.com/v1 or http://127.0.0.1:11434/v1.")
    model: str = Field("", description="Model name sent to the endpoint.")
    api_key: SecretStr | None = Field(None, description="Key of the endpoint (local servers need none).")
    timeout: Timeout = Field(60.0, description="Seconds one call may take (a stalled stream counts).")
    max_seconds: float = Field(300.0, gt=0, le=86400, description="Seconds the whole briefing may take before the offline one.")
    retries: int = Field(2, ge=0, le=10, description="Retries of a call on timeouts, 429, 5xx and malformed replies.")
    max_output_tokens: int = Field(900, ge=64, description="Output tokens per call.")
    max_input_tokens: int = Field(6000, ge=500, description="Input tokens per theme call (abstracts are shortened).")
    price_input: float = Field(0.0, ge=0, description="Price per million input tokens (0: cost not shown).")
    price_output: float = Field(0.0, ge=0, description="Price per million output tokens.")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")

    @property
    def configured(self) -> bool:
        """Whether an endpoint and model are set."""
        return bool(self.base_url and self.model)


class SmtpSettings(SettingsGroup):
    """The mail server e-mail digests are sent through."""

    host: str = Field("", description="SMTP host (empty: e-mail digests are off).")
    port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL, 25 plain).")
    security: Literal["starttls", "ssl", "none"] = Field("starttls", description="starttls, ssl or none.")
    user: str = Field("", description="SMTP user name (empty: no login).")
    password: SecretStr | None = Field(None, description="SMTP password.")
    sender: str = Field("AcademicHub <academichub@localhost>", description="From address of digests.")
    timeout: Timeout = Field(30.0, description="Seconds for the SMTP conversation.")
    ca_file: Path | None = Field(None, description="CA certificate(s) to trust for the server (an internal CA).")


class DeliverySettings(SettingsGroup):
    """E-mail digests and webhooks."""

    papers: int = Field(10, ge=1, le=100, description="Top papers in a digest.")
    briefing: bool = Field(True, description="Include the briefing's overview and themes in a digest.")
    retries: int = Field(3, ge=0, le=10, description="Retries of a failed webhook post (backoff doubles).")
    backoff: Interval = Field(1.0, description="First retry delay in seconds.")
    timeout: Timeout = Field(15.0, description="Seconds per webhook post.")
    allow_networks: list[str] = Field(
        default_factory=list,
        description="Non-public networks webhooks may reach (CIDR, e.g. 10.1.0.0/16); all others are refused.")

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not a network (e.g. 10.0.0.0/8 or 192.168.1.20)") from None
        return value


class AuthSettings(SettingsGroup):
    """Who may use the install: one local reader (default) or accounts with passwords."""

    mode: Literal["local", "accounts"] = Field(
        "local", description="local: one reader, no sign-in (a laptop); accounts: sign-up/sign-in, per-user data.")
    signup: bool = Field(True, description="In accounts mode, whether anyone reaching the site may sign up.")
    session_days: float = Field(30.0, gt=0, le=3650, description="Days a sign-in lasts.")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Secure flag on cookies: auto sets it when the request came over HTTPS.")
    max_failures: int = Field(
        5, ge=1, description="Failed sign-ins for a name from one address before each next attempt waits (1 s, doubling).")
    failure_window_minutes: float = Field(
        15.0, gt=0, le=10080, description="Longest wait between sign-in attempts from one address (failures count for a day).")
    min_password: int = Field(10, ge=8, le=1000, description="Shortest password accepted (passwords are at most 1,000 characters).")
    local_network: bool = Field(
        False, description="Serve local mode (no sign-in) on a non-loopback address: whoever reaches it is the reader.")
    host_names: list[str] = Field(
        default_factory=list, description="In local mode, host names besides localhost, IP addresses and public_url's "
        "under which the install answers (it refuses others: a rebound DNS name would reach it).")


class ScheduleSettings(SettingsGroup):
    """The embedded daily scheduler started by `academichub up`."""

    enabled: bool = Field(True, description="Run the daily arXiv fetch inside `up`.")
    arxiv_at: str = Field(
        "00:30", description="Time of the daily arXiv fetch (HH:MM): after the 20:00 announcement, once the "
        "listing feeds are rebuilt at midnight.")
    timezone: str = Field("America/New_York", description="Time zone of arxiv_at (arXiv's is US Eastern); an IANA "
                          "name, checked when the settings are read.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        # Checked here: `up` stopped with a ZoneInfoNotFoundError traceback when the scheduler started.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as America/New_York)") from None
        return value

    @field_validator("arxiv_at")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"schedule: arxiv_at must be HH:MM, got {value!r}")
        return value


class _LlmAliases(PydanticBaseSettingsSource):
    """The LLM endpoint from short environment names: ACADEMICHUB_LLM_BASE_URL (above the settings
    file) and the OpenAI client's own OPENAI_BASE_URL / OPENAI_API_KEY (below it)."""

    def __init__(self, settings_cls: type[BaseSettings], prefix: str) -> None:
        super().__init__(settings_cls)
        self.prefix = prefix

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        names = ("BASE_URL", "MODEL", "API_KEY") if self.prefix != "OPENAI_" else ("BASE_URL", "API_KEY")
        found = {name.lower(): os.environ[self.prefix + name] for name in names if os.environ.get(self.prefix + name)}
        return {"llm": found} if found else {}


class Settings(BaseSettings):
    """Everything configurable; env names are ACADEMICHUB_<FIELD> and ACADEMICHUB_<GROUP>__<FIELD>."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True,
        allow_inf_nan=False,
    )

    home: Path = Field(default_factory=default_home, description="Data directory holding all state.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is the SQLite file in the data directory."
    )
    broker_url: str | None = Field(
        None, description="Redis URL of the job queue (redis://…); unset: background jobs run in the process."
    )
    broker_heartbeat_seconds: float = Field(
        15.0, ge=1, le=600, description="A queue worker silent this long counts as dead and its unacknowledged jobs "
        "go to another worker (its idle consumers report about once a second; too short a time redelivers jobs "
        "that still run).")
    background_nice: int = Field(
        10, ge=0, le=19, description="CPU priority `ingest` and queue workers lower themselves by (nice): a bulk "
        "ingest then yields the cores to the web processes on the same machine (0: none).")
    host: str = Field("127.0.0.1", description="Address the web server binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port the web server listens on.")
    language: Literal["zh", "en"] = Field("zh", description="Default interface language.")
    secret_key: SecretStr | None = Field(
        None, description="Signs CSRF tokens; generated into the data directory when unset."
    )
    feed: FeedSettings = Field(default_factory=FeedSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    ranking: RankingSettings = Field(default_factory=RankingSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    briefing: BriefingSettings = Field(default_factory=BriefingSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    public_url: str = Field("", description="Public address of this install for links in e-mails, webhooks and feeds "
                                            "(default: http://host:port); an http(s) address, checked when read.")
    llm: LlmSettings = Field(default_factory=LlmSettings)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        # It prefixes every link of e-mails, webhooks and feeds: "example.org" made them all relative.
        if value and not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", value):
            raise ValueError(f"must be an http(s) address such as https://radar.example.org, got {value!r}")
        return value.rstrip("/")

    @field_validator("broker_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        # Checked here, so every command says it in one line: `worker` stopped with redis-py's
        # traceback and `serve` started and then sent no job anywhere.
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must be a Redis URL (redis://host:6379/0, rediss://… or unix://…), got {value!r}")
        return value or None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments (CLI) > environment > settings file > defaults.
        init_kwargs: dict[str, Any] = getattr(init_settings, "init_kwargs", {})
        home = Path(init_kwargs.get("home") or os.environ.get(f"{ENV_PREFIX}HOME") or default_home())
        toml_file = Path(os.environ.get(f"{ENV_PREFIX}SETTINGS_FILE") or home / SETTINGS_FILE_NAME)
        return (init_settings, env_settings, _LlmAliases(settings_cls, "ACADEMICHUB_LLM_"),
                _SettingsFile(settings_cls, toml_file=toml_file), _LlmAliases(settings_cls, "OPENAI_"))

    @property
    def base_url(self) -> str:
        """Where readers reach this install (links in digests)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def db_url(self) -> str:
        """The database URL actually used."""
        return self.database_url or f"sqlite:///{self.home / 'academichub.db'}"

    @property
    def index_dir(self) -> Path:
        """Where the tantivy full-text index lives."""
        return self.home / "index"


class _SettingsFile(TomlConfigSettingsSource):
    """The settings file, whose syntax errors name the file and the place (not a parser's traceback)."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        try:
            return super()._read_file(file_path)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"settings: {file_path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"settings: cannot read {file_path}: {exc.strerror or exc}") from None


# Environment names that are not settings fields but are read: the data directory and the settings
# file (read before the settings), the short LLM names; ACADEMICHUB_TEST_* belong to test harnesses.
_OTHER_NAMES = frozenset(f"{ENV_PREFIX}{n}" for n in ("HOME", "SETTINGS_FILE", "LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"))


def _group(field: Any) -> type[BaseModel] | None:
    """The model of a field that is a group of settings (None for a plain setting)."""
    annotation = getattr(field, "annotation", None)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _check_environment() -> None:
    """Refuse an ACADEMICHUB_ variable that names no setting: a typo such as ACADEMICHUB_DATABSE_URL
    was ignored, and the install ran on SQLite instead of the PostgreSQL it named. (A group's unknown
    key, ACADEMICHUB_RANKING__MIN_POSTIVES, is refused by the group itself.)"""
    fields = {name.upper(): _group(field) for name, field in Settings.model_fields.items()}
    for name in os.environ:
        if not name.startswith(ENV_PREFIX) or name in _OTHER_NAMES or name.startswith(f"{ENV_PREFIX}TEST_"):
            continue
        first, nested, _ = name.removeprefix(ENV_PREFIX).partition("__")
        if first in fields and (fields[first] is not None or not nested):  # a setting, or a key of a group
            continue
        near = difflib.get_close_matches(
            name, [*(ENV_PREFIX + field for field in fields), *_OTHER_NAMES, *iter_setting_names()], n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ConfigError(f"settings: the environment variable {name} is not a setting{hint}")


def closest_setting(location: tuple[Any, ...]) -> str | None:
    """The setting most like an unknown key at `location` ("ranking.min_postives" → "ranking.min_positives")."""
    model: type[BaseModel] | None = Settings
    for part in location[:-1]:
        model = _group(model.model_fields.get(str(part)))
        if model is None:
            return None
    near = difflib.get_close_matches(str(location[-1]), list(model.model_fields), n=1)
    return ".".join([*map(str, location[:-1]), near[0]]) if near else None


def load_settings(home: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings once; `home` and `overrides` win over the environment and the file."""
    _check_environment()
    kwargs = dict(overrides)
    if home is not None:
        kwargs["home"] = Path(home).expanduser()
    return Settings(**kwargs)


def iter_setting_names(model: type[BaseModel] = Settings, prefix: str = ENV_PREFIX) -> list[str]:
    """List every setting's environment name, nested groups joined with '__'."""
    names: list[str] = []
    for name, field in model.model_fields.items():
        if (group := _group(field)) is not None:
            names.extend(iter_setting_names(group, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names
