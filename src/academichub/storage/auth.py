"""SQL for passwords, sessions, API tokens, private feed tokens and sign-in throttling.

Every secret a client holds (session cookie, API token, feed URL token) is stored only as its
sha256, so the database alone grants nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from academichub.model.accounts import ApiToken
from academichub.storage import upsert
from academichub.storage.accounts import user_row
from academichub.storage.engine import reading, write_transaction
from academichub.storage.locks import lock_radar, lock_row, refuse_at_limit
from academichub.storage.schema import api_tokens, feed_tokens, login_throttle, sessions, users

TOKEN_PREFIX = "ahk_"
MAX_LIVE_TOKENS = 50  # a reader's live API tokens: each is listed on the account page
FEED_PREFIX = "ahf_"


def digest(token: str) -> str:
    """The stored form of a client-held secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class _Wait(Exception):
    """A sign-in attempt found a key still waiting (carries until when)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


def _insert_ignore(conn: Connection) -> sa.Insert:
    """INSERT … ON CONFLICT DO NOTHING into login_throttle, in the connection's dialect."""
    return upsert.insert(conn, login_throttle).on_conflict_do_nothing()


class AuthRepo:
    """Credentials and their checks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set_password_hash(self, user_id: int, password_hash: str, *, admin: bool | None = None) -> None:
        """Store a user's password hash (and admin flag when given)."""
        values: dict = {"password_hash": password_hash}
        if admin is not None:
            values["is_admin"] = admin
        with self.engine.begin() as conn:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))

    def credentials(self, name: str) -> tuple[int, str | None, bool] | None:
        """(user id, password hash, is admin) of a user name, in any case ("Ada" signs "ada" in)."""
        with reading(self.engine) as conn:
            row = user_row(conn, name, users.c.id, users.c.password_hash, users.c.is_admin)
        return (row.id, row.password_hash, bool(row.is_admin)) if row else None

    def protected_users(self) -> list[str]:
        """Names of the users a password or a live API token is meant to protect (none in local mode).

        The local reader's own tokens protect nothing another reader has: local mode serves that
        reader's data to whoever reaches it anyway. Counting them made a token created on the
        local-mode account page stop the next start of the same install."""
        with reading(self.engine) as conn:
            tokens = sa.select(api_tokens.c.user_id).where(api_tokens.c.revoked_at.is_(None))
            return list(conn.execute(sa.select(users.c.name).where(
                sa.or_(users.c.password_hash.is_not(None), sa.and_(users.c.id.in_(tokens), users.c.is_local.is_(False))))
                .order_by(users.c.name)).scalars())

    def is_admin(self, user_id: int) -> bool:
        """Whether a user administers the install."""
        with reading(self.engine) as conn:
            return bool(conn.execute(sa.select(users.c.is_admin).where(users.c.id == user_id)).scalar())

    # Sessions -----------------------------------------------------------------------------------
    def create_session(self, user_id: int, days: float) -> str:
        """A new session for a user; returns the cookie token."""
        token = secrets.token_urlsafe(32)
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(sa.insert(sessions).values(token_hash=digest(token), user_id=user_id, created_at=now,
                                                    expires_at=now + timedelta(days=days)))
            conn.execute(sa.delete(sessions).where(sessions.c.expires_at < now))  # sweep expired ones
        return token

    def session_user(self, token: str) -> int | None:
        """The user id of a live session."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(sessions.c.user_id, sessions.c.expires_at)
                               .where(sessions.c.token_hash == digest(token))).first()
        return row.user_id if row and row.expires_at > _now() else None

    def replace_password(self, user_id: int, password_hash: str, *, keep_session: str | None = None) -> int:
        """A new password hash, and every session of the user ended but `keep_session` (the one
        that changed it), in one transaction; how many ended."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))
            ended = sa.delete(sessions).where(sessions.c.user_id == user_id)
            if keep_session is not None:
                ended = ended.where(sessions.c.token_hash != digest(keep_session))
            return conn.execute(ended).rowcount

    def end_session(self, token: str) -> None:
        """Sign a session out."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.token_hash == digest(token)))

    # API tokens ---------------------------------------------------------------------------------
    def create_api_token(self, user_id: int, name: str, *, limit: int = MAX_LIVE_TOKENS) -> str:
        """A new personal API token (returned once; only its hash is kept); at most `limit` live
        ones a user, counted under the user's row lock."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self.engine) as conn:
            lock_row(conn, users.c.id, user_id)
            refuse_at_limit(conn, api_tokens, limit, f"tokens: at most {limit} live API tokens; revoke one first",
                            api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
            conn.execute(sa.insert(api_tokens).values(user_id=user_id, name=name,  # kept as auth.token_name made it
                                                      token_hash=digest(token), prefix=token[:10], created_at=_now()))
        return token

    def api_tokens(self, user_id: int) -> list[ApiToken]:
        """A user's tokens, newest first."""
        query = sa.select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id.desc())
        with reading(self.engine) as conn:
            return [ApiToken(r.id, r.name, r.prefix, r.created_at, r.last_used_at, r.revoked_at is not None)
                    for r in conn.execute(query)]

    def revoke_api_token(self, user_id: int, token_id: int) -> bool:
        """Revoke one of a user's tokens; whether it was theirs and live."""
        with self.engine.begin() as conn:
            return conn.execute(sa.update(api_tokens).where(
                api_tokens.c.id == token_id, api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=_now())).rowcount > 0

    def api_token_user(self, token: str) -> int | None:
        """The user of a live API token (and note its use)."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(api_tokens.c.id, api_tokens.c.user_id).where(
                api_tokens.c.token_hash == digest(token), api_tokens.c.revoked_at.is_(None))).first()
            if row is None:
                return None
            conn.execute(sa.update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=_now()))
        return row.user_id

    # Private feed URLs --------------------------------------------------------------------------
    def create_feed_token(self, radar_id: int) -> str:
        """A new private feed token for a radar, revoking the radar's earlier ones."""
        token = FEED_PREFIX + secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            # Two made at once wait for each other here (PostgreSQL; SQLite has one writer), so the
            # second revokes the first: each revoked only what it saw, and both stayed live.
            lock_radar(conn, radar_id)
            conn.execute(sa.update(feed_tokens).where(feed_tokens.c.radar_id == radar_id,
                                                      feed_tokens.c.revoked_at.is_(None)).values(revoked_at=_now()))
            conn.execute(sa.insert(feed_tokens).values(radar_id=radar_id, token_hash=digest(token), created_at=_now()))
        return token

    def revoke_feed_tokens(self, radar_id: int) -> int:
        """Revoke a radar's feed URLs; how many."""
        with self.engine.begin() as conn:
            return conn.execute(sa.update(feed_tokens).where(feed_tokens.c.radar_id == radar_id,
                                                             feed_tokens.c.revoked_at.is_(None))
                                .values(revoked_at=_now())).rowcount

    def has_feed_token(self, radar_id: int) -> bool:
        """Whether a radar has a live feed URL."""
        with reading(self.engine) as conn:
            return conn.execute(sa.select(sa.func.count()).where(
                feed_tokens.c.radar_id == radar_id, feed_tokens.c.revoked_at.is_(None))).scalar() > 0

    def feed_token_radar(self, token: str) -> int | None:
        """The radar of a live feed token."""
        with reading(self.engine) as conn:
            return conn.execute(sa.select(feed_tokens.c.radar_id).where(
                feed_tokens.c.token_hash == digest(token), feed_tokens.c.revoked_at.is_(None))).scalar()

    # Sign-in throttling ------------------------------------------------------------------------
    def take_turn(self, keys: Sequence[str], hold: timedelta) -> float | None:
        """Claim the next sign-in attempt for every key at once, or say how many seconds to wait.

        One UPDATE claims all the keys whose time has come; if it claimed fewer than all, the
        transaction is rolled back and nothing is held. A claim holds the keys for `hold` (the
        password check's time), so concurrent attempts cannot all pass a count read before any
        of them failed."""
        keys = [k[:300] for k in keys]
        now = _now()
        try:
            with write_transaction(self.engine) as conn:
                found = dict(conn.execute(sa.select(login_throttle.c.key, login_throttle.c.blocked_until)
                                          .where(login_throttle.c.key.in_(keys))).all())
                waiting = [until for until in found.values() if until > now]
                if waiting:
                    raise _Wait(max(waiting))
                if missing := [k for k in keys if k not in found]:
                    conn.execute(_insert_ignore(conn), [{"key": k, "failures": 0, "blocked_until": now - timedelta(seconds=1)}
                                                        for k in missing])
                # The claim itself: only rows still free when it runs (a concurrent attempt's claim
                # makes this one match fewer rows, and it is rolled back).
                claimed = conn.execute(sa.update(login_throttle)
                                       .where(login_throttle.c.key.in_(keys), login_throttle.c.blocked_until <= now)
                                       .values(blocked_until=now + hold)).rowcount
                if claimed == len(keys):
                    return None
                raise _Wait(now + timedelta(seconds=1))  # rolls the partial claim back
        except _Wait as wait:
            return max(1.0, (wait.until - now).total_seconds())

    def record_failure(self, delays: dict[str, Callable[[int], float]], forget_after: timedelta) -> None:
        """Count a failed attempt against each key and set when its next may start (delay by count)."""
        now = _now()
        with write_transaction(self.engine) as conn:
            for key, delay in delays.items():
                row = conn.execute(sa.select(login_throttle.c.failures, login_throttle.c.last_failure_at)
                                   .where(login_throttle.c.key == key[:300])).first()
                stale = row is None or row.last_failure_at is None or row.last_failure_at < now - forget_after
                failures = 1 if stale else row.failures + 1
                conn.execute(sa.update(login_throttle).where(login_throttle.c.key == key[:300]).values(
                    failures=failures, last_failure_at=now, blocked_until=now + timedelta(seconds=delay(failures))))

    def release(self, keys: Sequence[str], *, forget: Sequence[str] = ()) -> None:
        """End the hold on these keys (after a successful sign-in) and forget the failures of some."""
        now = _now()
        with write_transaction(self.engine) as conn:
            conn.execute(sa.update(login_throttle).where(login_throttle.c.key.in_([k[:300] for k in keys]))
                         .values(blocked_until=now))
            if forget:
                conn.execute(sa.update(login_throttle).where(login_throttle.c.key.in_([k[:300] for k in forget]))
                             .values(failures=0, last_failure_at=None))
