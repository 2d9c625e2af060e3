"""Where a radar's digest goes: a channel, a target and a cadence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

CHANNELS = ("email", "feishu", "dingtalk", "wecom", "slack")
CADENCES = ("daily", "weekly")


@dataclass(frozen=True)
class Delivery:
    """One destination of a radar's digest."""

    id: int
    radar_id: int
    channel: str
    target: str
    secret: str | None
    cadence: str
    lang: str
    active: bool
    last_anchor: date | None
    last_sent_at: datetime | None
    last_error: str | None
