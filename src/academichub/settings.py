"""Typed settings, built once from defaults, the settings file, the environment and the CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "ACADEMICHUB_"
SETTINGS_FILE_NAME = "settings.toml"


def default_home() -> Path:
    """Return the per-user data directory used when neither --home nor ACADEMICHUB_HOME is set."""
    return Path(platformdirs.user_data_dir("academichub", appauthor=False))


class HttpSettings(BaseModel):
    """How AcademicHub talks to remote sources."""

    timeout: float = Field(30.0, gt=0, description="Seconds before a request times out.")
    retries: int = Field(4, ge=0, le=10, description="Retries on timeouts, 429 and 5xx.")
    backoff: float = Field(2.0, ge=0, description="First retry delay in seconds (doubles, with jitter).")
    max_bytes: int = Field(50_000_000, gt=0, description="Largest response body accepted.")
    contact_email: str = Field("", description="E-mail sent in the User-Agent (polite pools).")


class ArxivSettings(BaseModel):
    """Endpoints and politeness for arXiv's three doors."""

    listing_url: str = Field("https://rss.arxiv.org", description="Base of the daily RSS/Atom listings.")
    api_url: str = Field("https://export.arxiv.org/api/query", description="Query API endpoint.")
    oai_url: str = Field("https://oaipmh.arxiv.org/oai", description="OAI-PMH endpoint.")
    min_interval: float = Field(3.0, ge=0, description="Seconds between two requests (arXiv asks 3).")
    page_size: int = Field(100, ge=1, le=2000, description="Records per query API page.")
    categories: list[str] = Field(
        default_factory=lambda: ["cs.AI", "cs.CL", "cs.CV", "cs.LG"],
        description="Categories fetched by the daily schedule and `ingest arxiv` by default.",
    )


class SourcesSettings(BaseModel):
    """Settings of every source."""

    http: HttpSettings = Field(default_factory=HttpSettings)
    arxiv: ArxivSettings = Field(default_factory=ArxivSettings)


class FeedSettings(BaseModel):
    """How the feed picks and batches papers."""

    batch_size: int = Field(10, ge=1, le=200, description="Papers per batch (换一批 shows the next).")
    recent_days: int = Field(
        5, ge=1, le=60, description="Announcement days in the default 'recent' period."
    )
    author_lookback_days: int = Field(
        365, ge=0, description="Unseen papers of followed authors are shown back this many days."
    )


class ScheduleSettings(BaseModel):
    """The embedded daily scheduler started by `academichub up`."""

    enabled: bool = Field(True, description="Run the daily arXiv fetch inside `up`.")
    arxiv_at: str = Field("20:30", description="Local time of the daily arXiv fetch (HH:MM).")
    timezone: str = Field("America/New_York", description="Time zone of arxiv_at (arXiv announces 20:00 ET).")

    @field_validator("arxiv_at")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"schedule: arxiv_at must be HH:MM, got {value!r}")
        return value


class Settings(BaseSettings):
    """Everything configurable; env names are ACADEMICHUB_<FIELD> and ACADEMICHUB_<GROUP>__<FIELD>."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    home: Path = Field(default_factory=default_home, description="Data directory holding all state.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is the SQLite file in the data directory."
    )
    host: str = Field("127.0.0.1", description="Address the web server binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port the web server listens on.")
    language: Literal["zh", "en"] = Field("zh", description="Default interface language.")
    secret_key: SecretStr | None = Field(
        None, description="Signs CSRF tokens; generated into the data directory when unset."
    )
    feed: FeedSettings = Field(default_factory=FeedSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

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
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @property
    def db_url(self) -> str:
        """The database URL actually used."""
        return self.database_url or f"sqlite:///{self.home / 'academichub.db'}"

    @property
    def index_dir(self) -> Path:
        """Where the tantivy full-text index lives."""
        return self.home / "index"


def load_settings(home: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings once; `home` and `overrides` win over the environment and the file."""
    kwargs = dict(overrides)
    if home is not None:
        kwargs["home"] = Path(home).expanduser()
    return Settings(**kwargs)


def iter_setting_names(model: type[BaseModel] = Settings, prefix: str = ENV_PREFIX) -> list[str]:
    """List every setting's environment name, nested groups joined with '__'."""
    names: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(iter_setting_names(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names
