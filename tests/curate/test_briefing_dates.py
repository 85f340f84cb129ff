"""Key dates ahead: the market calendar and the articles' dates, named, deduplicated, capped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from briefing_samples import NOW, READER, TODAY, company, event, key_date, make_analysis

from marketbrief.curate import build_briefing
from marketbrief.curate.calendar import MarketDate, MarketDateKind, fomc_dates
from marketbrief.curate.dates import article_dates, collect_key_dates, quarter_label
from marketbrief.model import CompanyRole


def market(kind: MarketDateKind, day: date, title: str, *tickers: str) -> MarketDate:
    key = f"{kind}/{title}"
    return MarketDate(kind, day, day, title, key, tickers=tickers, event="earnings")


IN_3 = TODAY + timedelta(days=3)
IN_20 = TODAY + timedelta(days=20)
IN_60 = TODAY + timedelta(days=60)


def test_market_dates_by_kind_and_horizon() -> None:
    dates = [
        market(MarketDateKind.HOLIDAY, IN_3, "NYSE closed — Independence Day"),
        market(MarketDateKind.HOLIDAY, IN_20, "NYSE closed — a later holiday"),  # past 14 days
        market(MarketDateKind.COMPANY, IN_20, "RTX earnings", "RTX"),  # watched: 45 days
        market(MarketDateKind.COMPANY, IN_3, "JPM earnings", "JPM"),  # not watched
        market(MarketDateKind.COMPANY, IN_60, "LMT earnings", "LMT"),  # too far
        market(MarketDateKind.FOMC, IN_20, "FOMC meeting — rate decision"),
        market(MarketDateKind.HOLIDAY, TODAY - timedelta(days=1), "NYSE closed — yesterday"),
    ]
    found = collect_key_dates(today=TODAY, market=dates, watch=["RTX", "LMT"])
    assert [(d.day, d.title) for d in found] == [
        (IN_3, "NYSE closed — Independence Day"),
        (IN_20, "RTX earnings"),  # on one day: the reader's company first
        (IN_20, "FOMC meeting — rate decision"),
    ]
    assert found[0].key == "market_holiday/NYSE closed — Independence Day"  # kept for the ICS


def test_key_dates_are_deduplicated_and_capped_keeping_the_readers_first() -> None:
    holidays = [
        market(MarketDateKind.HOLIDAY, TODAY + timedelta(days=i), f"Closed {i}") for i in range(12)
    ]
    watched = market(MarketDateKind.COMPANY, IN_20, "RTX earnings", "RTX")
    found = collect_key_dates(
        today=TODAY, market=[*holidays, *holidays, watched], watch=["RTX"], max_dates=10
    )
    assert len(found) == 10
    assert len({(d.day, d.title) for d in found}) == 10
    assert "RTX earnings" in [d.title for d in found]  # the reader's company first
    assert [d.day for d in found] == sorted(d.day for d in found)


def test_fomc_meetings_read_from_the_data() -> None:
    today = date(2025, 7, 1)
    found = collect_key_dates(today=today, market=fomc_dates(today, today + timedelta(days=45)))
    assert [(d.day, d.last_day, d.kind) for d in found] == [
        (date(2025, 7, 29), date(2025, 7, 30), "fomc_meeting")
    ]


RESULTS = (
    "Apple Inc. said on Monday it will report results for its fiscal third quarter on July 31."
)


def test_an_articles_company_event_is_named_for_the_company_and_quarter() -> None:
    links = company(RESULTS, "AAPL", "Apple", said="Apple Inc.")
    a = make_analysis(
        "a", text=RESULTS, companies=[links], key_dates=[key_date(RESULTS, "July 31", IN_20)]
    )
    (entry,) = article_dates(a, today=TODAY, last=TODAY + timedelta(days=45))
    assert entry.title == "AAPL earnings (fiscal Q3)"
    assert entry.kind == "company_event" and entry.tickers == ("AAPL",)
    assert entry.article_id == "a" and entry.url == "https://news.example/a"


def test_dates_behind_or_of_the_news_itself_are_not_ahead() -> None:
    text = "Lockheed Martin said on Friday it won a contract. Deliveries start on July 1."
    links = [company(text, "LMT", "Lockheed Martin", said="Lockheed Martin")]
    events = [
        event(text, "contract_award", "won a contract"),
        event(text, "product_event", "Deliveries"),
    ]
    friday = key_date(text, "Friday", TODAY, relation="ongoing")
    last_week = key_date(text, "July 1", TODAY - timedelta(days=7), relation="past")
    a = make_analysis("a", text=text, companies=links, events=events, key_dates=[friday, last_week])
    assert article_dates(a, today=TODAY, last=TODAY + timedelta(days=14)) == []


def test_an_articles_date_is_named_by_the_event_in_its_sentence() -> None:
    text = (
        "JPMorgan Chase raised its dividend. Analysts cheered. "
        "The buyback program takes effect on July 1 and has no fixed end date. "
        "Wells Fargo and Morgan Stanley will announce capital plans next week."
    )
    links = [
        company(text, "JPM", "JPMorgan Chase", said="JPMorgan Chase"),
        company(text, "WFC", "Wells Fargo", said="Wells Fargo", role=CompanyRole.MENTIONED),
    ]
    events = [event(text, "buyback", "buyback"), event(text, "dividend", "raised its dividend")]
    july_1 = key_date(text, "July 1", TODAY + timedelta(days=4))
    next_week = key_date(
        text, "next week", TODAY + timedelta(days=3), TODAY + timedelta(days=9), value="2025-W27"
    )
    a = make_analysis("a", text=text, companies=links, events=events, key_dates=[july_1, next_week])
    (entry,) = article_dates(a, today=TODAY, last=TODAY + timedelta(days=14))
    # The week of capital plans holds no event of the article: when, not what — left out.
    assert entry.title == "JPM buyback"  # no company in the sentence: the primary one
    assert entry.detail == "The buyback program takes effect on July 1 and has no fixed end date."
    assert entry.kind == "article" and entry.key is None


def test_months_and_quarters_are_no_calendar_lines() -> None:
    text = "The deal is expected to close in October after regulators approve the merger."
    a = make_analysis(
        "a",
        text=text,
        events=[event(text, "mna", "merger")],
        key_dates=[
            key_date(text, "October", date(2025, 10, 1), date(2025, 10, 31), value="2025-10")
        ],
    )
    assert article_dates(a, today=TODAY, last=date(2025, 12, 31)) == []


def test_briefing_key_dates_merge_the_calendar_and_the_articles_without_repeats() -> None:
    text = "Lockheed Martin is due to report second-quarter results on July 22."
    links = [company(text, "LMT", "Lockheed Martin", said="Lockheed Martin")]
    day = TODAY + timedelta(days=25)
    a = make_analysis("a", text=text, companies=links, key_dates=[key_date(text, "July 22", day)])
    b = make_analysis("b", text=text, companies=links, key_dates=[key_date(text, "July 22", day)])
    calendar_entry = MarketDate(
        MarketDateKind.COMPANY,
        day,
        day,
        "LMT earnings",
        "company/LMT/earnings/2025-Q3",
        detail="Lockheed Martin is due to report second-quarter results",
        tickers=("LMT",),
        event="earnings",
    )
    briefing = build_briefing(READER, [a, b], [], now=NOW, calendar=[calendar_entry])
    assert [(d.title, d.key) for d in briefing.key_dates] == [
        ("LMT earnings (Q2)", "company/LMT/earnings/2025-Q3")
    ]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("will report results for its fiscal third quarter", "fiscal Q3"),
        ("is due to report second-quarter results", "Q2"),
        ("fiscal-fourth-quarter results", "fiscal Q4"),
        ("Q1 results", "Q1"),
        ("annual results", None),
        (None, None),
    ],
)
def test_quarter_labels(text: str | None, label: str | None) -> None:
    assert quarter_label(text) == label
