"""Render a briefing as HTML and as plain text (Jinja2 templates beside this module)."""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from marketbrief.model import Briefing, CalendarEntry

_PLAIN_VALUE = re.compile(r"^\d{4}(-\d{2}){0,2}$")


def date_label(entry: CalendarEntry) -> str:
    """A day, or a span of days: "Jun 21 – Sep 22, 2025 (2025-SU)"."""
    first, last = entry.day, entry.last_day
    if first == last:
        return first.strftime("%a %b %-d, %Y")
    label = f"{first.strftime('%b %-d')} – {last.strftime('%b %-d, %Y')}"
    # A month or year reads plainly; a season, quarter or week also gets its TIMEX3 value.
    return label if _PLAIN_VALUE.match(entry.value) else f"{label} ({entry.value})"


def sentiment_class(label: str) -> str:
    return {"positive": "pos", "negative": "neg"}.get(label, "neu")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("marketbrief.deliver", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.globals.update(date_label=date_label, sentiment_class=sentiment_class)
    return env


def briefing_title(briefing: Briefing) -> str:
    return f"Your market briefing — {briefing.generated_at.strftime('%B %-d, %Y')}"


def render_briefing_html(briefing: Briefing) -> str:
    template = _environment().get_template("briefing.html")
    return template.render(briefing=briefing, title=briefing_title(briefing))


def render_briefing_text(briefing: Briefing) -> str:
    template = _environment().get_template("briefing.txt")
    return template.render(briefing=briefing, title=briefing_title(briefing))
