"""Sign-up, sign-in (argon2id, rate-limited per name and per address), sessions and tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from academichub.errors import AuthError, InputError, TooManyAttemptsError
from academichub.settings import AuthSettings
from academichub.storage.accounts import User
from academichub.storage.store import Store

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}$")
RESERVED = {"local", "admin-api", "anonymous"}


def check_name(name: str) -> str:
    """A valid user name: 2–63 letters, digits, dot, dash or underscore."""
    if not _NAME.match(name) or name.lower() in RESERVED:
        raise InputError(f"accounts: {name!r} cannot be a user name (2–63 letters, digits, '.', '-', '_')")
    return name


def check_password(password: str, settings: AuthSettings) -> str:
    """A password long enough to keep."""
    if len(password) < settings.min_password:
        raise InputError(f"accounts: the password needs at least {settings.min_password} characters")
    return password


def add_user(store: Store, name: str, password: str, settings: AuthSettings, *, admin: bool = False,
             display_name: str | None = None) -> User:
    """Create a user with a password (and a default radar)."""
    check_name(name)
    check_password(password, settings)
    if store.accounts.find_user(name) is not None:
        raise InputError(f"accounts: the name {name!r} is taken")
    user = store.accounts.create_user(name, display_name or name)
    store.auth.set_password_hash(user.id, _HASHER.hash(password), admin=admin)
    store.accounts.default_radar(user.id)
    return user


def sign_in(store: Store, name: str, password: str, address: str, settings: AuthSettings) -> tuple[User, str]:
    """Check credentials and open a session; (user, session token)."""
    keys = (f"user:{name.lower()}", f"ip:{address}")
    since = datetime.now(UTC) - timedelta(minutes=settings.failure_window_minutes)
    if any(store.auth.failures_since(key, since) >= settings.max_failures for key in keys):
        raise TooManyAttemptsError(f"accounts: too many failed sign-ins; try again in "
                              f"{settings.failure_window_minutes:g} minutes")
    found = store.auth.credentials(name)
    try:
        if found is None or found[1] is None:
            _HASHER.verify(_dummy_hash(), password)  # same work as a real check: no timing hint of unknown names
            raise VerificationError
        _HASHER.verify(found[1], password)
    except (VerificationError, InvalidHashError):
        store.auth.record_failure(*keys)
        raise AuthError("accounts: wrong user name or password") from None
    user_id, stored, _admin = found
    if _HASHER.check_needs_rehash(stored):
        store.auth.set_password_hash(user_id, _HASHER.hash(password))
    store.auth.clear_failures(keys[0])
    return store.accounts.get_user(user_id), store.auth.create_session(user_id, settings.session_days)


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown names (made on first use: hashing is deliberately slow)."""
    return _HASHER.hash("not a password anyone has")
