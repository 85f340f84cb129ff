"""Readers who confirm and choose when; the send log, suppressions and notices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Readers gain a subscription status (pending → confirmed → unsubscribed), a time zone, a local
send time and a weekday for weekly briefings, and when they confirmed; existing readers count as
confirmed. ``deliveries`` is the send log (one row per reader and period, claimed before
sending); ``suppressions`` holds addresses that bounced or must get no more mail; ``notices``
records confirmation and sign-in mails, to rate-limit them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "readers", sa.Column("status", sa.Text(), nullable=False, server_default="confirmed")
    )
    op.add_column(
        "readers",
        sa.Column("timezone", sa.Text(), nullable=False, server_default="America/New_York"),
    )
    op.add_column(
        "readers", sa.Column("send_time", sa.Text(), nullable=False, server_default="07:00")
    )
    op.add_column("readers", sa.Column("weekday", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("readers", sa.Column("confirmed_at", _instant()))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("due_at", _instant(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.Text()),
        sa.Column("claimed_at", _instant()),
        sa.Column("next_attempt_at", _instant()),
        sa.Column("sent_at", _instant()),
        sa.Column("message_id", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("reader_id", "period", name="uq_deliveries_reader_id_period"),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["readers.id"],
            name="fk_deliveries_reader_id_readers",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"]
    )
    op.create_table(
        "suppressions",
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("bounces", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("suppressed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("email", name="pk_suppressions"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("sent_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
    )
    op.create_index("ix_notices_email_sent_at", "notices", ["email", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_notices_email_sent_at", table_name="notices")
    op.drop_table("notices")
    op.drop_table("suppressions")
    op.drop_index("ix_deliveries_status_next_attempt_at", table_name="deliveries")
    op.drop_table("deliveries")
    # batch mode: SQLite before 3.35 cannot drop a column in place
    with op.batch_alter_table("readers") as batch:
        for column in ("confirmed_at", "weekday", "send_time", "timezone", "status"):
            batch.drop_column(column)
