"""A reader's deliveries as web and CLI manage them: checked before they are kept, owned, and
switched off by their unsubscribe link."""

from __future__ import annotations

import hmac

from academichub.delivery.service import check, unsubscribe_token
from academichub.errors import InputError, NotFoundError
from academichub.model.accounts import Radar
from academichub.model.delivery import Delivery
from academichub.settings import DeliverySettings
from academichub.storage.store import Store

LANGS = ("zh", "en")


class Deliveries:
    """The deliveries of one store."""

    def __init__(self, store: Store, settings: DeliverySettings) -> None:
        self._deliveries = store.deliveries
        self._settings = settings

    def add(self, radar: Radar, channel: str, target: str, *, secret: str | None = None, cadence: str = "daily",
            lang: str = "zh") -> Delivery:
        """A new delivery of a radar's digest, refused (nothing kept) when it cannot work, points
        inside the network or names a language other than zh or en (`--lang de` was kept as zh)."""
        target = target.strip()
        check(channel, target, cadence, secret, self._settings.allow_networks)
        if lang not in LANGS:
            raise InputError(f"delivery: the language must be zh or en, got {lang!r}")
        return self._deliveries.add(radar.id, channel, target, secret=secret, cadence=cadence, lang=lang)

    def of_user(self, user_id: int) -> list[Delivery]:
        """Every delivery of the reader's radars."""
        return self._deliveries.of_user(user_id)

    def of(self, user_id: int, delivery_id: int) -> Delivery:
        """One of the reader's deliveries (anyone else's is not found)."""
        return self._deliveries.of(user_id, delivery_id)

    def remove(self, user_id: int, delivery_id: int) -> Delivery:
        """Stop and delete one of the reader's deliveries."""
        delivery = self._deliveries.of(user_id, delivery_id)
        if not self._deliveries.remove(delivery.id):  # removed by another request meanwhile
            raise NotFoundError(f"deliveries: no delivery {delivery_id}")
        return delivery

    def by_link(self, secret: bytes, delivery_id: int, token: str) -> Delivery:
        """The delivery an unsubscribe link names, if its token is the one this install signed."""
        delivery = self._deliveries.get(delivery_id)
        if delivery is None or not hmac.compare_digest(unsubscribe_token(secret, delivery_id), token):
            raise NotFoundError("unsubscribe: this link is not valid (the delivery may have been removed)")
        return delivery

    def switch_off(self, delivery: Delivery) -> None:
        """Stop sending a delivery (kept, so the reader can see what was switched off)."""
        self._deliveries.set_active(delivery.id, False)
