"""Curate: rank stories and assemble each reader's briefing (pure)."""

from marketbrief.curate.briefing import build_briefing, collect_key_dates, watchlist_hits

__all__ = ["build_briefing", "collect_key_dates", "watchlist_hits"]
