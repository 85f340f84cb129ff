"""Readers' comments on articles, and bans.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

``comments`` holds threaded comments (``parent_id``), by a reader or an anonymous name, with
their Markdown and its sanitised HTML, a moderation status (visible, held, hidden, deleted) and a
keyed hash of the client address; ``bans`` holds readers and address hashes that may not
comment, until an instant or for good.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMENT_INDEXES = (
    ("article_id", "created_at"),
    ("status", "created_at"),
    ("reader_id", "created_at"),
    ("ip_hash", "created_at"),
)


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer()),
        sa.Column("reader_id", sa.Integer()),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("edited_at", _instant()),
        sa.Column("ip_hash", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_comments_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comments.id"],
            name="fk_comments_parent_id_comments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["readers.id"],
            name="fk_comments_reader_id_readers",
            ondelete="SET NULL",
        ),
        sqlite_autoincrement=True,
    )
    for columns in _COMMENT_INDEXES:
        op.create_index(f"ix_comments_{'_'.join(columns)}", "comments", list(columns))
    op.create_table(
        "bans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer()),
        sa.Column("ip_hash", sa.Text()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("until", _instant()),
        sa.PrimaryKeyConstraint("id", name="pk_bans"),
        sa.ForeignKeyConstraint(
            ["reader_id"], ["readers.id"], name="fk_bans_reader_id_readers", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_bans_reader_id", "bans", ["reader_id"])
    op.create_index("ix_bans_ip_hash", "bans", ["ip_hash"])


def downgrade() -> None:
    op.drop_index("ix_bans_ip_hash", table_name="bans")
    op.drop_index("ix_bans_reader_id", table_name="bans")
    op.drop_table("bans")
    for columns in _COMMENT_INDEXES:
        op.drop_index(f"ix_comments_{'_'.join(columns)}", table_name="comments")
    op.drop_table("comments")
