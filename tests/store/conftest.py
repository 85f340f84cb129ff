"""Fixtures: every store test runs on SQLite (a file in tmp_path) and, when
``MARKETBRIEF_TEST_DATABASE_URL`` names a PostgreSQL server, on PostgreSQL too.

Each PostgreSQL test gets a schema of its own (put first on ``search_path`` through the URL's
``options``), dropped afterwards, so tests never see each other's rows and can run against a
shared database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from marketbrief.model import Article, ArticleId
from marketbrief.store import SqlStore, open_store

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
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL of an empty database, on each backend."""
    if request.param == "sqlite":
        # A folder that does not exist yet: the store must create it.
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'db' / 'marketbrief.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    """A store migrated to the newest schema."""
    with open_store(database_url) as opened:
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
