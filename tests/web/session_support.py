"""A signed-in browser's cookie without the sign-in mail: a session begun in the app's store."""

from __future__ import annotations

from typing import cast

from fastapi import FastAPI

from marketbrief.core import MarketBrief
from marketbrief.web.app import SESSION_LIFETIME
from marketbrief.web.security import Tokens


def session_cookie(app: FastAPI, reader_id: int) -> str:
    """The session cookie's value of a new session of ``reader_id`` (as a sign-in sets it)."""
    brief = cast(MarketBrief, app.state.brief)
    secret = brief.store.start_session(reader_id, now=app.state.clock(), max_age=SESSION_LIFETIME)
    return cast(Tokens, app.state.tokens).make("session", secret)
