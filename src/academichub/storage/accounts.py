"""Users, their radars and the radars' subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from academichub.errors import InputError, NotFoundError
from academichub.keys import clean_line
from academichub.limits import ROW_ID_MAX
from academichub.model.accounts import DEFAULT_RADAR, LOCAL_USER, Radar, Subscription, User
from academichub.storage import upsert
from academichub.storage.board import BoardMemo, radar_slot, user_slot
from academichub.storage.engine import board_of, reading, touch, write_transaction
from academichub.storage.locks import lock_radar, lock_row, refuse_at_limit, serialise
from academichub.storage.schema import radars, subscriptions, users


def user_row(conn: Connection, name: str, *columns: sa.ColumnElement) -> sa.Row | None:
    """These columns of the user named `name` in any case ("Ada" is "ada": names are one whatever
    their case), the exact spelling first where names older than that rule differ only in case."""
    row = conn.execute(sa.select(*columns).where(users.c.name == name)).first()
    if row is None:
        rows = conn.execute(sa.select(*columns).where(sa.func.lower(users.c.name) == name.lower()).limit(2)).all()
        row = rows[0] if len(rows) == 1 else None
    return row


# Radars one reader may have: every page lists them in its radar menu, and 2,000 made each page
# 180 KB (35 KB with one).
MAX_RADARS = 100
_SIGN_UPS = 0x5349474E  # the advisory lock key sign-ups take on PostgreSQL ("SIGN")


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: sa.Row) -> User:
    return User(row.id, row.name, row.display_name, row.language, row.is_local)


def _radar(row: sa.Row) -> Radar:
    return Radar(row.id, row.user_id, row.name, row.is_default, row.subs_version)


def _subscription(row: sa.Row) -> Subscription:
    return Subscription(row.id, row.radar_id, row.kind, row.value, row.value_key)


# Read on every request: built once (building a statement costs more than running it), and
# only the columns a Radar holds (no timestamps to parse).
_RADARS_OF = (sa.select(radars.c.id, radars.c.user_id, radars.c.name, radars.c.is_default, radars.c.subs_version)
              .where(radars.c.user_id == sa.bindparam("user")).order_by(radars.c.is_default.desc(), radars.c.id))

_SUBSCRIPTIONS_OF = (sa.select(subscriptions.c.id, subscriptions.c.radar_id, subscriptions.c.kind, subscriptions.c.value,
                               subscriptions.c.value_key)
                     .where(subscriptions.c.radar_id == sa.bindparam("radar")).order_by(subscriptions.c.id))


class AccountRepo:
    """SQL for users, radars and subscriptions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.board = board_of(engine)
        self._radars = BoardMemo()  # a reader's radars, by user id
        self._radar = BoardMemo()  # one radar, and its subscriptions, by radar id

    def ensure_local_user(self) -> tuple[User, Radar]:
        """The single local user and their default radar, created on first use."""
        user = self.find_user(LOCAL_USER) or self.create_user(LOCAL_USER, "Local reader", is_local=True, exist_ok=True)
        return user, self.default_radar(user.id)

    def find_user(self, name: str) -> User | None:
        """A user by name (in any case: see user_row), or None."""
        with reading(self.engine) as conn:
            row = user_row(conn, name, *users.c)
        return _user(row) if row else None

    def create_user(self, name: str, display_name: str, *, is_local: bool = False, exist_ok: bool = False) -> User:
        """Create a user. A name taken meanwhile (by a concurrent process), in any case ("Ada" when
        "ada" exists: another reader could pass for them), is refused, or with `exist_ok` returned:
        two sign-ups of one name must not both get the account, the second then setting its
        password on the first one's."""
        try:
            with write_transaction(self.engine) as conn:
                serialise(conn, _SIGN_UPS)  # the check below and the insert, one sign-up at a time
                taken = conn.execute(sa.select(users.c.id).where(sa.func.lower(users.c.name) == name.lower())
                                     .limit(1)).scalar() is not None
                if not taken:
                    # A display name is typed (`user add --display-name`): cleaned and cut to its column.
                    conn.execute(sa.insert(users).values(
                        name=name, display_name=clean_line(display_name)[:200] or name, is_local=is_local,
                        created_at=_now()))
        except sa.exc.IntegrityError:  # an install older than the lock, or a writer without it
            taken = True
        if taken and not exist_ok:
            raise InputError(f"accounts: the name {name!r} is taken", problem="user-taken")
        user = self.find_user(name)
        if user is None:  # pragma: no cover - the insert either succeeded or lost a race
            raise NotFoundError(f"accounts: could not create user {name!r}")
        return user

    def get_user(self, user_id: int) -> User:
        """A user by id."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise NotFoundError(f"accounts: no user {user_id}")
        return _user(row)

    def default_radar(self, user_id: int) -> Radar:
        """The user's default radar, created when the user has none."""
        with reading(self.engine) as conn:
            row = conn.execute(_RADARS_OF, {"user": user_id}).first()
        if row is None:
            try:
                with write_transaction(self.engine) as conn:
                    touch(conn, user_slot(user_id))
                    conn.execute(sa.insert(radars).values(user_id=user_id, name=DEFAULT_RADAR,
                                                          is_default=True, created_at=_now()))
            except sa.exc.IntegrityError:  # created meanwhile by another process
                pass
            with reading(self.engine) as conn:
                row = conn.execute(_RADARS_OF, {"user": user_id}).first()
        return _radar(row)

    def radars(self, user_id: int) -> list[Radar]:
        """A user's radars, the default first (read on every request: from memory while
        the change board says none of them changed)."""
        return list(self._radars.get(user_id, ((self.board, (user_slot(user_id),)),), lambda: self._read_radars(user_id)))

    def _read_radars(self, user_id: int) -> tuple[Radar, ...]:
        with reading(self.engine) as conn:
            return tuple(_radar(r) for r in conn.execute(_RADARS_OF, {"user": user_id}))

    def create_radar(self, user_id: int, name: str, *, limit: int = MAX_RADARS) -> Radar:
        """A new, empty radar of a user (names are unique per user; at most `limit`, counted under
        the user's row lock, so radars made at once cannot pass it together)."""
        name = clean_line(name)[:200]  # control characters would break the radar's RSS/Atom feed
        if not name:
            raise InputError("radars: a radar needs a name", problem="name-empty")
        try:
            with write_transaction(self.engine) as conn:
                lock_row(conn, users.c.id, user_id)
                refuse_at_limit(conn, radars, limit, f"radars: a reader has at most {limit} radars; delete one first",
                                radars.c.user_id == user_id)
                touch(conn, user_slot(user_id))
                new_id = conn.execute(sa.insert(radars).values(user_id=user_id, name=name, is_default=False,
                                                               created_at=_now()).returning(radars.c.id)).scalar_one()
        except sa.exc.IntegrityError:
            raise InputError(f"radars: you already have a radar named {name!r}", problem="name-taken") from None
        return self.get_radar(new_id)

    def radar_of(self, user_id: int, radar_id: int) -> Radar:
        """One of a user's radars; another user's is "not found", never shown (the one access rule)."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(radars).where(radars.c.id == radar_id, radars.c.user_id == user_id)).first()
        if row is None:
            raise NotFoundError(f"radars: no radar {radar_id}")
        return _radar(row)

    def deletable_radar(self, user_id: int, radar_id: int) -> Radar:
        """One of a user's radars that may be deleted (not the default one)."""
        radar = self.radar_of(user_id, radar_id)
        if radar.is_default:
            raise InputError("radars: the default radar cannot be deleted")
        return radar

    def delete_radar(self, user_id: int, radar_id: int) -> None:
        """Delete one of a user's radars (not the default one)."""
        self.deletable_radar(user_id, radar_id)
        with write_transaction(self.engine) as conn:
            touch(conn, user_slot(user_id), radar_slot(radar_id))
            deleted = conn.execute(sa.delete(radars).where(radars.c.id == radar_id, radars.c.user_id == user_id,
                                                           radars.c.is_default.is_(False))).rowcount
        if not deleted:  # another request deleted it meanwhile: told as if it had never been
            raise NotFoundError(f"radars: no radar {radar_id}")

    def delete_user(self, user_id: int) -> bool:
        """Delete a user and all that is theirs (radars, subscriptions, feedback, library, sessions,
        tokens, briefings, deliveries: the keys cascade); False when there was no such user. The
        last administrator is refused, in the same transaction, so two deletions at once cannot
        leave none."""
        with write_transaction(self.engine) as conn:
            serialise(conn, _SIGN_UPS)  # one change of who has an account at a time
            row = conn.execute(sa.select(users.c.is_admin).where(users.c.id == user_id)).first()
            if row is None:
                return False
            if row.is_admin and conn.execute(sa.select(sa.func.count()).select_from(users).where(
                    users.c.is_admin.is_(True))).scalar() <= 1:
                raise InputError("accounts: the last administrator cannot be deleted; make another one first "
                                 "(academichub user add NAME --admin)")
            owned = conn.execute(sa.select(radars.c.id).where(radars.c.user_id == user_id)).scalars().all()
            touch(conn, user_slot(user_id), *(radar_slot(r) for r in owned))
            conn.execute(sa.delete(users).where(users.c.id == user_id))
        return True

    def users(self) -> list[User]:
        """Every user, by name (for admins)."""
        with reading(self.engine) as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.name))]

    def set_language(self, user_id: int, language: str | None) -> None:
        """A user's interface and briefing language (None: the browser's)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(language=language))

    def find_radar(self, user_id: int, name_or_id: str | None) -> Radar:
        """One of a user's radars by name or id; the default radar when none is named."""
        if not name_or_id:
            return self.default_radar(user_id)
        query = sa.select(radars).where(radars.c.user_id == user_id)
        if not name_or_id.isdigit():
            query = query.where(radars.c.name == clean_line(name_or_id))  # as create_radar stored it
        elif int(name_or_id) <= ROW_ID_MAX:  # a larger number is no id, and past the driver's integers
            query = query.where(radars.c.id == int(name_or_id))
        else:
            raise NotFoundError(f"radars: no radar {name_or_id!r}")
        with reading(self.engine) as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFoundError(f"accounts: you have no radar {name_or_id!r}")
        return _radar(row)

    def get_radar(self, radar_id: int) -> Radar:
        """A radar by id (from memory while the change board says it did not change)."""
        return self._radar.get(("radar", radar_id), ((self.board, (radar_slot(radar_id),)),),
                               lambda: self._read_radar(radar_id))

    def _read_radar(self, radar_id: int) -> Radar:
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(radars).where(radars.c.id == radar_id)).first()
        if row is None:
            raise NotFoundError(f"radars: no radar {radar_id}")
        return _radar(row)

    def subscriptions(self, radar_id: int) -> list[Subscription]:
        """A radar's subscriptions in the order they were added (from memory while the
        change board says they did not change)."""
        return list(self._radar.get(("subscriptions", radar_id), ((self.board, (radar_slot(radar_id),)),),
                                    lambda: self._read_subscriptions(radar_id)))

    def _read_subscriptions(self, radar_id: int) -> tuple[Subscription, ...]:
        with reading(self.engine) as conn:
            return tuple(_subscription(r) for r in conn.execute(_SUBSCRIPTIONS_OF, {"radar": radar_id}))

    def add_subscription(self, radar_id: int, kind: str, value: str, value_key: str, *,
                         limit: int | None = None) -> Subscription:
        """Follow something; following it again returns the existing subscription. A radar holding
        `limit` subscriptions takes no new one (counted under the radar's lock: two at once cannot
        both pass the count)."""
        with write_transaction(self.engine) as conn:
            lock_radar(conn, radar_id)
            if limit is not None:
                mine = subscriptions.c.radar_id == radar_id
                existing = conn.execute(sa.select(subscriptions).where(
                    mine, subscriptions.c.kind == kind, subscriptions.c.value_key == value_key)).first()
                if existing is not None:
                    return _subscription(existing)
                refuse_at_limit(conn, subscriptions, limit, f"radar: a radar follows at most {limit} authors, keywords, "
                                "categories and venues; remove some, or make another radar", mine)
            # One statement: a read then an insert let two processes both miss the row (PostgreSQL).
            sub_id = conn.execute(upsert.insert(conn, subscriptions).values(
                radar_id=radar_id, kind=kind, value=value, value_key=value_key, created_at=_now()
            ).on_conflict_do_nothing(index_elements=["radar_id", "kind", "value_key"])
                .returning(subscriptions.c.id)).scalar()
            if sub_id is None:
                return _subscription(conn.execute(sa.select(subscriptions).where(
                    subscriptions.c.radar_id == radar_id, subscriptions.c.kind == kind,
                    subscriptions.c.value_key == value_key)).one())
            self._bump(conn, radar_id)
        return Subscription(sub_id, radar_id, kind, value, value_key)

    def remove_subscription(self, radar_id: int, subscription_id: int) -> Subscription:
        """Unfollow by subscription id."""
        with write_transaction(self.engine) as conn:
            # The radar first, as a chip added takes it: a removal holding the chip's row and then
            # waiting for the radar's deadlocked with an addition of the same chip (PostgreSQL).
            lock_radar(conn, radar_id)
            # Deleted and returned in one statement: of two processes removing the same chip, one
            # removes it (and bumps the radar's version) and the other is told it is gone.
            row = conn.execute(sa.delete(subscriptions).where(
                subscriptions.c.id == subscription_id, subscriptions.c.radar_id == radar_id)
                .returning(*subscriptions.c)).first()
            if row is None:
                raise NotFoundError(f"radar: no subscription {subscription_id} on this radar")
            self._bump(conn, radar_id)
        return _subscription(row)

    def _bump(self, conn: sa.Connection, radar_id: int) -> None:
        owner = conn.execute(sa.update(radars).where(radars.c.id == radar_id)
                             .values(subs_version=radars.c.subs_version + 1).returning(radars.c.user_id)).scalar()
        # The radar's feed head and its owner's radar list (a Radar carries its subscription version).
        touch(conn, radar_slot(radar_id), *((user_slot(owner),) if owner is not None else ()))
