"""Alembic environment: runs the migrations on the connection ``SqlStore.upgrade`` hands over.

Run from ``marketbrief.store.sql.alembic_config(url)`` (the store and ``marketbrief db upgrade``)
there is a connection in ``config.attributes["connection"]``, already inside the caller's
transaction. Run from ``alembic.command.revision(..., autogenerate=True)`` by a developer there
is none, and an engine is made from the config's ``sqlalchemy.url``. Offline (SQL script) mode is
not supported: the FTS DDL differs per backend and is written for a live connection.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from marketbrief.store.schema import include_name, include_object, metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=include_name,
        include_object=include_object,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    if context.is_offline_mode():
        raise RuntimeError("marketbrief migrations run online only (on a live connection)")
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        run_on(given)
        return
    # Imported here: the store imports this package's schema, not the other way round.
    from marketbrief.store.sql import create_store_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url in the Alembic config")
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


run_migrations()
