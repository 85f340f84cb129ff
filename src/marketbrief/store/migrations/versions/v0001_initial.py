"""Initial schema: sources, articles (with full-text search), analyses, stories, readers.

Revision ID: 0001
Revises:
Create Date: 2025-06-26

Self-contained on purpose: a migration spells out the tables as they were at its revision and
does not import the live ``schema`` module, which moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


# SQLite: an external-content FTS5 index over articles(title, text), kept in step by triggers.
# porter stemming so that "rates" finds "rate", as PostgreSQL's english configuration does.
_SQLITE_FTS = (
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text,
        content='articles', content_rowid='pk',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER articles_fts_after_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.pk, new.title, new.text);
    END
    """,
    """
    CREATE TRIGGER articles_fts_after_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.pk, old.title, old.text);
    END
    """,
    """
    CREATE TRIGGER articles_fts_after_update AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.pk, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.pk, new.title, new.text);
    END
    """,
)

# PostgreSQL: a generated tsvector (title weighs more than text) and a GIN index on it. The text
# is cut at 200,000 characters because a tsvector is limited to 1 MB and an article that long is
# a page that failed extraction, not something to refuse storing.
_POSTGRES_FTS = (
    """
    ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, left(text, 200000)), 'B')
    ) STORED
    """,
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("added_at", _instant()),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("last_polled_at", _instant()),
        sa.Column("last_ok_at", _instant()),
        sa.Column("next_poll_at", _instant()),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("url", name="uq_sources_url"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sources_next_poll_at", "sources", ["next_poll_at"])

    op.create_table(
        "articles",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("title", sa.Text()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.Text()),
        sa.Column("published_at", _instant()),
        sa.Column("page_published_at", _instant()),
        sa.Column("feed_published_at", _instant()),
        sa.Column("first_seen_at", _instant()),
        sa.Column("sort_at", _instant()),
        sa.Column("authors", _json(), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("source_id", sa.Integer()),
        sa.Column("raw_html", sa.LargeBinary()),
        sa.PrimaryKeyConstraint("pk", name="pk_articles"),
        sa.UniqueConstraint("id", name="uq_articles_id"),
        sa.UniqueConstraint("url", name="uq_articles_url"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name="fk_articles_source_id_sources",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_articles_sort_at", "articles", ["sort_at"])
    op.create_index("ix_articles_source_id", "articles", ["source_id"])

    op.create_table(
        "analyses",
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("story_id", sa.Text()),
        sa.Column("importance", sa.Float(), nullable=False),
        sa.Column("sentiment_label", sa.Text(), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_analyses"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_analyses_article_id_articles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_analyses_story_id", "analyses", ["story_id"])

    op.create_table(
        "article_companies",
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("ticker", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("relevance", sa.Float(), nullable=False),
        sa.Column("sentiment", sa.Float()),
        sa.PrimaryKeyConstraint("article_id", "ticker", name="pk_article_companies"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_companies_article_id_articles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_article_companies_ticker", "article_companies", ["ticker"])

    op.create_table(
        "article_sectors",
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("relevance", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "name", name="pk_article_sectors"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_sectors_article_id_articles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_article_sectors_name", "article_sectors", ["name"])

    op.create_table(
        "article_events",
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "type", name="pk_article_events"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_events_article_id_articles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_article_events_type", "article_events", ["type"])

    op.create_table(
        "key_dates",
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date()),
        sa.Column("last_day", sa.Date()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("event", sa.Text()),
        sa.Column("relation", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "position", name="pk_key_dates"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_key_dates_article_id_articles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_key_dates_first_day", "key_dates", ["first_day"])

    op.create_table(
        "stories",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_seen_at", _instant(), nullable=False),
        sa.Column("last_seen_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    op.create_index("ix_stories_last_seen_at", "stories", ["last_seen_at"])

    op.create_table(
        "story_articles",
        sa.Column("story_id", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "article_id", name="pk_story_articles"),
        sa.UniqueConstraint("article_id", name="uq_story_articles_article_id"),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name="fk_story_articles_story_id_stories",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_story_articles_article_id_articles",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "readers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("watchlist", _json(), nullable=False),
        sa.Column("cadence", sa.Text(), nullable=False),
        sa.Column("added_at", _instant()),
        sa.Column("last_briefed_at", _instant()),
        sa.PrimaryKeyConstraint("id", name="pk_readers"),
        sa.UniqueConstraint("email", name="uq_readers_email"),
        sqlite_autoincrement=True,
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in _POSTGRES_FTS:
            op.execute(statement)
    else:
        raise NotImplementedError(f"marketbrief has no full-text search for {dialect}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_fts_after_{trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    for table in (
        "readers",
        "story_articles",
        "stories",
        "key_dates",
        "article_events",
        "article_sectors",
        "article_companies",
        "analyses",
        "articles",
        "sources",
    ):
        op.drop_table(table)
