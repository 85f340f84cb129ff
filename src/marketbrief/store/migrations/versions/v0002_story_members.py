"""Story members: when each article came, from where, and what it added; independent sources.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Stories were duplicate groups; they are now coverage of one development, grouped as articles
arrive, and a briefing says what changed since a given time. Each row of ``story_articles``
gains the member's instant, source, novelty (0..1) and what it added (new numbers and names,
spans of new sentences); ``stories`` gains how many independent sources cover it. The new
columns are nullable: rows written before this revision have none of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("stories", sa.Column("independent_sources", sa.Integer()))
    op.add_column("story_articles", sa.Column("seen_at", sa.DateTime(timezone=True)))
    op.add_column("story_articles", sa.Column("source", sa.Text()))
    op.add_column("story_articles", sa.Column("novelty", sa.Float()))
    op.add_column("story_articles", sa.Column("added", _json()))


def downgrade() -> None:
    # batch mode: SQLite before 3.35 cannot drop a column in place
    with op.batch_alter_table("story_articles") as batch:
        for column in ("added", "novelty", "source", "seen_at"):
            batch.drop_column(column)
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("independent_sources")
