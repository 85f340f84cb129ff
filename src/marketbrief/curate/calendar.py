"""The market calendar: the days ahead that matter to U.S. investors, from three sources.

- **Exchange closures and early closes** of the New York Stock Exchange, from the maintained
  ``exchange_calendars`` library (calendar ``XNYS``): its holiday rules and ad-hoc closures.
- **FOMC meetings**, from ``data/fomc.csv`` (the Federal Reserve's published schedule; where each
  row comes from is in ``data/SOURCES.md``). A meeting spans its two days; the policy statement
  comes out on the second.
- **Company events stated in articles** ("will report results on Feb. 3", "shareholders meeting
  on May 5", "investor day next Tuesday"): a key date of an analysis that lies ahead of its
  article, names a day (or a week at most), and whose event phrase — else its sentence — names
  results, a call, a meeting, an investor day, a launch, a dividend, a vote or a deadline
  (``data/company_events.toml``). It belongs to the companies named in its sentence, else to the
  article's primary companies; one event per company.

Every date has a ``key``: what it is without its date — kind, entity and event (``fomc/2025-5``,
``company/AAPL/earnings/2025-Q3``). A calendar app holds an event by a UID made from the key,
so when an article moves an earnings date the app moves the event instead of adding a second
one. When articles disagree about one key, the most recently published wins, and ``revision``
counts how often the date changed (the iCalendar ``SEQUENCE``).

Pure apart from reading this package's data files; ``exchange_calendars`` (which imports pandas,
about a second) is imported only when exchange dates are asked for.
"""

from __future__ import annotations

import csv
import enum
import io
import itertools
import re
import threading
import tomllib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo

from marketbrief.model import Analysis, ArticleId, CompanyRole, KeyDate

__all__ = [
    "EXCHANGE",
    "MARKET_TZ",
    "CompanyEventRule",
    "FomcMeeting",
    "MarketCalendar",
    "MarketDate",
    "MarketDateKind",
    "build_market_calendar",
    "company_events",
    "end_of_day",
    "exchange_dates",
    "fomc_dates",
    "load_fomc_meetings",
    "merge_company_events",
]

EXCHANGE: Final = "XNYS"  # the New York Stock Exchange, in exchange_calendars' names
MARKET_TZ: Final = ZoneInfo("America/New_York")
MAX_EVENT_DAYS: Final = 7  # a company event names a day, or a week at most
FOMC_STATEMENT = "2:00 p.m. ET"  # the Fed's schedule releases: statement, then press conference
FOMC_PRESS_CONFERENCE = "2:30 p.m. ET"


class MarketDateKind(enum.StrEnum):
    HOLIDAY = "market_holiday"  # the exchange is closed all day
    EARLY_CLOSE = "early_close"  # the exchange closes early
    FOMC = "fomc_meeting"  # a scheduled FOMC meeting
    COMPANY = "company_event"  # a company's event stated in an article


@dataclass(frozen=True, slots=True)
class MarketDate:
    """One entry of the market calendar: a day (or days) ahead and what happens then."""

    kind: MarketDateKind
    day: date
    last_day: date  # the same as ``day`` for a one-day entry
    title: str
    key: str  # the entry's identity without its date: kind/entity/event
    detail: str | None = None
    tickers: tuple[str, ...] = ()  # the company an event belongs to; () for market-wide dates
    event: str | None = None  # company events: "earnings", "annual meeting", …
    article_id: ArticleId | None = None  # company events: the article that states the date
    url: str | None = None
    stated_at: datetime | None = None  # company events: when that article was published
    revision: int = 0  # how many times the articles changed the date (iCalendar SEQUENCE)


@dataclass(frozen=True, slots=True)
class MarketCalendar:
    """The market calendar from ``first_day`` to ``last_day`` (both included), by date."""

    first_day: date
    last_day: date
    dates: tuple[MarketDate, ...]
    watch: tuple[str, ...] = ()  # company events were kept only for these tickers (if any)


@dataclass(frozen=True, slots=True)
class FomcMeeting:
    id: str  # "2025-5": the year and the meeting's place in it; stays when the days move
    first_day: date
    last_day: date  # the statement (decision) day
    sep: bool | None  # Summary of Economic Projections released; None when not known
    status: str  # held | scheduled | tentative
    confirmed: bool  # checked against the Fed's own announcement (data/SOURCES.md)


@dataclass(frozen=True, slots=True)
class CompanyEventRule:
    """One row of ``data/company_events.toml``."""

    name: str
    pattern: re.Pattern[str]
    period: str  # quarter | year | phrase
    named: bool  # the company must be named in the sentence


def end_of_day(day: date) -> datetime:
    """The instant ``day`` ends in New York, in UTC (what was known "as of" that day)."""
    return datetime.combine(day + timedelta(days=1), time(), MARKET_TZ).astimezone(UTC)


# ── data files ────────────────────────────────────────────────────────────────────────────


def _data(name: str) -> str:
    return resources.files("marketbrief.curate").joinpath(f"data/{name}").read_text("utf-8")


@cache
def load_fomc_meetings() -> tuple[FomcMeeting, ...]:
    """The FOMC meetings of ``data/fomc.csv``, in order."""
    meetings = [
        FomcMeeting(
            id=row["id"],
            first_day=date.fromisoformat(row["first_day"]),
            last_day=date.fromisoformat(row["last_day"]),
            sep={"yes": True, "no": False}.get(row["sep"]),
            status=row["status"],
            confirmed=row["confirmed"] == "yes",
        )
        for row in csv.DictReader(io.StringIO(_data("fomc.csv")))
    ]
    return tuple(sorted(meetings, key=lambda m: m.first_day))


@cache
def _company_event_rules() -> tuple[tuple[CompanyEventRule, ...], re.Pattern[str]]:
    raw: dict[str, Any] = tomllib.loads(_data("company_events.toml"))
    rules = tuple(
        CompanyEventRule(
            name=row["name"],
            pattern=re.compile(row["pattern"], re.IGNORECASE),
            period=row["period"],
            named=bool(row["named"]),
        )
        for row in raw["event"]
    )
    return rules, re.compile(raw["not_company"], re.IGNORECASE)


# ── the exchange ──────────────────────────────────────────────────────────────────────────

_EXCHANGE_NAMES: Final = {"XNYS": "NYSE", "XNAS": "Nasdaq"}
# exchange_calendars' rule names, as a person reads them (and as keys: ours, so they stay).
_HOLIDAY_NAMES: Final = {
    "July 4th": "Independence Day",
    "President's Day": "Washington's Birthday",
    "Dr. Martin Luther King Jr. Day": "Martin Luther King Jr. Day",
    "Juneteenth National Independence Day": "Juneteenth",
    "Thanksgiving": "Thanksgiving Day",
    "Christmas": "Christmas Day",
}


def _early_close_occasion(name: str) -> str:
    if "Independence Day" in name:
        return "eve of Independence Day"
    if name == "Black Friday":
        return "day after Thanksgiving"
    return name


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _clock(at: time) -> str:
    hour = at.hour % 12 or 12
    return f"{hour}:{at.minute:02d} {'a.m.' if at.hour < 12 else 'p.m.'} ET"


# One lock for the exchange calendar: ``warnings.catch_warnings`` swaps process-wide state, and
# the web app asks from several threads at once.
_EXCHANGE_LOCK = threading.Lock()


@cache
def _exchange_year(name: str, year: int) -> tuple[MarketDate, ...]:
    """The closures and early closes of one calendar year (cached: a long-running server asks
    for a sliding window every day, which would otherwise build, and keep, a calendar per day)."""
    with _EXCHANGE_LOCK:
        return _exchange_days(name, date(year, 1, 1), date(year, 12, 31))


def _exchange_days(name: str, first: date, last: date) -> tuple[MarketDate, ...]:
    # Imported here: exchange_calendars imports pandas (about a second), which `analyze` and
    # the other commands never need.
    with warnings.catch_warnings():
        # pandas deprecates APIs that exchange_calendars still calls; they are not ours to fix
        # and must not fail a run (or a test run with warnings as errors).
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pandas(\.|$)")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pandas(\.|$)")
        import exchange_calendars  # type: ignore[import-untyped]
        import pandas as pd  # type: ignore[import-untyped]

        # Sessions a week either side, so that a window's edge days are known for sure.
        calendar = exchange_calendars.get_calendar(
            name, start=first - timedelta(days=7), end=last + timedelta(days=7)
        )
        start, end = pd.Timestamp(first), pd.Timestamp(last)
        sessions = {s.date() for s in calendar.sessions_in_range(start, end)}
        names = {
            ts.date(): str(title)
            for ts, title in calendar.regular_holidays.holidays(
                start, end, return_name=True
            ).items()
        }
        early_names = {
            ts.date(): str(title)
            for _at, holidays in calendar.special_closes
            for ts, title in holidays.holidays(start, end, return_name=True).items()
        }
        early = {
            ts.date(): calendar.session_close(ts).astimezone(MARKET_TZ).time()
            for ts in calendar.early_closes
            if start <= ts <= end
        }
    exchange = _EXCHANGE_NAMES.get(name, name)
    dates: list[MarketDate] = []
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in sessions:
            raw = names.get(day)
            if raw is not None:
                holiday = _HOLIDAY_NAMES.get(raw, raw)
                key = f"{name.lower()}/holiday/{day.year}/{_slug(holiday)}"
                title = f"{exchange} closed — {holiday}"
            else:  # an ad-hoc closure (a national day of mourning, a storm): its day is its name
                key = f"{name.lower()}/closed/{day.isoformat()}"
                title = f"{exchange} closed — special closure"
            dates.append(MarketDate(MarketDateKind.HOLIDAY, day, day, title, key))
        elif day in early:
            occasion = _early_close_occasion(early_names.get(day, "early close"))
            dates.append(
                MarketDate(
                    MarketDateKind.EARLY_CLOSE,
                    day,
                    day,
                    f"{exchange} closes early at {_clock(early[day])} — {occasion}",
                    f"{name.lower()}/early-close/{day.year}/{_slug(occasion)}",
                    detail=f"Trading ends at {_clock(early[day])} instead of 4:00 p.m. ET.",
                )
            )
        day += timedelta(days=1)
    return tuple(dates)


def exchange_dates(first: date, last: date, *, exchange: str = EXCHANGE) -> list[MarketDate]:
    """Weekdays from ``first`` to ``last`` on which ``exchange`` is closed or closes early."""
    if last < first:
        return []
    return [
        found
        for year in range(first.year, last.year + 1)
        for found in _exchange_year(exchange, year)
        if first <= found.day <= last
    ]


# ── the Fed ───────────────────────────────────────────────────────────────────────────────


def _day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def fomc_dates(
    first: date, last: date, *, meetings: Sequence[FomcMeeting] | None = None
) -> list[MarketDate]:
    """The FOMC meetings with a day from ``first`` to ``last``, each as one two-day entry."""
    found = []
    for meeting in load_fomc_meetings() if meetings is None else meetings:
        if meeting.last_day < first or meeting.first_day > last:
            continue
        decision = _day_label(meeting.last_day)
        notes = [
            f"FOMC meeting {_day_label(meeting.first_day)}–{decision}, {meeting.last_day.year}.",
            f"Policy statement (the rate decision) {decision} at {FOMC_STATEMENT}, "
            f"the Chair's press conference at {FOMC_PRESS_CONFERENCE}.",
        ]
        if meeting.sep:
            notes.append("With the Summary of Economic Projections.")
        if meeting.status == "tentative":
            notes.append("Tentative schedule.")
        found.append(
            MarketDate(
                MarketDateKind.FOMC,
                meeting.first_day,
                meeting.last_day,
                f"FOMC meeting — rate decision {decision}",
                f"fomc/{meeting.id}",
                detail=" ".join(notes),
                url="https://www.federalreserve.gov/monetarypolicy/fomccalendars.htm",
            )
        )
    return found


# ── company events stated in articles ─────────────────────────────────────────────────────

# A sentence ends at . ! ? and white space before a capital, a digit or an opening quote, unless
# the word before the stop is an abbreviation ("Inc.", "Feb.", "U.S."): short and capitalised,
# or dotted. Lines end sentences too. Rough, and only used to bound the words around a date.
_STOP = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n")
_ABBREVIATION = re.compile(r"[A-Z][a-z]{0,3}|[A-Za-z](?:\.[A-Za-z])+")
_SENTENCE_MAX = 1000  # characters either side of a date: a longer "sentence" is a missed stop
_WORD = re.compile(r"[A-Za-z][\w'’-]*|\d+")
_FILLER = frozenset(
    (  # noqa: SIM905 (one line of words reads better than a column of strings)
        "a an the its their his her on at in of for to by with and or will is are be was set "
        "due expected scheduled plans company said says"
    ).split()
)


def _ends_sentence(text: str, stop: re.Match[str]) -> bool:
    if stop.group() == "\n":
        return True
    before = text[max(0, stop.start() - 16) : stop.start()].split()
    word = before[-1].lstrip("(\"'“‘") if before else ""
    return _ABBREVIATION.fullmatch(word) is None


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence around ``[start, end)``."""
    left = max(0, start - _SENTENCE_MAX)
    for stop in _STOP.finditer(text, left, start):
        if _ends_sentence(text, stop):
            left = stop.end()
    right = min(len(text), end + _SENTENCE_MAX)
    for stop in _STOP.finditer(text, end, right):
        if _ends_sentence(text, stop):
            right = stop.start() + (stop.group() != "\n")
            break
    return left, right


def _is_event_date(key_date: KeyDate, published: date | None) -> bool:
    # Only dates the article puts ahead of itself: "on Friday" in a story of that Friday is
    # the news itself ("said on Friday it plans to raise its dividend"), not an event to come.
    if key_date.range is None or key_date.relation != "future":
        return False
    if key_date.type not in ("DATE", "TIME"):
        return False
    first, last = key_date.range
    if (last - first).days >= MAX_EVENT_DAYS:
        return False
    return published is None or first >= published


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _phrase_words(text: str, after: int, skip: Sequence[tuple[int, int]]) -> str:
    """Up to three content words after the cue, for an event that only its words tell apart."""
    words = []
    for word in _WORD.finditer(text, after):
        if any(s <= word.start() < e for s, e in skip) or word.group().lower() in _FILLER:
            continue
        if word.group().isdigit() and len(word.group()) < 3:
            continue
        words.append(word.group().lower())
        if len(words) == 3:
            break
    return "-".join(words)


def company_events(analysis: Analysis) -> list[MarketDate]:
    """The company events the article states, one per company and event (see the module doc).

    Dates are as the article gives them, ahead of its publication; the calendar's window and
    as-of day are applied by ``build_market_calendar``.
    """
    article = analysis.article
    text = article.text
    instant = article.published_at or article.first_seen_at
    published = instant.astimezone(MARKET_TZ).date() if instant is not None else None
    rules, not_company = _company_event_rules()
    primary = tuple(
        dict.fromkeys(c.ticker for c in analysis.companies if c.role is CompanyRole.PRIMARY)
    )
    date_spans = [(k.span.start, k.span.end) for k in analysis.key_dates]
    found: dict[str, MarketDate] = {}
    for key_date in analysis.key_dates:
        if key_date.range is None or not _is_event_date(key_date, published):
            continue
        left, right = _sentence(text, key_date.span.start, key_date.span.end)
        sentence = text[left:right]
        matched = _match_rule(rules, key_date.event, sentence, key_date.span.start - left)
        if matched is None:
            continue
        rule, scope, cue_end, in_sentence = matched
        if not_company.search(scope):
            continue
        named = _named_companies(analysis, left, right, key_date.event)
        tickers = named or (() if rule.named else primary)
        if not tickers:
            continue
        first, last = key_date.range
        if rule.period == "year":
            period = str(first.year)
        elif rule.period == "quarter":
            period = _quarter(first)
        else:
            spans = [(s - left, e - left) for s, e in date_spans]
            words = _phrase_words(scope, cue_end, spans if in_sentence else [])
            period = f"{_quarter(first)}/{_slug(rule.name)}" + (f"-{words}" if words else "")
        what = (key_date.event or sentence).strip()
        for ticker in tickers:
            key = f"company/{ticker}/{_slug(rule.name)}/{period}"
            found[key] = MarketDate(
                MarketDateKind.COMPANY,
                first,
                last,
                f"{ticker} {rule.name}",
                key,
                detail=what[:200],
                tickers=(ticker,),
                event=rule.name,
                article_id=article.id,
                url=article.url,
                stated_at=instant,
            )
    return list(found.values())


def _plain(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _named_companies(
    analysis: Analysis, left: int, right: int, event: str | None
) -> tuple[str, ...]:
    """The companies named in the sentence ``[left, right)``; of those, the ones its event
    phrase names when it names some ("Apple will launch …, while Microsoft …" → Apple)."""
    in_sentence = [
        (c.ticker, [m.text for m in c.mentions if left <= m.start and m.end <= right])
        for c in analysis.companies
    ]
    in_sentence = [(ticker, texts) for ticker, texts in in_sentence if texts]
    phrase = f" {_plain(event)} " if event else ""
    in_phrase = [t for t, texts in in_sentence if any(f" {_plain(x)} " in phrase for x in texts)]
    return tuple(dict.fromkeys(in_phrase or [t for t, _ in in_sentence]))


def _match_rule(
    rules: Sequence[CompanyEventRule], event: str | None, sentence: str, date_at: int
) -> tuple[CompanyEventRule, str, int, bool] | None:
    """The first rule the event phrase matches, else the one whose cue is nearest the date in
    the sentence; with the text it matched in, where the cue ends, and whether that text is
    the sentence."""
    if event:
        for rule in rules:
            hit = rule.pattern.search(event)
            if hit is not None:
                return rule, event, hit.end(), False
    best: tuple[int, int, CompanyEventRule, int] | None = None
    for order, rule in enumerate(rules):
        for hit in rule.pattern.finditer(sentence):
            distance = min(abs(hit.start() - date_at), abs(hit.end() - date_at))
            if best is None or (distance, order) < (best[0], best[1]):
                best = (distance, order, rule, hit.end())
    if best is None:
        return None
    return best[2], sentence, best[3], True


def merge_company_events(events: Iterable[MarketDate]) -> list[MarketDate]:
    """One entry per key: the date of the most recently published article wins; ``revision``
    counts the times the date changed from one article to the next."""
    by_key: dict[str, list[MarketDate]] = {}
    for entry in events:
        by_key.setdefault(entry.key, []).append(entry)
    merged = []
    floor = datetime.min.replace(tzinfo=UTC)
    for stated in by_key.values():
        stated.sort(key=lambda e: (e.stated_at or floor, e.article_id or ""))
        changes = sum(
            (a.day, a.last_day) != (b.day, b.last_day) for a, b in itertools.pairwise(stated)
        )
        merged.append(replace(stated[-1], revision=changes))
    return merged


# ── the calendar ──────────────────────────────────────────────────────────────────────────


def _overlaps(entry: MarketDate, first: date, last: date) -> bool:
    return entry.day <= last and entry.last_day >= first


def _watched(entries: Iterable[MarketDate], watch: set[str]) -> Iterator[MarketDate]:
    for entry in entries:
        if not watch or not entry.tickers or watch & set(entry.tickers):
            yield entry


def build_market_calendar(
    analyses: Sequence[Analysis],
    *,
    as_of: date,
    days: int = 30,
    watch: Sequence[str] = (),
    exchange: str | None = EXCHANGE,
    fomc: Sequence[FomcMeeting] | None = None,
) -> MarketCalendar:
    """What lies ahead from ``as_of`` through ``as_of + days``: exchange closures and early
    closes, FOMC meetings and the company events of ``analyses``, by date.

    Articles published after ``as_of`` are not read, so a calendar "as of" a past day shows
    only what was known then. ``watch`` keeps company events of those tickers only; market-wide
    dates stay. ``exchange=None`` leaves exchange dates out (and pandas unimported).
    """
    last = as_of + timedelta(days=max(days, 0))
    cutoff = end_of_day(as_of)
    stated = [
        event
        for analysis in analyses
        if (analysis.article.published_at or analysis.article.first_seen_at or cutoff) < cutoff
        for event in company_events(analysis)
    ]
    tickers = tuple(dict.fromkeys(t.strip().lstrip("$").upper() for t in watch if t.strip()))
    entries = [
        *(exchange_dates(as_of, last, exchange=exchange) if exchange else []),
        *fomc_dates(as_of, last, meetings=fomc),
        *_watched(merge_company_events(stated), set(tickers)),
    ]
    entries = [e for e in entries if _overlaps(e, as_of, last)]
    order = list(MarketDateKind)
    entries.sort(key=lambda e: (e.day, order.index(e.kind), e.title, e.key))
    return MarketCalendar(first_day=as_of, last_day=last, dates=tuple(entries), watch=tickers)
