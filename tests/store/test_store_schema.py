"""Migrations, engine settings and error wrapping of the store."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from marketbrief.errors import ConfigError, StorageError
from marketbrief.model import Article
from marketbrief.store import open_store
from marketbrief.store.schema import include_name, include_object, metadata
from marketbrief.store.sql import alembic_config

TABLES = {
    "sources",
    "articles",
    "analyses",
    "article_companies",
    "article_sectors",
    "article_events",
    "key_dates",
    "stories",
    "story_articles",
    "readers",
    "alembic_version",
}


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def test_migrations_apply_from_empty_and_are_idempotent(database_url: str) -> None:
    with open_store(database_url, create=False) as store:
        assert store.schema_revision() is None
        with pytest.raises(StorageError) as caught:
            store.count_articles()  # no tables yet: the driver's error, wrapped
        assert caught.value.__cause__ is not None

        store.upgrade()
        head = head_revision(database_url)
        assert head is not None
        assert store.schema_revision() == head
        store.upgrade()  # nothing left to do
        assert store.schema_revision() == head
        assert store.count_articles() == 0

    with open_store(database_url) as again:  # create=True on a migrated database
        assert again.schema_revision() == head

    engine = create_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_the_initial_migration_downgrades_cleanly(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with open_store(database_url) as store, engine.begin() as conn:
            config = alembic_config(database_url)
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
        with open_store(database_url) as store:  # and up again
            assert store.count_articles() == 0
    finally:
        engine.dispose()


def test_models_match_the_migrated_database(database_url: str) -> None:
    """Autogenerate finds nothing to do: no change to schema.py lacks its migration."""
    open_store(database_url).close()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": include_name,
                    "include_object": include_object,
                    "compare_type": True,
                },
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_a_database_from_a_newer_release_is_a_storage_error(database_url: str) -> None:
    with open_store(database_url) as store:
        engine = create_engine(database_url)
        try:
            with engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
        finally:
            engine.dispose()
        with pytest.raises(StorageError, match="cannot migrate") as caught:
            store.upgrade()
        assert caught.value.key == "database_url"


def test_concurrent_writers_do_not_fail(
    database_url: str, new_article: Callable[..., Article]
) -> None:
    """Two stores (two connection pools, as two workers have) write at once."""
    failures: list[BaseException] = []

    def write(prefix: str) -> None:
        try:
            with open_store(database_url, create=False) as store:
                for n in range(25):
                    store.upsert_article(new_article(f"{prefix}{n}"))
                    store.upsert_article(new_article(f"shared{n}"))
        except BaseException as exc:  # reported below
            failures.append(exc)

    with open_store(database_url) as store:
        threads = [threading.Thread(target=write, args=(p,)) for p in ("x", "y")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert store.count_articles() == 75


# ── SQLite only ─────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("setting", "expected"), [("NORMAL", 1), ("full", 2), ("OFF", 0)])
def test_sqlite_runs_in_wal_with_the_synchronous_setting(
    tmp_path: Path, setting: str, expected: int
) -> None:
    path = tmp_path / "nested" / "folders" / "mb.db"
    with open_store(f"sqlite:///{path}", sqlite_synchronous=setting) as store:
        assert path.is_file()  # the parent folders were made
        # The connection settings are per connection: ask one of the store's own.
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == expected
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15_000
    with sqlite3.connect(path) as plain:  # WAL is a property of the file
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_in_memory_sqlite_works() -> None:
    with open_store("sqlite://") as store:
        assert store.count_articles() == 0


def test_a_bad_synchronous_setting_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_store(f"sqlite:///{tmp_path / 'x.db'}", sqlite_synchronous="SOMETIMES")
    assert caught.value.key == "sqlite_synchronous"


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://host/db"])
def test_a_bad_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_store(url)
    assert caught.value.key == "database_url"


def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not an SQLite database, just some bytes\n" * 100)
    with pytest.raises(StorageError) as caught:
        open_store(f"sqlite:///{path}")
    assert isinstance(caught.value.__cause__, Exception)
    assert "not a database" in str(caught.value)


def test_an_unreachable_postgres_is_a_storage_error() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    with pytest.raises(StorageError) as caught:
        open_store(url)
    assert caught.value.__cause__ is not None
