"""Delivering digests: when each delivery is due, building its digest, sending it, recording the outcome."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import httpx

from academichub.briefing.service import BriefingService
from academichub.delivery import email, webhooks
from academichub.delivery.digest import Digest, build_digest
from academichub.errors import AcademicHubError, InputError
from academichub.model.delivery import CADENCES, CHANNELS, Delivery
from academichub.outbound import OutboundGuard
from academichub.radar.feed import FeedService
from academichub.settings import Settings

log = logging.getLogger(__name__)
_EMAIL = __import__("re").compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def unsubscribe_token(secret: bytes, delivery_id: int) -> str:
    """The token of a delivery's unsubscribe link (derived, so every message carries a working one)."""
    return hmac.new(secret, f"unsubscribe:{delivery_id}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(settings: Settings, secret: bytes, delivery_id: int) -> str:
    """The one-click unsubscribe link of a delivery."""
    return f"{settings.base_url}/unsubscribe/{delivery_id}/{unsubscribe_token(secret, delivery_id)}"


def check(channel: str, target: str, cadence: str, secret: str | None, allow: Sequence[str] = ()) -> None:
    """Refuse a delivery that cannot work or points inside the network, naming what is wrong
    (a host name is resolved and checked again on every post: see academichub.outbound)."""
    if channel not in CHANNELS:
        raise InputError(f"delivery: unknown channel {channel!r}; use {', '.join(CHANNELS)}", problem="channel")
    if cadence not in CADENCES:
        raise InputError(f"delivery: cadence must be daily or weekly, got {cadence!r}", problem="cadence")
    if channel == "email" and not (_EMAIL.match(target) and target.isprintable()):  # no control character in a header
        raise InputError(f"delivery: {target!r} is not an e-mail address", problem="email")
    if channel != "email" and not target.startswith(("https://", "http://")):
        raise InputError(f"delivery: a {channel} webhook needs its URL (https://…), got {target!r}", problem="url")
    if secret and not secret.isprintable():  # a control character (PostgreSQL refused a NUL with a 500)
        raise InputError("delivery: the secret holds a control character; paste it again as the service shows it",
                         problem="secret")
    if channel != "email":
        try:
            OutboundGuard(allow).check_url(target)
        except InputError as exc:
            raise InputError(f"delivery: {exc}".replace("outbound: ", ""), problem="outbound") from None
    if secret and channel in ("wecom", "slack"):
        raise InputError(f"delivery: {channel} webhooks are not signed; leave the secret empty", problem="unsigned")


def is_due(delivery: Delivery, newest: date | None) -> bool:
    """Whether a delivery has something new: a newer announcement day (daily) or a week since (weekly)."""
    if newest is None:
        return False
    if delivery.last_anchor is None:
        return True
    gap = timedelta(days=7 if delivery.cadence == "weekly" else 1)
    return newest >= delivery.last_anchor + gap


class DeliveryService:
    """Sends digests for radars."""

    def __init__(self, settings: Settings, secret: bytes, feed: FeedService, *, briefing: BriefingService | None = None,
                 transport: httpx.BaseTransport | None = None, sleep=time.sleep) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.secret = secret
        self.feed = feed
        self.store = feed.store
        # The digest's briefing part, when the settings ask for one (the composition root passes it).
        self.briefings = briefing if settings.delivery.briefing else None
        self.transport = transport
        self.sleep = sleep

    def send(self, delivery: Delivery, *, test: bool = False) -> Digest:
        """Build and send one delivery's digest now; a failure is recorded and raised."""
        radar = self.store.accounts.get_radar(delivery.radar_id)
        digest = build_digest(self.feed, self.briefings, radar, cadence=delivery.cadence, lang=delivery.lang,
                              papers=self.settings.delivery.papers, base_url=self.settings.base_url)
        if test:
            digest.title = ("[测试] " if delivery.lang == "zh" else "[test] ") + digest.title
        try:
            if delivery.channel == "email":
                message = email.compose(digest, sender=self.settings.smtp.sender, to=delivery.target,
                                        unsubscribe_url=unsubscribe_url(self.settings, self.secret, delivery.id))
                email.send(self.settings.smtp, message)
            else:
                webhooks.post(delivery.channel, delivery.target, digest, delivery.secret, self.settings.delivery,
                              transport=self.transport, sleep=self.sleep)
        except AcademicHubError as exc:
            self.store.deliveries.failed(delivery.id, str(exc))
            raise
        anchor = date.fromisoformat(digest.anchor) if digest.anchor and not test else None
        self.store.deliveries.sent(delivery.id, anchor)
        return digest

    def run_due(self) -> list[dict[str, Any]]:
        """Send every active delivery that is due; one failing does not stop the others."""
        newest = self.store.works.latest_feed_dates(1)
        results = []
        for delivery in self.store.deliveries.active():
            if not is_due(delivery, newest[0] if newest else None):
                continue
            try:
                digest = self.send(delivery)
                results.append({"id": delivery.id, "channel": delivery.channel, "ok": True, "papers": len(digest.items)})
            except AcademicHubError as exc:
                log.warning("delivery %s failed: %s", delivery.id, exc)
                results.append({"id": delivery.id, "channel": delivery.channel, "ok": False, "error": str(exc)})
        return results
