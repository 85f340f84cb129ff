"""The insight line: why a story matters to this reader, built only from its analysis."""

from __future__ import annotations

import re
from datetime import date, timedelta

from briefing_samples import READER, TODAY, company, event, key_date, make_analysis
from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.curate.dates import article_dates
from marketbrief.curate.insight import insight_line
from marketbrief.curate.words import first_reason
from marketbrief.model import (
    EVENT_TYPES,
    Analysis,
    CompanyLink,
    CompanyRole,
    Event,
    KeyDate,
    Reader,
    ReaderId,
    SectorLink,
    Sentiment,
    Span,
    Watchlist,
    event_label,
)

TEXT = "Lockheed Martin won a $3.1 billion contract. Results are due on July 22. RTX rose."


def test_watched_companies_events_direction_and_the_next_date() -> None:
    a = make_analysis(
        "a",
        text=TEXT,
        companies=[
            company(TEXT, "LMT", "Lockheed Martin", said="Lockheed Martin", sentiment=0.6),
            company(TEXT, "RTX", "RTX", said="RTX", role=CompanyRole.MENTIONED),
        ],
        events=[
            event(TEXT, "contract_award", "won a $3.1 billion contract"),
            event(TEXT, "earnings_results", "Results are due"),
        ],
        key_dates=[key_date(TEXT, "July 22", date(2025, 7, 22))],
    )
    dates = article_dates(a, today=TODAY, last=TODAY + timedelta(days=45))
    assert insight_line(a, READER, dates=dates) == (
        "About your LMT; mentions your RTX · contract award, earnings results"
        " · positive for LMT · LMT earnings Jul 22"
    )


def test_followed_event_types_come_first_and_vague_ones_only_alone() -> None:
    text = "Shares rose after the company agreed to buy a rival and cut jobs."
    a = make_analysis(
        "a",
        text=text,
        events=[
            event(text, "trading_action", "Shares rose", 0.99),
            event(text, "workforce_labor", "cut jobs", 0.9),
            event(text, "mna", "agreed to buy", 0.6),  # the reader follows M&A
        ],
    )
    assert insight_line(a, READER) == "M&A, workforce"
    only = make_analysis("b", text=text, events=[event(text, "trading_action", "Shares rose")])
    assert insight_line(only, READER) == "Trading action"


def test_a_watched_sector_when_no_watched_company_and_the_articles_sentiment() -> None:
    a = make_analysis("a", sectors=["Semiconductors"], sentiment="negative")
    assert insight_line(a, READER) == "In your Semiconductors sector · negative"


def test_indirect_links_say_what_they_go_through_once_for_companies_alike() -> None:
    why = "Patriot air defense system: {} makes part of it"
    links = [
        CompanyLink("LMT", "Lockheed Martin", "NYSE", CompanyRole.INDIRECT, 0.3, why.format("LMT")),
        CompanyLink("RTX", "RTX", "NYSE", CompanyRole.INDIRECT, 0.3, why.format("RTX")),
    ]
    a = make_analysis("a", companies=links)
    assert insight_line(a, READER) == "Touches your LMT and RTX (Patriot air defense system)"


def test_nothing_to_say_is_an_empty_line() -> None:
    assert insight_line(make_analysis("a"), READER) == ""


def test_low_confidence_events_are_not_named() -> None:
    text = "A deal was rumoured."
    a = make_analysis("a", text=text, events=[event(text, "mna", "deal", 0.3)])
    assert insight_line(a, READER) == ""


# ── property: nothing in the line that the analysis does not hold ─────────────────────────────

POOL = ("AAPL", "LMT", "RTX", "NVDA", "XOM", "JPM", "MU")
BODY = (
    "Lockheed Martin won an order on Tuesday. The company will report results on July 22. "
    "Apple said it would buy a supplier next week. Shares of RTX fell 3% in early trade. "
    "Regulators are due to decide on the merger by August 5."
)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"


@st.composite
def spans(draw: st.DrawFn) -> Span:
    start = draw(st.integers(0, len(BODY) - 1))
    end = draw(st.integers(start + 1, min(len(BODY), start + 40)))
    return Span(start, end, BODY[start:end])


@st.composite
def analyses(draw: st.DrawFn) -> Analysis:
    tickers = draw(st.lists(st.sampled_from(POOL), max_size=4, unique=True))
    companies = tuple(
        CompanyLink(
            t,
            f"Company {t.lower()}",
            "NYSE",
            draw(st.sampled_from(list(CompanyRole))),
            draw(st.floats(0, 1)),
            draw(st.sampled_from(["", f"Company {t.lower()} ({t}): named", "Widget: made by it"])),
            tuple(draw(st.lists(spans(), max_size=2))),
            draw(st.none() | st.floats(-1, 1)),
        )
        for t in tickers
    )
    events = tuple(
        Event(draw(st.sampled_from(EVENT_TYPES)), draw(st.floats(0, 1)), draw(spans()))
        for _ in range(draw(st.integers(0, 4)))
    )
    key_dates = []
    for _ in range(draw(st.integers(0, 4))):
        first = TODAY + timedelta(days=draw(st.integers(-10, 60)))
        last = first + timedelta(days=draw(st.sampled_from([0, 0, 1, 6, 30])))
        relation = draw(st.sampled_from(["future", "future", "ongoing", "past"]))
        phrase = draw(st.none() | st.sampled_from(["will report results", "to decide"]))
        key_dates.append(KeyDate(draw(spans()), "DATE", "x", (first, last), phrase, relation))
    base = make_analysis("p", text=BODY)
    return Analysis(
        base.article,
        base.summary,
        companies=companies,
        sectors=tuple(
            SectorLink(s, 0.5, "")
            for s in draw(st.lists(st.sampled_from(["Semiconductors", "Energy"]), max_size=2))
        ),
        events=events,
        sentiment=draw(st.sampled_from([Sentiment("positive", 0.5), Sentiment("neutral", 0.0)])),
        key_dates=tuple(key_dates),
    )


readers = st.builds(
    lambda t, s, e: Reader(ReaderId(1), "r@example.com", "R", Watchlist(t, s, e)),
    st.lists(st.sampled_from(POOL), max_size=3, unique=True).map(tuple),
    st.lists(st.sampled_from(["Semiconductors", "Energy"]), max_size=1).map(tuple),
    st.lists(st.sampled_from(EVENT_TYPES), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(analyses(), readers)
def test_every_ticker_event_and_date_in_the_line_is_the_analysis(
    analysis: Analysis, reader: Reader
) -> None:
    dates = article_dates(analysis, today=TODAY, last=TODAY + timedelta(days=45))
    line = insight_line(analysis, reader, dates=dates)
    # Reasons of indirect links are the analysis's own words: set them aside, then look.
    rest = line
    for link in analysis.companies:
        reason = first_reason(link)
        if reason:
            rest = rest.replace(f"({reason})", "")
    tickers = {c.ticker for c in analysis.companies}
    for token in re.findall(r"\b[A-Z]{2,5}\b", rest):
        assert token in tickers | {"JV"}, (token, line)
    for mentioned in re.findall(r"\byour ([A-Z]{1,5})\b", rest):
        assert mentioned in reader.watchlist.tickers
    labels = {event_label(e.type) for e in analysis.events}
    for kind in EVENT_TYPES:
        if re.search(rf"(^|[ ,·])({re.escape(event_label(kind))})($|[ ,·])", rest, re.I):
            assert event_label(kind) in labels, (kind, line)
    days = {d for k in analysis.key_dates if k.range is not None for d in (k.range[0], k.range[1])}
    for month, day in re.findall(rf"\b({_MONTHS}) (\d{{1,2}})\b", rest):
        assert any(f"{d:%b}" == month and d.day == int(day) for d in days), line
    if "positive" in rest or "negative" in rest:
        leaning = [c.sentiment for c in analysis.companies if c.sentiment is not None]
        assert analysis.sentiment.label != "neutral" or any(abs(s) >= 0.25 for s in leaning)
