"""Key dates, properties that hold for any text: no crash, spans in bounds and in order, values
that are valid TimeML TIMEX3, ranges and relations that agree with them, the same output for
the same input; and normalisations that hold for any date (explicit dates, weekdays by tense,
counted durations)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.enrich.key_dates import FiscalYear, tag_key_dates

# ── a TIMEX3 value validator ──────────────────────────────────────────────────────────────────
#
# TimeML 1.2.1 (TIMEX3 ``value``): a calendar value in ISO 8601 form, each part possibly left
# open with X (a year, month, day; an ISO week with a weekday or WE for the weekend; a quarter,
# half or season), optionally with a clock time or a part of the day (MO, AF, EV, NI, DT); a
# decade (three digits) or century (two); a duration (P…, with TimeML's extra units DE, CE, ML,
# Q, FN and X for an unknown count); or one of PRESENT_REF, PAST_REF, FUTURE_REF.

_YEAR = r"(?:\d{4}|XXXX)"
_CLOCK = r"T(?:(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?|24:00|[01]\d|2[0-4]|MO|AF|EV|NI|DT)"
_CALENDAR = (
    f"{_YEAR}(?:"
    r"-(?:0[1-9]|1[0-2]|XX)(?:-(?:0[1-9]|[12]\d|3[01]|XX)(?:" + _CLOCK + r")?)?"
    r"|-W(?:0[1-9]|[1-4]\d|5[0-3]|XX)(?:-(?:[1-7](?:" + _CLOCK + r")?|WE))?"
    r"|-Q[1-4X]|-H[12]|-(?:SP|SU|FA|WI)"
    r")?"
)
_DECADE_OR_CENTURY = r"\d{2,3}|XXX?"
_COUNT = r"(?:\d+|X)"
_DURATION = (
    rf"P(?:(?:{_COUNT}(?:Y|M|W|D|Q|DE|CE|ML|FN))+(?:T(?:{_COUNT}[HMS])+)?|T(?:{_COUNT}[HMS])+)"
)
TIMEX3_VALUE = re.compile(
    f"PRESENT_REF|PAST_REF|FUTURE_REF|{_CALENDAR}|{_DECADE_OR_CENTURY}|{_DURATION}"
)
_FULL_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
_FULL_WEEK = re.compile(r"(\d{4})-W(\d\d)")


def is_timex3_value(value: str) -> bool:
    """Whether ``value`` is a TIMEX3 value, and any full date or ISO week in it exists."""
    if not TIMEX3_VALUE.fullmatch(value):
        return False
    day = _FULL_DATE.match(value)
    if day is not None:
        try:
            date(int(day.group(1)), int(day.group(2)), int(day.group(3)))
        except ValueError:
            return False
    week = _FULL_WEEK.match(value)
    if week is not None:
        try:
            date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
        except ValueError:
            return False
    return True


def test_the_validator_tells_timex3_values_apart() -> None:
    good = [
        "2025", "2025-06", "2025-06-24", "2025-06-24T15:30", "2025-06-24TMO", "2025-W26",
        "2025-W26-2", "2025-W25-WE", "XXXX-WXX-2", "XXXX-WXX-2TNI", "2025-Q3", "XXXX-QX",
        "2025-H1", "2025-SU", "XXXX-04", "198", "19", "P3M", "PT45M", "P1Y6M", "P2DT12H", "PXY",
        "P10DE", "P1Q", "PRESENT_REF", "PAST_REF", "FUTURE_REF", "2020-W53",
    ]  # fmt: skip
    bad = [
        "", "2025-13", "2025-02-30", "2025-W54", "2025-W53", "2025-Q5", "2025-H3", "2025-SM",
        "P", "PT", "P3", "3M", "H20", "T15:30", "2025-06-24T25:00", "NOW", "2025-6", "20251",
    ]  # fmt: skip
    assert [v for v in good if not is_timex3_value(v)] == []
    assert [v for v in bad if is_timex3_value(v)] == []


# ── any text ──────────────────────────────────────────────────────────────────────────────────

TEMPORAL_WORDS = st.sampled_from(
    [
        "Monday", "Tuesday", "May", "March", "June", "Jan.", "Sept.", "24", "2025", "1999", "'90s",
        "3", "p.m.", "noon", "today", "yesterday", "last", "this", "next", "week", "weekend",
        "month", "quarter", "year", "years", "summer", "fall", "Q4", "H1", "1H25", "FY25",
        "fiscal", "the", "past", "three", "every", "daily", "ago", "earlier", "later", "early",
        "late", "mid-", "first", "half", "of", "ended", "now", "recently", "a", "an", ",", ".",
        "-", "/", ":", "'", "$", "%", "Thanksgiving", "Christmas", "10:35", "1/2", "12/31/2024",
        "2025-06-24", "twice", "per", "morning", "night", "o'clock", "in", "said", "will",
        "Holdings", "3M", "H20", "deaths", "0.01", "1,000,000", "99999", "twenty-first",
        "century", "decade", "1980s", "Q3", "fiscal 2024", "a year earlier", "the week of",
    ]
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(TEMPORAL_WORDS, st.text(max_size=5)), max_size=40).map(" ".join),
)
# Any publication date, including the first and last days datetime can hold.
PUBLISHED_AT = st.one_of(
    st.none(),
    st.just(datetime(2025, 6, 25, 14, tzinfo=UTC)),
    st.datetimes().map(lambda at: at.replace(tzinfo=UTC)),
    st.sampled_from([datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]),
)
FISCAL_YEARS = st.one_of(
    st.none(),
    st.builds(FiscalYear, end_month=st.integers(1, 12), named_for_end=st.booleans()),
)


@settings(max_examples=400, deadline=None)
@given(text=TEXT, published_at=PUBLISHED_AT, fiscal_year=FISCAL_YEARS)
def test_any_text_gives_well_formed_key_dates(
    text: str, published_at: datetime | None, fiscal_year: FiscalYear | None
) -> None:
    found = tag_key_dates(text, published_at, fiscal_year=fiscal_year)
    dct = published_at.date() if published_at is not None and published_at.year >= 1000 else None
    previous_end = 0
    for k in found:
        assert 0 <= k.span.start < k.span.end <= len(text)
        assert text[k.span.start : k.span.end] == k.span.text
        assert k.span.text == k.span.text.strip()
        assert k.span.start >= previous_end  # in order, never overlapping
        previous_end = k.span.end
        assert k.type in ("DATE", "TIME", "DURATION", "SET")
        assert is_timex3_value(k.value), k
        assert k.relation in ("past", "ongoing", "future")
        if k.type in ("DURATION", "SET"):
            assert k.range is None
            assert k.value.startswith(("P", "XXXX")), k
        if k.range is not None:
            assert k.range[0] <= k.range[1]
            if dct is not None and k.range[1] < dct:
                assert k.relation == "past", k
            if dct is not None and k.range[0] > dct:
                assert k.relation == "future", k
        assert k.event is None or k.event.strip() == k.event != ""


@settings(max_examples=150, deadline=None)
@given(first=TEXT, second=TEXT, published_at=PUBLISHED_AT, fiscal_year=FISCAL_YEARS)
def test_the_same_input_gives_the_same_output(
    first: str, second: str, published_at: datetime | None, fiscal_year: FiscalYear | None
) -> None:
    once = tag_key_dates(first, published_at, fiscal_year=fiscal_year)
    tag_key_dates(second, published_at)  # nothing is carried over from one text to the next
    assert tag_key_dates(first, published_at, fiscal_year=fiscal_year) == once


# ── normalisations that hold for any date ─────────────────────────────────────────────────────

MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAYS = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))
ANCHORS = st.dates(min_value=date(1900, 1, 8), max_value=date(2099, 12, 24))


@settings(max_examples=200, deadline=None)
@given(day=DAYS, published=ANCHORS)
def test_an_explicit_date_is_its_own_value(day: date, published: date) -> None:
    at = datetime(published.year, published.month, published.day, tzinfo=UTC)
    for text in (
        f"The deal closed on {MONTHS[day.month - 1]} {day.day}, {day.year}, after a vote.",
        f"The deal closed on {day.day} {MONTHS[day.month - 1]} {day.year} after a vote.",
        f"The filing is dated {day.isoformat()} in the record.",
    ):
        found = tag_key_dates(text, at)
        assert [(k.value, k.range) for k in found] == [(day.isoformat(), (day, day))], text


@settings(max_examples=200, deadline=None)
@given(weekday=st.integers(1, 7), published=ANCHORS)
def test_a_weekday_is_the_last_one_in_a_report_and_the_next_one_in_a_plan(
    weekday: int, published: date
) -> None:
    at = datetime(published.year, published.month, published.day, tzinfo=UTC)
    name = WEEKDAYS[weekday - 1]
    said = tag_key_dates(f"The company said on {name} that sales fell.", at)
    plan = tag_key_dates(f"The ministers will meet on {name} in Brussels.", at)
    said_day = date.fromisoformat(said[0].value)
    plan_day = date.fromisoformat(plan[0].value)
    assert said_day.isoweekday() == plan_day.isoweekday() == weekday
    assert published - timedelta(days=6) <= said_day <= published
    assert published <= plan_day <= published + timedelta(days=6)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 999), unit=st.sampled_from(["years", "months", "weeks", "days", "hours"]))
def test_a_counted_stretch_of_time_is_a_duration(n: int, unit: str) -> None:
    found = tag_key_dates(f"The program will run for {n} {unit} under the plan.", None)
    code = {"years": "P{}Y", "months": "P{}M", "weeks": "P{}W", "days": "P{}D", "hours": "PT{}H"}
    assert [(k.type, k.value) for k in found] == [("DURATION", code[unit].format(n))]
