"""Deliver: briefings rendered and written out — email (MIME, outbox), ICS calendars (key
dates, the market calendar)."""

from marketbrief.deliver.ics import build_calendar, build_market_ics, stable_uid
from marketbrief.deliver.outbox import build_briefing_email, write_file_atomically, write_outbox
from marketbrief.deliver.render import (
    briefing_title,
    render_briefing_html,
    render_briefing_text,
)

__all__ = [
    "briefing_title",
    "build_briefing_email",
    "build_calendar",
    "build_market_ics",
    "render_briefing_html",
    "render_briefing_text",
    "stable_uid",
    "write_file_atomically",
    "write_outbox",
]
