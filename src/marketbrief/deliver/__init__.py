"""Deliver: briefings rendered and written out — email (MIME, outbox), ICS calendars."""

from marketbrief.deliver.ics import build_calendar
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
    "render_briefing_html",
    "render_briefing_text",
    "write_file_atomically",
    "write_outbox",
]
