"""Fixtures: every store test runs on SQLite (a file in tmp_path) and, when
``MARKETBRIEF_TEST_DATABASE_URL`` names a PostgreSQL server, on PostgreSQL too.

On PostgreSQL, tests work in schemas of their own (put first on ``search_path`` through the
URL's ``options``) and never touch ``public``: a migration test gets a new empty schema, dropped
afterwards; ``store`` tests share one migrated schema whose tables are emptied after each test.
Either way no test sees another's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from marketbrief.model import Article, ArticleId
from marketbrief.store import SqlStore, open_store
from marketbrief.store.schema import metadata

DATABASE_URL_ENV = "MARKETBRIEF_TEST_DATABASE_URL"
NOW = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)


def _backends() -> list[object]:
    backends: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(DATABASE_URL_ENV):
        backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return backends


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test server, to create and drop the per-test schemas."""
    url = make_url(os.environ[DATABASE_URL_ENV])
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        pytest.skip(
            f"{DATABASE_URL_ENV} is set but PostgreSQL at "
            f"{url.render_as_string(hide_password=True)} does not answer: {reason}"
        )
    yield engine
    engine.dispose()


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database each store test runs on: "sqlite", and "postgresql" when configured."""
    return str(request.param)


def _new_postgres_schema(admin: Engine) -> tuple[str, str]:
    """A new, empty schema on the test server, and a URL whose ``search_path`` is it."""
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def _drop_postgres_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a new, empty database (not migrated), for the migration tests."""
    if backend == "sqlite":
        # A folder that does not exist yet: the store must create it.
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'db' / 'marketbrief.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema, url = _new_postgres_schema(admin)
    try:
        yield url
    finally:
        _drop_postgres_schema(admin, schema)


@pytest.fixture(scope="session")
def postgres_store_schema(postgres_admin: Engine) -> Iterator[tuple[str, str]]:
    """One migrated schema for the session's PostgreSQL store tests (migrating a schema per
    test costs ~0.3 s of DDL); ``store_url`` empties its tables after each test."""
    schema, url = _new_postgres_schema(postgres_admin)
    try:
        open_store(url).close()
        yield schema, url
    finally:
        _drop_postgres_schema(postgres_admin, schema)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that ``store_url`` copies: a copy takes a millisecond, migrating
    a new file a tenth of a second."""
    path = tmp_path_factory.mktemp("template") / "marketbrief.db"
    open_store(f"sqlite:///{path}").close()  # closing the last connection empties the WAL
    return path


@pytest.fixture
def store_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of the database behind ``store``: a copy of the migrated SQLite template, or the
    shared PostgreSQL schema, emptied when the test ends."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("store") / "marketbrief.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    schema, url = request.getfixturevalue("postgres_store_schema")
    try:
        yield url
    finally:
        admin: Engine = request.getfixturevalue("postgres_admin")
        # DELETE, not TRUNCATE: on a few rows it takes milliseconds, TRUNCATE a quarter second.
        with admin.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(text(f'DELETE FROM "{schema}"."{table.name}"'))


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """An empty store at the newest schema."""
    with open_store(store_url) as opened:
        yield opened


def _make_article(article_id: str = "a1", **fields: Any) -> Article:
    values: dict[str, Any] = {
        "id": ArticleId(article_id),
        "url": f"https://news.example.com/{article_id}",
        "title": f"Title of {article_id}",
        "text": f"Body text of article {article_id}.",
        "language": "en",
        "published_at": NOW,
    }
    values.update(fields)
    return Article(**values)


@pytest.fixture
def new_article() -> Callable[..., Article]:
    """``new_article(id, **fields)``: an article with plausible defaults, ``fields`` overriding."""
    return _make_article
