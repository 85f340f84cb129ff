"""Curate: rank stories and assemble each reader's briefing; the market calendar (pure)."""

from marketbrief.curate.briefing import build_briefing, watchlist_hits
from marketbrief.curate.calendar import (
    MarketCalendar,
    MarketDate,
    MarketDateKind,
    build_market_calendar,
    company_events,
)
from marketbrief.curate.dates import article_dates, collect_key_dates
from marketbrief.curate.insight import insight_line

__all__ = [
    "MarketCalendar",
    "MarketDate",
    "MarketDateKind",
    "article_dates",
    "build_briefing",
    "build_market_calendar",
    "collect_key_dates",
    "company_events",
    "insight_line",
    "watchlist_hits",
]
