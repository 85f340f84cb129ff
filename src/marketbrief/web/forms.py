"""What the subscription forms accept: each field read, checked and turned into a typed value.

A form reads into a view-model (``Subscription``, ``Preferences``) or a mapping of field name
to a message a person can act on; pages show each message beside its field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import TypeVar
from zoneinfo import available_timezones

from marketbrief.deliver.outbox import one_line, parse_address
from marketbrief.enrich.kb import KnowledgeBase, normalize_ticker
from marketbrief.errors import InvalidInputError
from marketbrief.model import CADENCES, EVENT_TYPES, Watchlist

MAX_EMAIL = 254
MAX_NAME = 100
MAX_TICKERS = 50
MAX_FIELD = 2000  # characters read of any free-text field

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Errors = dict[str, str]
T = TypeVar("T")


class FormValues:
    """A submitted form as the pages need it: ``get`` one text value, ``getlist`` all of a
    field's values (checkboxes). Files are ignored; every value is cut at ``MAX_FIELD``."""

    def __init__(self, pairs: Iterable[tuple[str, object]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            if isinstance(value, str):
                self._values.setdefault(name, []).append(value[:MAX_FIELD])

    def get(self, name: str) -> str:
        values = self._values.get(name)
        return values[0] if values else ""

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, ()))


@dataclass(frozen=True, slots=True)
class Subscription:
    """What the subscribe form asks for."""

    email: str
    name: str
    tickers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the manage form sets: the reader's name, watchlist and schedule."""

    name: str
    watchlist: Watchlist
    cadence: str
    timezone: str
    send_time: time
    weekday: int


# ── fields ───────────────────────────────────────────────────────────────────────────────────


def read_email(text: str) -> str:
    """One plain address (``user@example.com``), lower-case; ``InvalidInputError`` else."""
    address = text.strip()
    if not address:
        raise InvalidInputError("Enter your email address.", key="email")
    if len(address) > MAX_EMAIL or any(c.isspace() or ord(c) < 32 for c in address):
        raise InvalidInputError("Enter an email address like name@example.com.", key="email")
    try:
        parsed = parse_address(address, key="email")
    except InvalidInputError:
        raise InvalidInputError(
            "Enter an email address like name@example.com.", key="email"
        ) from None
    if parsed.display_name or parsed.addr_spec != address or "." not in parsed.domain:
        raise InvalidInputError("Enter an email address like name@example.com.", key="email")
    return address.lower()


def read_name(text: str) -> str:
    """A display name on one line, at most ``MAX_NAME`` characters (empty is fine)."""
    name = one_line(text)
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"Keep the name under {MAX_NAME} characters.", key="name")
    return name


def _shown(values: Sequence[str], *, limit: int = 10) -> str:
    cut = [v if len(v) <= 20 else v[:19] + "…" for v in values[:limit]]
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(cut) + more


def read_tickers(text: str, kb: KnowledgeBase) -> tuple[str, ...]:
    """Tickers separated by commas or spaces, each a listed company (a former ticker reads as
    the company's current one); duplicates dropped, order kept."""
    found: list[str] = []
    unknown: list[str] = []
    for word in re.split(r"[\s,;]+", text):
        if not word.strip():
            continue
        ticker = normalize_ticker(word)
        company = kb.company(ticker)
        if company is None and ticker in kb.former_tickers:
            company = kb.company(kb.former_tickers[ticker].ticker)
        if company is None or company.listed_until is not None:
            if ticker not in unknown:
                unknown.append(ticker)
        elif company.ticker not in found:
            found.append(company.ticker)
    if unknown:
        noun = "ticker" if len(unknown) == 1 else "tickers"
        raise InvalidInputError(
            f"Unknown {noun}: {_shown(unknown)}. Use U.S. listed tickers like AAPL, RTX.",
            key="tickers",
        )
    if len(found) > MAX_TICKERS:
        raise InvalidInputError(f"Follow at most {MAX_TICKERS} tickers.", key="tickers")
    return tuple(found)


def read_time(text: str) -> time:
    """A local time of day, ``HH:MM`` (what ``<input type=time>`` sends)."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::\d{2})?\s*", text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInputError("Enter a time like 07:00 (24-hour clock).", key="send_time")
    return time(int(match[1]), int(match[2]))


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zone names this machine knows, sorted."""
    return tuple(sorted(available_timezones()))


def read_timezone(text: str) -> str:
    name = text.strip()
    if name not in set(time_zones()):
        raise InvalidInputError(
            "Not a time zone we know; use a name like America/New_York or Europe/London.",
            key="timezone",
        )
    return name


def read_choice(text: str, choices: Sequence[str], *, key: str, what: str) -> str:
    if text not in choices:
        raise InvalidInputError(f"Choose a {what}.", key=key)
    return text


def read_choices(values: Sequence[str], choices: Iterable[str], *, key: str) -> tuple[str, ...]:
    """Checked boxes, each one of ``choices`` (anything else is an error naming it)."""
    allowed = set(choices)
    picked = list(dict.fromkeys(values))
    wrong = [v for v in picked if v not in allowed]
    if wrong:
        raise InvalidInputError(f"Not one of the choices: {_shown(wrong)}.", key=key)
    return tuple(picked)


# ── forms ────────────────────────────────────────────────────────────────────────────────────


def read_subscription(form: FormValues, kb: KnowledgeBase) -> Subscription | Errors:
    errors: Errors = {}
    email = _field(errors, "email", lambda: read_email(form.get("email")))
    name = _field(errors, "name", lambda: read_name(form.get("name")))
    tickers = _field(errors, "tickers", lambda: read_tickers(form.get("tickers"), kb))
    if errors or email is None or name is None or tickers is None:
        return errors
    return Subscription(email=email, name=name, tickers=tickers)


def read_preferences(
    form: FormValues, kb: KnowledgeBase, *, sectors: Sequence[str]
) -> Preferences | Errors:
    errors: Errors = {}
    name = _field(errors, "name", lambda: read_name(form.get("name")))
    tickers = _field(errors, "tickers", lambda: read_tickers(form.get("tickers"), kb))
    chosen_sectors = _field(
        errors, "sectors", lambda: read_choices(form.getlist("sectors"), sectors, key="sectors")
    )
    events = _field(
        errors,
        "event_types",
        lambda: read_choices(form.getlist("event_types"), EVENT_TYPES, key="event_types"),
    )
    cadence = _field(
        errors,
        "cadence",
        lambda: read_choice(form.get("cadence"), CADENCES, key="cadence", what="cadence"),
    )
    send_time = _field(errors, "send_time", lambda: read_time(form.get("send_time")))
    timezone = _field(errors, "timezone", lambda: read_timezone(form.get("timezone")))
    weekday = _field(
        errors,
        "weekday",
        lambda: WEEKDAYS.index(
            read_choice(form.get("weekday"), WEEKDAYS, key="weekday", what="weekday")
        ),
    )
    if (
        errors
        or name is None
        or tickers is None
        or chosen_sectors is None
        or events is None
        or cadence is None
        or send_time is None
        or timezone is None
        or weekday is None
    ):
        return errors
    return Preferences(
        name=name,
        watchlist=Watchlist(tickers=tickers, sectors=chosen_sectors, event_types=events),
        cadence=cadence,
        timezone=timezone,
        send_time=send_time,
        weekday=weekday,
    )


def _field(errors: Errors, key: str, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except InvalidInputError as error:
        errors[key] = error.message
        return None


def sector_choices(kb: KnowledgeBase, also: Iterable[str] = ()) -> tuple[str, ...]:
    """The GICS sectors of the knowledge base, then any others (``also``: a reader's own,
    set by an operator) so that saving the form keeps them."""
    gics = sorted({c.sector for c in kb.companies.values() if c.sector})
    return tuple(gics) + tuple(s for s in dict.fromkeys(also) if s not in gics)
