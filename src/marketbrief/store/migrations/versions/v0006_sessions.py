"""Server-side sessions, so that signing out ends one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

``sessions`` holds one row per signed-in browser: the SHA-256 of the random secret its cookie
carries (signed), its reader, when it began and when it was revoked (a sign-out, or "sign out
everywhere"). A reader's removal takes their sessions.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("revoked_at", _instant()),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["readers.id"],
            name="fk_sessions_reader_id_readers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_sessions_reader_id", "sessions", ["reader_id"])
    op.create_index("ix_sessions_created_at", "sessions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_sessions_created_at", table_name="sessions")
    op.drop_index("ix_sessions_reader_id", table_name="sessions")
    op.drop_table("sessions")
