"""Alembic environment: runs on the connection AcademicHub hands over (see storage.engine)."""

from __future__ import annotations

from alembic import context

from academichub.storage.feeddb import FEED_TABLES
from academichub.storage.schema import metadata

FEED_TABLE_NAMES = {table.name for table in FEED_TABLES}  # on SQLite: storage/feeddb.py

config = context.config


def run_migrations_online() -> None:
    """Migrate over the caller's connection, or over one made from sqlalchemy.url."""
    connection = config.attributes.get("connection")
    if connection is None:
        from academichub.storage.engine import make_engine

        with make_engine(config.get_main_option("sqlalchemy.url")).connect() as connection:
            _run(connection)
            connection.commit()
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,  # SQLite alters tables by copy
        compare_type=True,
        include_object=_in_the_stores_file if sqlite else None,
    )
    with context.begin_transaction():
        context.run_migrations()


def _in_the_stores_file(thing, name, kind, _reflected, _compare_to) -> bool:  # type: ignore[no-untyped-def]
    """On SQLite the feed's tables live in a file of their own, made and changed by storage/feeddb.py."""
    table = thing if kind == "table" else getattr(thing, "table", None)
    return getattr(table, "name", name) not in FEED_TABLE_NAMES


if context.is_offline_mode():
    raise SystemExit("academichub: offline (SQL script) migrations are not supported")
run_migrations_online()
