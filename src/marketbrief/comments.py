"""The records of readers' comments on articles (kept apart from ``model`` until the lead moves
them there; like ``model``, nothing here does I/O or imports another marketbrief module).

A comment is by a signed-in reader (``reader_id``) or, when the operator allows it, by an
anonymous author who gave a name. Its Markdown is kept as written and as sanitised HTML.
Moderation moves it between statuses::

    held ──approve──▶ visible ──hide──▶ hidden ──restore──▶ visible
    visible/held ──author deletes──▶ deleted   (kept, so that replies keep their place)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import NewType

CommentId = NewType("CommentId", int)
BanId = NewType("BanId", int)


class CommentStatus(enum.StrEnum):
    VISIBLE = "visible"  # shown to everyone
    HELD = "held"  # waiting for an operator (first comments, many links)
    HIDDEN = "hidden"  # taken down by an operator
    DELETED = "deleted"  # taken down by its author


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment; in a thread, ``replies`` are its answers, oldest first."""

    id: CommentId
    article_id: str
    parent_id: CommentId | None
    reader_id: int | None  # None: anonymous, or the reader is gone
    author_name: str
    body_markdown: str
    body_html: str  # sanitised; "" in a thread for a comment that is not shown
    status: CommentStatus
    created_at: datetime
    edited_at: datetime | None = None
    ip_hash: str | None = None
    replies: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class Ban:
    """A reader or a client address (its hash) that may not comment until ``until`` (None: for
    good)."""

    id: BanId
    reader_id: int | None
    ip_hash: str | None
    reason: str
    created_at: datetime
    until: datetime | None
