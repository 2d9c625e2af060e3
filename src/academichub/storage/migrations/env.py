"""Alembic environment: runs on the connection AcademicHub hands over (see storage.engine)."""

from __future__ import annotations

from alembic import context

from academichub.storage.schema import metadata

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
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("academichub: offline (SQL script) migrations are not supported")
run_migrations_online()
