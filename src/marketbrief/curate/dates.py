"""Key dates ahead in a briefing: what happens when, for whom — one line each, at most ten.

Two sources, phrased as "who + what" rather than as the article's words:

- **the market calendar** (``curate.calendar``): exchange closures and early closes, FOMC
  meetings, and company events ("AAPL earnings (fiscal Q3)");
- **the briefing's articles**: their company events, and the other dates they put ahead that
  name a day or a week and share their sentence with one of the article's events ("JPM
  buyback", the sentence kept as the line's detail). A date whose sentence holds no event says
  when, not what: it stays in the article's analysis.

Watched companies' events and FOMC meetings are looked for further ahead (six weeks) than the
rest (two weeks): a reader plans around their companies' results and the rate decision. When
there are more than ``max_dates``, the watched companies' events come first, then the Fed, the
exchange, the top stories' company events and the articles' other dates.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from marketbrief.curate.calendar import (
    MARKET_TZ,
    MarketDate,
    MarketDateKind,
    _sentence,
    company_events,
)
from marketbrief.model import Analysis, CalendarEntry, CompanyRole, event_label

KEY_DATE_DAYS = 14  # article dates and exchange days: two weeks ahead
WATCHED_DAYS = 45  # a watched company's events and FOMC meetings: about six weeks ahead
MAX_KEY_DATES = 10
MAX_SPAN_DAYS = 7  # a day, or a week at most: a month or a quarter is no calendar line
EVENT_CONFIDENCE = 0.5
DETAIL_CHARS = 160

_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}
_QUARTER = re.compile(
    r"\b(fiscal[- ])?(first|second|third|fourth|1st|2nd|3rd|4th)[- ]quarter\b"
    r"|\b(fiscal )?Q([1-4])\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    rank: int  # lower is kept first when the dates must be cut
    entry: CalendarEntry


def quarter_label(text: str | None) -> str | None:
    """The quarter a text names, short: "fiscal third quarter" → "fiscal Q3"."""
    if not text:
        return None
    found = _QUARTER.search(text)
    if found is None:
        return None
    if found.group(4):
        number, fiscal = int(found.group(4)), bool(found.group(3))
    else:
        word = found.group(2).lower()
        number, fiscal = _ORDINAL.get(word, 4), bool(found.group(1))
    return f"{'fiscal ' if fiscal else ''}Q{number}"


def _company_title(entry: MarketDate) -> str:
    quarter = quarter_label(entry.detail) if entry.event in ("earnings", "earnings call") else None
    return f"{entry.title} ({quarter})" if quarter else entry.title


def market_entry(entry: MarketDate) -> CalendarEntry:
    """A market calendar date as a briefing's calendar line."""
    company = entry.kind is MarketDateKind.COMPANY
    return CalendarEntry(
        day=entry.day,
        last_day=entry.last_day,
        title=_company_title(entry) if company else entry.title,
        value=entry.day.isoformat(),
        article_id=entry.article_id,
        url=entry.url,
        kind=str(entry.kind),
        key=entry.key,
        detail=entry.detail,
        tickers=entry.tickers,
    )


def _clean(text: str) -> str:
    return " ".join(text.split())


def _dated_events(analysis: Analysis, today: date, last: date) -> Iterable[CalendarEntry]:
    """The article's dates ahead (a day or a week, from ``today`` to ``last``) whose sentence
    holds one of its confident events; who: the companies named there, else its primary ones."""
    article = analysis.article
    text = article.text
    events = [e for e in analysis.events if e.confidence >= EVENT_CONFIDENCE]
    primary = [c.ticker for c in analysis.companies if c.role is CompanyRole.PRIMARY]
    instant = article.published_at or article.first_seen_at
    published = instant.astimezone(MARKET_TZ).date() if instant is not None else None
    for key_date in analysis.key_dates:
        # Only what the article puts ahead of itself: "said on Friday" dates the news itself.
        if key_date.range is None or key_date.relation != "future":
            continue
        first, end = key_date.range
        if not today <= first <= last or (end - first).days >= MAX_SPAN_DAYS:
            continue
        if published is not None and first < published:
            continue
        if not 0 <= key_date.span.start <= key_date.span.end <= len(text):
            continue
        left, right = _sentence(text, key_date.span.start, key_date.span.end)
        inside = [e for e in events if left <= e.evidence.start and e.evidence.end <= right]
        if not inside:
            continue
        event = max(inside, key=lambda e: e.confidence)
        named = [
            c.ticker
            for c in analysis.companies
            if any(left <= m.start and m.end <= right for m in c.mentions)
        ]
        tickers = tuple(dict.fromkeys(named or primary))[:2]
        who = " & ".join(tickers)
        sentence = _clean(text[left:right])
        detail = sentence if len(sentence) <= DETAIL_CHARS else _clean(key_date.event or "")
        yield CalendarEntry(
            day=first,
            last_day=end,
            title=f"{who} {event_label(event.type)}".strip(),
            value=key_date.value,
            article_id=article.id,
            url=article.url,
            detail=detail or None,
            tickers=tickers,
        )


def article_dates(analysis: Analysis, *, today: date, last: date) -> list[CalendarEntry]:
    """The dates ``analysis`` names from ``today`` to ``last``: its company events (kind
    ``company_event``, with their calendar key), then its other dated events."""
    events = company_events(analysis)
    found = [market_entry(e) for e in events if e.last_day >= today and e.day <= last]
    stated = {event.day for event in events}
    found += [e for e in _dated_events(analysis, today, last) if e.day not in stated]
    return found


def _within(entry: CalendarEntry | MarketDate, today: date, last: date) -> bool:
    return entry.last_day >= today and entry.day <= last


def collect_key_dates(
    *,
    today: date,
    market: Sequence[MarketDate] = (),
    top: Sequence[Analysis] = (),
    watched_analyses: Sequence[Analysis] = (),
    watch: Collection[str] = (),
    days: int = KEY_DATE_DAYS,
    watched_days: int = WATCHED_DAYS,
    max_dates: int = MAX_KEY_DATES,
) -> tuple[CalendarEntry, ...]:
    """The key dates ahead of ``today``, earliest first, deduplicated, at most ``max_dates``.

    ``market``: the market calendar's dates (exchange, FOMC, company events of any company:
    only those of ``watch`` tickers are kept). ``top``: the analyses of the briefing's top
    stories; ``watched_analyses``: of the stories on the reader's watchlist.
    """
    near = today + timedelta(days=days)
    far = today + timedelta(days=max(days, watched_days))
    watched = {t.upper() for t in watch}
    candidates: list[_Candidate] = []
    for stated in market:
        if stated.kind is MarketDateKind.COMPANY:
            if watched & set(stated.tickers) and _within(stated, today, far):
                candidates.append(_Candidate(0, market_entry(stated)))
        elif stated.kind is MarketDateKind.FOMC:
            if _within(stated, today, far):
                candidates.append(_Candidate(1, market_entry(stated)))
        elif _within(stated, today, near):
            candidates.append(_Candidate(2, market_entry(stated)))
    keys = {c.entry.key for c in candidates}
    for analyses, rank in ((top, 3), (watched_analyses, 4)):
        for analysis in analyses:
            for entry in article_dates(analysis, today=today, last=far):
                mine = bool(watched & set(entry.tickers))
                if entry.key is not None and entry.key in keys:
                    continue
                if entry.key is None:  # an article's dated event: less sure what it is
                    rank_of = rank + 2
                else:
                    rank_of = 0 if mine else rank
                    keys.add(entry.key)
                if _within(entry, today, far if mine and entry.key else near):
                    candidates.append(_Candidate(rank_of, entry))

    chosen: dict[tuple[date, date, str], _Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: (c.rank, c.entry.day, c.entry.title)):
        line = candidate.entry
        key = (line.day, line.last_day, line.title.casefold())
        if key not in chosen and len(chosen) < max_dates:
            chosen[key] = candidate
    ordered = sorted(chosen.values(), key=lambda c: (c.entry.day, c.rank, c.entry.title))
    return tuple(c.entry for c in ordered)
