"""Sign-up, sign-in (argon2id, rate-limited per name and per address), sessions and tokens."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from academichub.errors import AuthError, InputError, NotFoundError, TooManyAttemptsError
from academichub.model.accounts import User
from academichub.settings import AuthSettings
from academichub.storage.auth import digest
from academichub.storage.store import Store

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}$")
RESERVED = {"local", "admin-api", "anonymous"}


def session_subject(session: str) -> str:
    """Who a signed-in request is, for logs and rate limits: the session's stored form, never the cookie."""
    return "session:" + digest(session)


def check_name(name: str) -> str:
    """A valid user name: 2–63 letters, digits, dot, dash or underscore."""
    if not _NAME.match(name) or name.lower() in RESERVED:
        raise InputError(f"accounts: {name!r} cannot be a user name (2–63 letters, digits, '.', '-', '_')",
                         problem="user-name")
    return name


MAX_PASSWORD = 1000  # the sign-in form's limit: a longer password could be set but never typed in


def check_password(password: str, settings: AuthSettings) -> str:
    """A password long enough to keep, short enough to sign in with, and text."""
    if len(password) < settings.min_password:
        raise InputError(f"accounts: the password needs at least {settings.min_password} characters",
                         problem="password-short")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"accounts: the password is longer than {MAX_PASSWORD} characters", problem="password-long")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # bytes a terminal or pipe gave that are no UTF-8 (read as lone surrogates)
        raise InputError("accounts: the password is not UTF-8 text") from None
    return password


def add_user(store: Store, name: str, password: str, settings: AuthSettings, *, admin: bool = False,
             display_name: str | None = None) -> User:
    """Create a user with a password (and a default radar)."""
    check_name(name)
    hashed = _HASHER.hash(check_password(password, settings))  # before the user exists: never one without it
    if store.accounts.find_user(name) is not None:
        raise InputError(f"accounts: the name {name!r} is taken", problem="user-taken")
    user = store.accounts.create_user(name, display_name or name)
    store.auth.set_password_hash(user.id, hashed, admin=admin)
    store.accounts.default_radar(user.id)
    return user


HOLD = timedelta(seconds=10)  # a claimed attempt's keys wait this long at most for its password check
FORGET_AFTER = timedelta(days=1)  # failures older than this no longer count
NAME_FREE_FAILURES = 10  # failures on a name from all addresses before its attempts wait
NAME_MAX_WAIT = 60.0  # …and never longer than a minute: the rightful reader is slowed, not locked out


def _doubling(free: int, cap_seconds: float) -> Callable[[int], float]:
    """No wait until `free` failures, then 1 s, 2 s, 4 s … up to the cap."""
    return lambda failures: 0.0 if failures < free else min(cap_seconds, 2.0 ** min(failures - free, 30))


def sign_in(store: Store, name: str, password: str, address: str, settings: AuthSettings) -> tuple[User, str]:
    """Check credentials and open a session; (user, session token)."""
    user_id = _checked(store, name, password, address, settings)
    return store.accounts.get_user(user_id), store.auth.create_session(user_id, settings.session_days)


def change_password(store: Store, user: User, current: str, new: str, address: str, settings: AuthSettings, *,
                    session: str | None = None) -> int:
    """Replace a reader's password after checking the current one (throttled as a sign-in is, so a
    stolen session cannot guess it); every other session of theirs ends. How many ended."""
    check_password(new, settings)
    _checked(store, user.name, current, address, settings)
    return store.auth.replace_password(user.id, _HASHER.hash(new), keep_session=session)


def reset_password(store: Store, name: str, new: str, settings: AuthSettings) -> tuple[User, int]:
    """An administrator's reset (the CLI): a new password for a reader, every session of theirs
    ended; (the reader, how many sessions ended)."""
    user = store.accounts.find_user(name)
    if user is None or user.is_local:
        raise NotFoundError(f"accounts: no user {name!r}")
    return user, store.auth.replace_password(user.id, _HASHER.hash(check_password(new, settings)))


def _checked(store: Store, name: str, password: str, address: str, settings: AuthSettings) -> int:
    """The user id of a name and password, or AuthError; TooManyAttemptsError while throttled.

    Throttled by three keys, claimed together in one statement before the password is checked:
    the name from this address (`max_failures` free, then doubling waits up to
    `failure_window_minutes`), the address across names (the same), and the name from anywhere
    (10 free, then waits of at most a minute, so failures others cause cannot lock the reader out).
    """
    cap = settings.failure_window_minutes * 60
    keys = {f"name:{name.lower()}|ip:{address}": _doubling(settings.max_failures, cap),
            f"ip:{address}": _doubling(settings.max_failures * 4, cap),
            f"name:{name.lower()}": _doubling(NAME_FREE_FAILURES, NAME_MAX_WAIT)}
    wait = store.auth.take_turn(list(keys), HOLD)
    if wait is not None:
        raise TooManyAttemptsError(f"accounts: too many sign-in attempts; try again in {wait:.0f} s",
                                   retry_after=wait)
    found = store.auth.credentials(name)
    try:
        if found is None or found[1] is None:
            _HASHER.verify(_dummy_hash(), password)  # same work as a real check: no timing hint of unknown names
            raise VerificationError
        _HASHER.verify(found[1], password)
    except (VerificationError, InvalidHashError):
        store.auth.record_failure(keys, FORGET_AFTER)
        raise AuthError("accounts: wrong user name or password") from None
    except BaseException:
        store.auth.release(list(keys))
        raise
    user_id, stored, _admin = found
    store.auth.release(list(keys), forget=[k for k in keys if k.startswith("name:")])
    if _HASHER.check_needs_rehash(stored):
        store.auth.set_password_hash(user_id, _HASHER.hash(password))
    return user_id


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown names (made on first use: hashing is deliberately slow)."""
    return _HASHER.hash("not a password anyone has")
