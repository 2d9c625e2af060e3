"""Following and unfollowing authors, keywords, categories and venues on a radar."""

from __future__ import annotations

import re

from academichub.errors import InputError
from academichub.ingest.normalise import clean_line, name_key
from academichub.search.query import parse
from academichub.storage.accounts import Subscription
from academichub.storage.store import Store

KINDS: tuple[str, ...] = ("author", "keyword", "category", "venue")
_CATEGORY = re.compile(r"^([a-z]+(?:-[a-z]+)?)(?:\.([a-z]+(?:-[a-z]+)?))?$", re.IGNORECASE)
_LOWER_SUBJECT_ARCHIVES = {"physics", "cond-mat"}
MAX_VALUE = 200


def normalise_category(value: str) -> str:
    """Spell a category as arXiv does: "cs.cl" -> "cs.CL", "physics.OPTICS" -> "physics.optics"."""
    match = _CATEGORY.match(value.strip())
    if not match:
        raise InputError(f"radar: {value!r} is not an arXiv category (e.g. cs.CL, astro-ph.GA, hep-th)")
    archive, subject = match.group(1).lower(), match.group(2)
    if not subject:
        return archive
    lower = archive in _LOWER_SUBJECT_ARCHIVES or "-" in subject
    return f"{archive}.{subject.lower() if lower else subject.upper()}"


def normalise(kind: str, value: str) -> tuple[str, str]:
    """Validate a subscription and return (display value, match key)."""
    if kind not in KINDS:
        raise InputError(f"radar: unknown subscription kind {kind!r}; use one of {', '.join(KINDS)}")
    value = clean_line(value)
    if not value:
        raise InputError(f"radar: an empty {kind} cannot be followed")
    if len(value) > MAX_VALUE:
        raise InputError(f"radar: a {kind} is at most {MAX_VALUE} characters")
    if kind == "author":
        key = name_key(value)
        if not key:
            raise InputError(f"radar: {value!r} has no letters to match an author by")
        return value, key
    if kind == "category":
        value = normalise_category(value)
        return value, value.casefold()
    if kind == "keyword":
        parse(value)  # a keyword is a query (search.query): refuse one that does not parse
    return value, value.casefold()


def follow(store: Store, radar_id: int, kind: str, value: str) -> Subscription:
    """Add a subscription (idempotent)."""
    display, key = normalise(kind, value)
    return store.accounts.add_subscription(radar_id, kind, display, key)


def unfollow(store: Store, radar_id: int, kind: str, value: str) -> Subscription:
    """Remove the subscription that matches kind and value."""
    _, key = normalise(kind, value)
    for sub in store.accounts.subscriptions(radar_id):
        if sub.kind == kind and sub.value_key == key:
            return store.accounts.remove_subscription(radar_id, sub.id)
    raise InputError(f"radar: not following {kind} {value!r}")
