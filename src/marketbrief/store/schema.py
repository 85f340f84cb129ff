"""The database tables, as SQLAlchemy Core metadata (the model Alembic compares migrations to).

Full-text search is not in this metadata: it is dialect-specific DDL (an FTS5 virtual table and
triggers on SQLite, a generated ``tsvector`` column and GIN index on PostgreSQL) that only the
migrations create. ``include_name`` and ``include_object`` tell Alembic's autogenerate to leave
those objects alone.

Conventions: strings are ``Text`` (PostgreSQL enforces ``VARCHAR(n)`` and SQLite does not, so a
length would behave differently on the two); enums are stored as their string values; instants
are ``UTCDateTime``; JSON is ``JSONB`` on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Explicit constraint names, so that migrations name things the same way on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The full-text objects the migrations create outside this metadata (see the module docstring).
FTS_TABLE = "articles_fts"  # SQLite FTS5 table; its shadow tables are articles_fts_*
SEARCH_COLUMN = "search"  # PostgreSQL generated tsvector column on articles
SEARCH_INDEX = "ix_articles_search"


def as_utc(at: datetime) -> datetime:
    """An instant in UTC; a naive datetime is taken as UTC (as ``contract.format_instant`` does)."""
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant in, an aware UTC instant out, on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is stored as naive
    UTC text (which also sorts correctly) and UTC is attached again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return as_utc(value)


def json_type() -> JSON:
    """JSON text on SQLite, binary ``JSONB`` on PostgreSQL."""
    return JSON().with_variant(JSONB(), "postgresql")


metadata = MetaData(naming_convention=NAMING_CONVENTION)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("title", Text),
    Column("added_at", UTCDateTime),
    Column("status", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_polled_at", UTCDateTime),
    Column("last_ok_at", UTCDateTime),
    Column("next_poll_at", UTCDateTime),
    Column("error_count", Integer, nullable=False),
    Column("last_error", Text),
    UniqueConstraint("url"),
    Index(None, "next_poll_at"),
    # ids are shown to operators ("sources remove 3"): never hand out a removed source's id again
    sqlite_autoincrement=True,
)

articles = Table(
    "articles",
    metadata,
    # An integer key the SQLite FTS5 index can point at (a rowid that VACUUM keeps stable);
    # everything else refers to articles by their string ``id``.
    Column("pk", Integer, primary_key=True),
    Column("id", Text, nullable=False),
    Column("url", Text),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("language", Text),
    Column("published_at", UTCDateTime),
    Column("page_published_at", UTCDateTime),
    Column("feed_published_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime),
    # coalesce(published_at, first_seen_at), kept by the store: what lists are ordered by
    Column("sort_at", UTCDateTime),
    Column("authors", json_type(), nullable=False),
    Column("source", Text),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("raw_html", LargeBinary),  # lzma-compressed (preset 1): see sql.py
    UniqueConstraint("id"),
    UniqueConstraint("url"),
    # newest-first lists and their cursors (revision 0005); with id, a filtered page's probe
    # of the newest rows reads the index alone (revision 0007)
    Index(None, "sort_at", "pk", "id"),
    Index(None, "source_id"),
)

analyses = Table(
    "analyses",
    metadata,
    Column(
        "article_id",
        Text,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("story_id", Text),
    Column("importance", Float, nullable=False),
    Column("sentiment_label", Text, nullable=False),
    Column("sentiment_score", Float, nullable=False),
    # The analysis contract object (contract.analysis_to_json) without "text", which the
    # articles row already holds.
    Column("data", json_type(), nullable=False),
    Index(None, "story_id"),
)

article_companies = Table(
    "article_companies",
    metadata,
    Column("article_id", Text, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("ticker", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("relevance", Float, nullable=False),
    Column("sentiment", Float),
    PrimaryKeyConstraint("article_id", "ticker"),
    Index(None, "ticker"),
)

article_sectors = Table(
    "article_sectors",
    metadata,
    Column("article_id", Text, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("relevance", Float, nullable=False),
    PrimaryKeyConstraint("article_id", "name"),
    Index(None, "name"),
)

article_events = Table(
    "article_events",
    metadata,
    Column("article_id", Text, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("type", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    PrimaryKeyConstraint("article_id", "type"),
    Index(None, "type"),
)

key_dates = Table(
    "key_dates",
    metadata,
    Column("article_id", Text, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # order in the analysis
    Column("value", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("first_day", Date),
    Column("last_day", Date),
    Column("text", Text, nullable=False),
    Column("event", Text),
    Column("relation", Text, nullable=False),
    PrimaryKeyConstraint("article_id", "position"),
    Index(None, "first_day"),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("independent_sources", Integer),  # null: stored before revision 0002
    Index(None, "last_seen_at"),
)

story_articles = Table(
    "story_articles",
    metadata,
    Column("story_id", Text, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Text, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # order of Story.article_ids
    # What StoryMember says of the article (null: stored before revision 0002). ``added`` is
    # {"facts": [new numbers and names], "sentences": [[start, end], ...]}.
    Column("seen_at", UTCDateTime),
    Column("source", Text),
    Column("novelty", Float),
    Column("added", json_type()),
    PrimaryKeyConstraint("story_id", "article_id"),
    UniqueConstraint("article_id"),  # an article belongs to one story at a time
)

readers = Table(
    "readers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", Text, nullable=False),  # lower-case
    Column("name", Text, nullable=False),
    Column("watchlist", json_type(), nullable=False),
    Column("cadence", Text, nullable=False),
    Column("added_at", UTCDateTime),
    Column("last_briefed_at", UTCDateTime),
    Column("status", Text, nullable=False, server_default="confirmed"),
    Column("timezone", Text, nullable=False, server_default="America/New_York"),
    Column("send_time", Text, nullable=False, server_default="07:00"),  # HH:MM, local
    Column("weekday", Integer, nullable=False, server_default="0"),
    Column("confirmed_at", UTCDateTime),
    UniqueConstraint("email"),
    sqlite_autoincrement=True,  # as for sources: ids are shown and must not be reused
)

# The send log: one row per reader and period, claimed before sending, so that a sender killed
# at any point and restarted neither skips a reader nor sends anyone the same briefing twice.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reader_id", Integer, ForeignKey("readers.id", ondelete="CASCADE"), nullable=False),
    Column("period", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", Text),
    Column("claimed_at", UTCDateTime),
    Column("next_attempt_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("message_id", Text),
    Column("error", Text),
    UniqueConstraint("reader_id", "period"),
    Index(None, "status", "next_attempt_at"),
)

# Addresses that must get no more mail (bounced too often, or complained), checked at send time.
suppressions = Table(
    "suppressions",
    metadata,
    Column("email", Text, primary_key=True),  # lower-case
    Column("reason", Text, nullable=False),
    Column("bounces", Integer, nullable=False, server_default="0"),
    Column("suppressed", Integer, nullable=False, server_default="0"),  # 1: no more mail
    Column("updated_at", UTCDateTime, nullable=False),
)

# Mail sent outside briefings (confirmations, sign-in links), kept to rate-limit them.
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", Text, nullable=False),
    Column("kind", Text, nullable=False),  # confirm | signin
    Column("sent_at", UTCDateTime, nullable=False),
    Index(None, "email", "sent_at"),
)


# Signed-in browsers. The session cookie holds a signed random secret and a row holds its
# SHA-256 (``id``), so a copy of the database signs no one in. A session is live while its row is
# there, not revoked, and younger than the session's maximum age; a sign-out revokes it, "sign out
# everywhere" all of a reader's, and the reader's removal takes them. Revoked rows stay until that
# age has passed (``start_session`` clears old rows).
sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),  # sha256 hex of the cookie's secret
    Column("reader_id", Integer, ForeignKey("readers.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index(None, "reader_id"),
    Index(None, "created_at"),
)


# Readers' comments on articles, threaded by ``parent_id``. A comment is never deleted by its
# author, only marked (``status`` deleted), so that replies keep their place; an article's removal
# takes its comments. The author is a reader (``reader_id``, null once the reader is gone) or an
# anonymous ``author_name``; ``ip_hash`` is a keyed hash of the client address (never the
# address itself), for rate limits and bans.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Text, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="CASCADE")),
    Column("reader_id", Integer, ForeignKey("readers.id", ondelete="SET NULL")),
    Column("author_name", Text, nullable=False),
    Column("body_markdown", Text, nullable=False),
    Column("body_html", Text, nullable=False),  # sanitised
    Column("status", Text, nullable=False),  # visible | held | hidden | deleted
    Column("created_at", UTCDateTime, nullable=False),
    Column("edited_at", UTCDateTime),
    Column("ip_hash", Text),
    Index(None, "article_id", "created_at"),
    Index(None, "status", "created_at"),
    Index(None, "reader_id", "created_at"),
    Index(None, "ip_hash", "created_at"),
    sqlite_autoincrement=True,  # ids are in links and must not be reused
)

# Who may not comment, until when (null: for good): a reader, or a client address (its hash).
bans = Table(
    "bans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reader_id", Integer, ForeignKey("readers.id", ondelete="CASCADE")),
    Column("ip_hash", Text),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("until", UTCDateTime),
    Index(None, "reader_id"),
    Index(None, "ip_hash"),
)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic filter: skip reflecting the FTS5 table and its shadow tables."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE))


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: the full-text objects live only in migrations, not in ``metadata``."""
    if type_ == "column" and name == SEARCH_COLUMN and obj.table.name == "articles":
        return False
    return not (type_ == "index" and name == SEARCH_INDEX)
