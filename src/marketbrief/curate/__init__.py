"""Curate: rank stories and assemble each reader's briefing; the market calendar (pure)."""

from marketbrief.curate.briefing import build_briefing, collect_key_dates, watchlist_hits
from marketbrief.curate.calendar import (
    MarketCalendar,
    MarketDate,
    MarketDateKind,
    build_market_calendar,
    company_events,
)

__all__ = [
    "MarketCalendar",
    "MarketDate",
    "MarketDateKind",
    "build_briefing",
    "build_market_calendar",
    "collect_key_dates",
    "company_events",
    "watchlist_hits",
]
