"""Readers, their radars and chips, and their credentials: what web and CLI ask of accounts.

Web and CLI hold one `Accounts` over the store and never reach its repositories: ownership is
checked here (a radar, token or feed URL of another reader is not found), and a request's
credential (an API token or a session cookie) becomes a reader in one call.
"""

from __future__ import annotations

from academichub.errors import NotFoundError
from academichub.keys import clean_line
from academichub.model.accounts import ApiToken, Radar, Subscription, User
from academichub.storage.store import Store


def token_name(name: str) -> str:
    """A token's label as it is kept: one line, no control characters, at most 200 characters."""
    return clean_line(name)[:200]


class Accounts:
    """The account operations of one store."""

    def __init__(self, store: Store) -> None:
        self._accounts = store.accounts
        self._auth = store.auth
        self._feed_state = store.feed_state

    # -- readers ---------------------------------------------------------------------------------

    def local_reader(self) -> tuple[User, Radar]:
        """The install's own reader (local mode) and their default radar, made on first use."""
        return self._accounts.ensure_local_user()

    def reader(self, user_id: int) -> User:
        """A reader by id."""
        return self._accounts.get_user(user_id)

    def find_reader(self, name: str) -> User | None:
        """A reader by name, if there is one."""
        return self._accounts.find_user(name)

    def readers(self) -> list[User]:
        """Every reader of the install."""
        return self._accounts.users()

    def delete_reader(self, user_id: int) -> None:
        """Delete a reader and all that is theirs (not the last administrator)."""
        if not self._accounts.delete_user(user_id):
            raise NotFoundError(f"accounts: no user {user_id}")

    def is_admin(self, user_id: int) -> bool:
        """Whether the reader administers the install."""
        return self._auth.is_admin(user_id)

    def with_passwords(self) -> list[str]:
        """Names of the readers that sign in with a password (what an open bind would expose)."""
        return self._auth.protected_users()

    def set_language(self, user_id: int, language: str | None) -> None:
        """The reader's interface language (None: as the browser asks)."""
        self._accounts.set_language(user_id, language)

    # -- credentials -------------------------------------------------------------------------------

    def bearer(self, token: str) -> User | None:
        """The reader a live API token belongs to."""
        user_id = self._auth.api_token_user(token)
        return None if user_id is None else self._accounts.get_user(user_id)

    def signed_in(self, session: str) -> User | None:
        """The reader a live session belongs to."""
        user_id = self._auth.session_user(session)
        return None if user_id is None else self._accounts.get_user(user_id)

    def sign_out(self, session: str) -> None:
        """End a session."""
        self._auth.end_session(session)

    def api_tokens(self, user_id: int) -> list[ApiToken]:
        """The reader's API tokens (never the tokens themselves)."""
        return self._auth.api_tokens(user_id)

    def new_api_token(self, user_id: int, name: str) -> str:
        """A new API token for the reader, returned once."""
        return self._auth.create_api_token(user_id, token_name(name))

    def revoke_api_token(self, user_id: int, token_id: int) -> None:
        """Revoke one of the reader's live tokens (another's, or a revoked one, is not found)."""
        if not self._auth.revoke_api_token(user_id, token_id):
            raise NotFoundError(f"tokens: no live token {token_id}")

    def new_feed_token(self, user_id: int, radar_id: int) -> str:
        """A new private feed URL token for one of the reader's radars (the old one stops working)."""
        return self._auth.create_feed_token(self.radar_of(user_id, radar_id).id)

    def revoke_feed_tokens(self, user_id: int, radar_id: int) -> None:
        """Revoke the private feed URLs of one of the reader's radars."""
        self._auth.revoke_feed_tokens(self.radar_of(user_id, radar_id).id)

    def has_feed_token(self, radar_id: int) -> bool:
        """Whether a radar has a live private feed URL."""
        return self._auth.has_feed_token(radar_id)

    def feed_radar(self, token: str) -> Radar:
        """The radar a private feed URL shows."""
        radar_id = self._auth.feed_token_radar(token)
        if radar_id is None:
            raise NotFoundError("feeds: no such feed (the link may have been revoked)")
        return self._accounts.get_radar(radar_id)

    # -- radars and chips --------------------------------------------------------------------------

    def radars(self, user_id: int) -> list[Radar]:
        """The reader's radars, the default first."""
        return self._accounts.radars(user_id)

    def default_radar(self, user_id: int) -> Radar:
        """The reader's default radar, made on first use."""
        return self._accounts.default_radar(user_id)

    def radar_of(self, user_id: int, radar_id: int) -> Radar:
        """One of the reader's radars (another reader's is not found)."""
        return self._accounts.radar_of(user_id, radar_id)

    def find_radar(self, user_id: int, name_or_id: str | None) -> Radar:
        """One of the reader's radars by name or id (None: the default)."""
        return self._accounts.find_radar(user_id, name_or_id)

    def radar(self, radar_id: int) -> Radar:
        """A radar by id, whoever's it is (for what is already bound to it, such as a stored briefing)."""
        return self._accounts.get_radar(radar_id)

    def new_radar(self, user_id: int, name: str) -> Radar:
        """A new radar for the reader."""
        return self._accounts.create_radar(user_id, name)

    def delete_radar(self, user_id: int, radar_id: int) -> None:
        """Delete one of the reader's radars with its batches and claims, which on SQLite are kept in
        a file of their own, where deleting the radar cascades to nothing."""
        self._accounts.deletable_radar(user_id, radar_id)
        self._feed_state.forget(radar_id)
        self._accounts.delete_radar(user_id, radar_id)
        # A 换一批 that found the radar before it went may have recorded its batch since: forgotten
        # too, or a new radar given the same id (SQLite reuses the highest) would start with it.
        # One begun after the delete finds no radar (storage.locks.lock_radar).
        self._feed_state.forget(radar_id)

    def chips(self, radar_id: int) -> list[Subscription]:
        """What a radar follows."""
        return self._accounts.subscriptions(radar_id)

    def unfollow(self, radar_id: int, subscription_id: int) -> Subscription:
        """Remove one chip from a radar."""
        return self._accounts.remove_subscription(radar_id, subscription_id)
