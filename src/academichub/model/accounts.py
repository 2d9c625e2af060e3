"""Readers, their radars, what each radar follows, and their API tokens as listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

LOCAL_USER = "local"
DEFAULT_RADAR = "default"


@dataclass(frozen=True)
class User:
    """A reader."""

    id: int
    name: str
    display_name: str
    language: str | None
    is_local: bool


@dataclass(frozen=True)
class Radar:
    """A named set of subscriptions with its own feed."""

    id: int
    user_id: int
    name: str
    is_default: bool
    subs_version: int


@dataclass(frozen=True)
class Subscription:
    """One followed author, keyword, category or venue."""

    id: int
    radar_id: int
    kind: str
    value: str
    value_key: str


@dataclass(frozen=True)
class ApiToken:
    """A personal API token as listed (the token itself is shown once, at creation)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
