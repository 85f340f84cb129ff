"""One line of insight per story: why it matters to this reader, from the analysis alone.

The line joins, with " · ", what the analysis says that a reader weighs first:

1. the watchlist: which of the reader's companies it is about, names, or touches — with the
   first reason of an indirect link ("Touches your RTX (Pratt & Whitney (jet engines) is an
   RTX business)") — else which of their sectors it is in;
2. its events (at most two; the event types the reader follows first);
3. the direction: the sentiment toward the reader's company when the analysis has one that
   leans, else the article's sentiment when it is not neutral;
4. the nearest date ahead it names ("LMT earnings (Q2) Jul 22").

Every ticker, event, reason and date in the line is one of the analysis's; the rest are the
fixed words of this module. No part is guessed: a story with no link, event, leaning or date
ahead gets an empty line.
"""

from __future__ import annotations

from collections.abc import Sequence

from marketbrief.curate.words import first_reason, short_day
from marketbrief.model import (
    Analysis,
    CalendarEntry,
    CompanyLink,
    CompanyRole,
    Event,
    Reader,
    event_label,
)

EVENT_CONFIDENCE = 0.5
MAX_EVENTS = 2
MAX_COMPANIES = 2
LEANING = 0.25  # a company sentiment at least this far from 0 gives a direction
SEPARATOR = " · "
# Common and vague: shown only when the article has no other event.
_WEAK_EVENTS = frozenset({"trading_action"})


_VERBS = {
    CompanyRole.PRIMARY: "about your",
    CompanyRole.MENTIONED: "mentions your",
    CompanyRole.INDIRECT: "touches your",
}


def _companies_phrase(links: Sequence[CompanyLink]) -> str:
    """ "about your LMT; touches your RTX (F135 engine …)"; companies with the same role and
    reason share one phrase: "touches your LMT and RTX (Patriot air defense system)"."""
    groups: dict[tuple[CompanyRole, str | None], list[str]] = {}
    for link in links:
        reason = first_reason(link) if link.role is CompanyRole.INDIRECT else None
        groups.setdefault((link.role, reason), []).append(link.ticker)
    phrases = []
    for (role, reason), tickers in groups.items():
        who = " and ".join(tickers)
        phrases.append(f"{_VERBS[role]} {who}" + (f" ({reason})" if reason else ""))
    return "; ".join(phrases)


def _watched_links(analysis: Analysis, reader: Reader) -> list[CompanyLink]:
    tickers = {t.upper() for t in reader.watchlist.tickers}
    links: dict[str, CompanyLink] = {}
    for link in analysis.companies:
        if link.ticker.upper() in tickers and link.ticker not in links:
            links[link.ticker] = link
    return list(links.values())


def chosen_events(analysis: Analysis, reader: Reader, limit: int = MAX_EVENTS) -> list[Event]:
    """The article's events worth naming: confident ones, the reader's event types first,
    then by confidence; a vague one (trading action) only when it is all there is."""
    followed = set(reader.watchlist.event_types)
    confident = [e for e in analysis.events if e.confidence >= EVENT_CONFIDENCE]
    strong = [e for e in confident if e.type not in _WEAK_EVENTS] or confident
    strong.sort(key=lambda e: (e.type not in followed, -e.confidence, e.type))
    return list({e.type: e for e in strong}.values())[:limit]


def _direction(analysis: Analysis, watched: Sequence[CompanyLink]) -> str | None:
    for link in watched:
        if link.sentiment is not None and abs(link.sentiment) >= LEANING:
            return f"{'positive' if link.sentiment > 0 else 'negative'} for {link.ticker}"
    label = analysis.sentiment.label
    return label if label in ("positive", "negative") else None


def _when(entry: CalendarEntry) -> str:
    if entry.day == entry.last_day:
        return short_day(entry.day)
    return f"{short_day(entry.day)}–{short_day(entry.last_day)}"


def insight_line(analysis: Analysis, reader: Reader, *, dates: Sequence[CalendarEntry] = ()) -> str:
    """Why ``analysis`` matters to ``reader`` (see the module doc). ``dates``: the dates ahead
    that this article names (``curate.dates.article_dates``), earliest first or not."""
    parts: list[str] = []
    watched = _watched_links(analysis, reader)
    if watched:
        parts.append(_companies_phrase(watched[:MAX_COMPANIES]))
    else:
        sectors = {s.casefold() for s in reader.watchlist.sectors}
        hit = next((s.name for s in analysis.sectors if s.name.casefold() in sectors), None)
        if hit is not None:
            parts.append(f"in your {hit} sector")
    events = chosen_events(analysis, reader)
    if events:
        parts.append(", ".join(event_label(e.type) for e in events))
    direction = _direction(analysis, watched)
    if direction:
        parts.append(direction)
    own = [d for d in dates if d.article_id == analysis.article.id]
    if own:
        soonest = min(own, key=lambda d: (d.day, d.last_day, d.title))
        parts.append(f"{soonest.title} {_when(soonest)}")
    line = SEPARATOR.join(parts)
    return line[:1].upper() + line[1:]
