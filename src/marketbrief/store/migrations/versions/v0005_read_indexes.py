"""Indexes for the web reader's newest-first pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Lists of articles are ordered by ``sort_at`` descending, then ``pk`` descending. The index on
``sort_at`` alone gives that order on SQLite (an index entry ends with the rowid, which ``pk``
is) but not on PostgreSQL, which sorted every row to show the newest twenty. ``(sort_at, pk)``
gives it on both, and a keyset cursor ``(sort_at, pk) < (…, …)`` becomes one index range; it
replaces the index on ``sort_at``, whose queries it serves as well.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_articles_sort_at_pk", "articles", ["sort_at", "pk"])
    op.drop_index("ix_articles_sort_at", table_name="articles")


def downgrade() -> None:
    op.create_index("ix_articles_sort_at", "articles", ["sort_at"])
    op.drop_index("ix_articles_sort_at_pk", table_name="articles")
