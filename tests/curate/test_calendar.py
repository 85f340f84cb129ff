"""The market calendar: NYSE closures and early closes, FOMC meetings, company events, keys."""

from __future__ import annotations

import csv
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.curate.calendar import (
    MarketDate,
    MarketDateKind,
    _sentence,
    build_market_calendar,
    company_events,
    end_of_day,
    exchange_dates,
    fomc_dates,
    load_fomc_meetings,
    merge_company_events,
)
from marketbrief.enrich.kb import load_kb
from marketbrief.enrich.pipeline import enrich_article
from marketbrief.model import (
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    KeyDate,
    Span,
)

PUBLISHED = datetime(2025, 6, 25, 14, 0, tzinfo=UTC)  # a Wednesday


# ── the exchange ─────────────────────────────────────────────────────────────────────────────


def by_day(first: date, last: date) -> dict[date, MarketDate]:
    return {d.day: d for d in exchange_dates(first, last)}


def test_nyse_holidays_and_early_closes_of_2025_and_2026() -> None:
    days = by_day(date(2025, 1, 1), date(2026, 12, 31))
    closed = {d for d, e in days.items() if e.kind is MarketDateKind.HOLIDAY}
    early = {d for d, e in days.items() if e.kind is MarketDateKind.EARLY_CLOSE}
    assert date(2025, 7, 4) in closed
    assert date(2025, 11, 27) in closed  # Thanksgiving
    assert date(2025, 4, 18) in closed  # Good Friday 2025
    assert date(2026, 4, 3) in closed  # Good Friday 2026
    assert date(2026, 7, 3) in closed  # July 4, 2026 is a Saturday: observed on Friday
    assert date(2025, 1, 9) in closed  # the ad-hoc closure (national day of mourning)
    assert {date(2025, 7, 3), date(2025, 11, 28), date(2025, 12, 24)} <= early
    assert {date(2026, 11, 27), date(2026, 12, 24)} <= early
    assert len(closed) == 21  # 10 regular holidays a year, and the ad-hoc closure of 2025
    assert all(d.weekday() < 5 for d in days)  # weekends are not listed
    assert date(2025, 7, 7) not in days  # an ordinary Monday


def test_holiday_and_early_close_entries_say_what_and_when() -> None:
    days = by_day(date(2025, 7, 1), date(2025, 12, 31))
    july4 = days[date(2025, 7, 4)]
    assert july4.title == "NYSE closed — Independence Day"
    assert july4.key == "xnys/holiday/2025/independence-day"
    assert (july4.day, july4.last_day, july4.tickers) == (date(2025, 7, 4), date(2025, 7, 4), ())
    black_friday = days[date(2025, 11, 28)]
    assert black_friday.kind is MarketDateKind.EARLY_CLOSE
    assert black_friday.title == "NYSE closes early at 1:00 p.m. ET — day after Thanksgiving"
    assert black_friday.key == "xnys/early-close/2025/day-after-thanksgiving"
    special = by_day(date(2025, 1, 9), date(2025, 1, 9))[date(2025, 1, 9)]
    assert special.key == "xnys/closed/2025-01-09"


def test_holiday_keys_name_the_holiday_and_year_and_never_repeat() -> None:
    dates = exchange_dates(date(2024, 1, 1), date(2027, 12, 31))
    keys = [d.key for d in dates]
    assert len(keys) == len(set(keys))
    assert "xnys/holiday/2026/good-friday" in keys


def test_an_empty_or_reversed_window_has_no_exchange_dates() -> None:
    assert exchange_dates(date(2025, 7, 5), date(2025, 7, 6)) == []  # a weekend
    assert exchange_dates(date(2025, 7, 6), date(2025, 7, 1)) == []


def test_a_window_across_new_year_holds_the_days_of_both_years() -> None:
    days = by_day(date(2025, 12, 20), date(2026, 1, 5))
    assert sorted(days) == [date(2025, 12, 24), date(2025, 12, 25), date(2026, 1, 1)]


def test_threads_asking_at_once_get_the_same_days() -> None:
    # The web app asks from its thread pool; the exchange calendar is built once, under a lock.
    windows = [(date(2027, 1, 1) + timedelta(days=i), date(2027, 12, 31)) for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda w: exchange_dates(*w), windows))
    for (first, last), found in zip(windows, results, strict=True):
        assert found == [d for d in results[0] if first <= d.day <= last]
    assert date(2027, 11, 25) in {d.day for d in results[0]}  # Thanksgiving 2027


# ── FOMC ─────────────────────────────────────────────────────────────────────────────────────


def test_the_fomc_data_file_holds_eight_two_day_meetings_a_year() -> None:
    meetings = load_fomc_meetings()
    years = {m.first_day.year for m in meetings}
    assert {2024, 2025, 2026} <= years
    for year in years:
        assert sum(m.first_day.year == year for m in meetings) == 8
    assert len({m.id for m in meetings}) == len(meetings)
    for m in meetings:
        assert m.last_day - m.first_day == timedelta(days=1)
        assert m.id.startswith(f"{m.first_day.year}-")
        assert m.status in ("held", "scheduled", "tentative")
    # Decisions come on Wednesdays, but for the Wednesday–Thursday meeting of the 2024 election.
    odd = [m for m in meetings if m.last_day.weekday() != 2]
    assert [(m.first_day, m.last_day) for m in odd] == [(date(2024, 11, 6), date(2024, 11, 7))]
    assert all(m.confirmed for m in meetings if m.first_day.year <= 2026)


def test_known_fomc_meetings() -> None:
    decisions = {m.last_day for m in load_fomc_meetings()}
    assert {date(2024, 9, 18), date(2025, 7, 30), date(2025, 12, 10), date(2026, 1, 28)} <= (
        decisions
    )
    assert {date(2026, 3, 18), date(2026, 6, 17), date(2026, 12, 9)} <= decisions


def test_the_fomc_data_file_notes_its_source() -> None:
    data = resources.files("marketbrief.curate").joinpath("data")
    sources = data.joinpath("SOURCES.md").read_text("utf-8")
    assert "federalreserve.gov/monetarypolicy/fomccalendars.htm" in sources
    header = next(csv.reader(data.joinpath("fomc.csv").read_text("utf-8").splitlines()))
    for column in header:
        assert f"`{column}`" in sources


def test_an_fomc_meeting_is_one_entry_over_both_days() -> None:
    (july,) = fomc_dates(date(2025, 7, 1), date(2025, 7, 31))
    assert (july.day, july.last_day) == (date(2025, 7, 29), date(2025, 7, 30))
    assert july.kind is MarketDateKind.FOMC
    assert july.key == "fomc/2025-5"
    assert july.title == "FOMC meeting — rate decision Jul 30"
    assert july.detail is not None and "2:00 p.m. ET" in july.detail
    (september,) = fomc_dates(date(2025, 9, 1), date(2025, 9, 30))
    assert september.detail is not None and "Summary of Economic Projections" in september.detail
    # A window that starts on the decision day still shows the meeting.
    assert fomc_dates(date(2025, 7, 30), date(2025, 8, 15)) == [july]
    assert fomc_dates(date(2025, 7, 31), date(2025, 9, 15)) == []


# ── company events ───────────────────────────────────────────────────────────────────────────


def span_of(text: str, words: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = text.index(words, start + 1)
    return Span(start, start + len(words), words)


def written(
    text: str,
    *,
    companies: dict[str, tuple[CompanyRole, tuple[str, ...]]],
    dates: list[tuple[str, date, str, str | None]],
    article_id: str = "a1",
    published_at: datetime = PUBLISHED,
) -> Analysis:
    """An analysis of ``text`` with the given companies (role, mention texts) and key dates
    (text, day, relation, event phrase)."""
    return Analysis(
        article=Article(
            ArticleId(article_id),
            f"https://news.example/{article_id}",
            "Sample",
            text,
            "en",
            published_at,
        ),
        summary="",
        companies=tuple(
            CompanyLink(
                ticker,
                ticker,
                "NYSE",
                role,
                0.9,
                "named",
                mentions=tuple(span_of(text, m) for m in mentions),
            )
            for ticker, (role, mentions) in companies.items()
        ),
        key_dates=tuple(
            KeyDate(span_of(text, words), "DATE", day.isoformat(), (day, day), event, relation)
            for words, day, relation, event in dates
        ),
    )


def test_results_date_stated_in_a_sentence_naming_the_company() -> None:
    text = "Northwind news. Lockheed Martin will report second-quarter results on July 22."
    analysis = written(
        text,
        companies={"LMT": (CompanyRole.MENTIONED, ("Lockheed Martin",))},
        dates=[("July 22", date(2025, 7, 22), "future", "will report second-quarter results")],
    )
    (event,) = company_events(analysis)
    assert event.kind is MarketDateKind.COMPANY
    assert (event.day, event.tickers, event.event) == (date(2025, 7, 22), ("LMT",), "earnings")
    assert event.key == "company/LMT/earnings/2025-Q3"
    assert event.title == "LMT earnings"
    assert event.detail == "will report second-quarter results"
    assert event.article_id == "a1" and event.url == "https://news.example/a1"
    assert event.stated_at == PUBLISHED


def test_a_sentence_without_a_company_falls_back_on_the_primary_one() -> None:
    text = "RTX Corp. raised its forecast. The company holds its annual meeting on May 8, 2026."
    companies = {"RTX": (CompanyRole.PRIMARY, ("RTX Corp.",))}
    dates = [("May 8, 2026", date(2026, 5, 8), "future", None)]
    (event,) = company_events(written(text, companies=companies, dates=dates))
    assert (event.tickers, event.event, event.key) == (
        ("RTX",),
        "annual meeting",
        "company/RTX/annual-meeting/2026",
    )
    # A mentioned (not primary) company of another sentence does not take the event.
    mentioned = {"RTX": (CompanyRole.MENTIONED, ("RTX Corp.",))}
    assert company_events(written(text, companies=mentioned, dates=dates)) == []


def test_broad_words_need_the_company_named_in_the_sentence() -> None:
    text = "Acme Corp. is the subject. Shareholders will vote on the plan on July 10."
    companies = {"ACME": (CompanyRole.PRIMARY, ("Acme Corp.",))}
    dates = [("July 10", date(2025, 7, 10), "future", "Shareholders will vote on the plan")]
    assert company_events(written(text, companies=companies, dates=dates)) == []
    text = "Acme Corp. shareholders will vote on the plan on July 10."
    dates = [
        ("July 10", date(2025, 7, 10), "future", "Acme Corp shareholders will vote on the plan")
    ]
    (vote,) = company_events(written(text, companies=companies, dates=dates))
    assert vote.event == "vote"
    assert vote.key == "company/ACME/vote/2025-Q3/vote-plan"


def test_what_is_not_a_company_event() -> None:
    text = (
        "Apple Inc. said on Tuesday that sales rose. "
        "Apple shares may move when the Fed meets on July 30. "
        "Apple will report results in August. "
        "Apple will open a store on July 12."
    )
    companies = {"AAPL": (CompanyRole.PRIMARY, ("Apple Inc.",))}
    dates = [
        ("Tuesday", date(2025, 6, 24), "past", "said … that sales rose"),  # past
        ("July 30", date(2025, 7, 30), "future", "Fed meets"),  # the Fed's, not Apple's
        ("July 12", date(2025, 7, 12), "future", "Apple will open a store"),  # no event word
    ]
    analysis = written(text, companies=companies, dates=dates)
    month = KeyDate(
        span_of(text, "August"),
        "DATE",
        "2025-08",
        (date(2025, 8, 1), date(2025, 8, 31)),
        "Apple will report results",
        "future",
    )  # a month says too loosely when
    ongoing = KeyDate(
        span_of(text, "July 12"),
        "DATE",
        "2025-06-25",
        (PUBLISHED.date(),) * 2,
        "results",
        "ongoing",
    )  # the day of the article: the news itself
    analysis = replace(analysis, key_dates=(*analysis.key_dates, month, ongoing))
    assert company_events(analysis) == []


def test_two_companies_in_one_sentence_each_get_their_own_event() -> None:
    text = (
        "Apple Inc. will hold its product launch event on Sept. 9, while Microsoft Corp. "
        "has set its earnings call for July 30."
    )
    companies = {
        "AAPL": (CompanyRole.MENTIONED, ("Apple Inc.",)),
        "MSFT": (CompanyRole.MENTIONED, ("Microsoft Corp.",)),
    }
    dates = [
        ("Sept. 9", date(2025, 9, 9), "future", "Apple Inc will hold its product launch event"),
        ("July 30", date(2025, 7, 30), "future", "Microsoft Corp has set its earnings call"),
    ]
    events = {e.tickers: e for e in company_events(written(text, companies=companies, dates=dates))}
    assert set(events) == {("AAPL",), ("MSFT",)}
    assert events[("AAPL",)].event == "product launch"
    assert events[("AAPL",)].day == date(2025, 9, 9)
    assert events[("MSFT",)].event == "earnings call"
    assert events[("MSFT",)].day == date(2025, 7, 30)


def test_both_companies_of_a_shared_event() -> None:
    text = "RTX and Lockheed Martin are both scheduled to report second-quarter results on July 22."
    companies = {
        "RTX": (CompanyRole.MENTIONED, ("RTX",)),
        "LMT": (CompanyRole.MENTIONED, ("Lockheed Martin",)),
    }
    dates = [("July 22", date(2025, 7, 22), "future", None)]  # no event phrase: the sentence
    events = company_events(written(text, companies=companies, dates=dates))
    assert sorted(e.key for e in events) == [
        "company/LMT/earnings/2025-Q3",
        "company/RTX/earnings/2025-Q3",
    ]


# A sample article written for these tests (real tickers, invented events), run through the
# real enrichment pipeline: the tagger's key dates and the linker's companies.
SAMPLE_ARTICLE = (
    "Lockheed Martin Corp. (NYSE: LMT) will report second-quarter results on July 22, the "
    "company said on Monday. Its annual shareholders meeting is set for May 8, 2026.\n"
    "RTX Corp. plans an investor day next Tuesday in New York. Investors will also watch the "
    "Fed, which meets on July 29 and 30. Shareholders will vote on the plan on July 10.\n"
    "Lockheed said on Tuesday it delivered 30 jets in the first half. Apple Inc. will hold its "
    "product launch event on Sept. 9, while Microsoft Corp. has set its earnings call for "
    "July 30."
)


def test_company_events_of_a_written_article() -> None:
    article = Article(ArticleId("sample"), None, None, SAMPLE_ARTICLE, "en", PUBLISHED)
    events = company_events(enrich_article(article, load_kb(None)))
    found = {(e.tickers[0], e.event, e.day) for e in events}
    assert found == {
        ("LMT", "earnings", date(2025, 7, 22)),
        ("LMT", "annual meeting", date(2026, 5, 8)),
        ("RTX", "investor day", date(2025, 7, 1)),  # "next Tuesday" from Wednesday, June 25
        ("AAPL", "product launch", date(2025, 9, 9)),
        ("MSFT", "earnings call", date(2025, 7, 30)),
    }


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("Ab. \n!?1”'"), max_size=80), st.data())
def test_a_sentence_holds_its_span(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    left, right = _sentence(text, start, end)
    assert 0 <= left <= start <= end <= right <= len(text)


# ── merging, keys and the calendar ───────────────────────────────────────────────────────────


def earnings(day: date, published: datetime, article_id: str) -> Analysis:
    text = f"Apple Inc. will report results on {day:%B} {day.day}."
    return written(
        text,
        companies={"AAPL": (CompanyRole.PRIMARY, ("Apple Inc.",))},
        dates=[(f"{day:%B} {day.day}", day, "future", "Apple Inc will report results")],
        article_id=article_id,
        published_at=published,
    )


def test_a_moved_date_keeps_its_key_and_the_newest_article_wins() -> None:
    first = company_events(earnings(date(2025, 7, 31), PUBLISHED, "old"))
    moved = company_events(earnings(date(2025, 8, 5), PUBLISHED + timedelta(days=3), "new"))
    assert [e.key for e in first] == [e.key for e in moved] == ["company/AAPL/earnings/2025-Q3"]
    (merged,) = merge_company_events([*moved, *first])  # in any order
    assert (merged.day, merged.article_id, merged.revision) == (date(2025, 8, 5), "new", 1)
    again = company_events(earnings(date(2025, 8, 5), PUBLISHED + timedelta(days=4), "again"))
    (merged,) = merge_company_events([*first, *moved, *again])
    assert (merged.day, merged.article_id, merged.revision) == (date(2025, 8, 5), "again", 1)


def test_different_events_have_different_keys() -> None:
    analyses = [
        earnings(date(2025, 7, 31), PUBLISHED, "q3"),
        earnings(date(2025, 10, 30), PUBLISHED, "q4"),
        written(
            "Apple Inc. will hold its annual meeting on July 31.",
            companies={"AAPL": (CompanyRole.PRIMARY, ("Apple Inc.",))},
            dates=[("July 31", date(2025, 7, 31), "future", "will hold its annual meeting")],
        ),
        written(
            "Microsoft Corp. will report results on July 31.",
            companies={"MSFT": (CompanyRole.PRIMARY, ("Microsoft Corp.",))},
            dates=[("July 31", date(2025, 7, 31), "future", "will report results")],
        ),
    ]
    keys = [e.key for a in analyses for e in company_events(a)]
    assert len(keys) == 4 == len(set(keys))


def test_the_calendar_lists_the_window_by_date() -> None:
    analyses = [
        earnings(date(2025, 7, 31), PUBLISHED, "aapl"),
        earnings(date(2025, 10, 30), PUBLISHED, "later"),  # another quarter, outside
    ]
    calendar = build_market_calendar(analyses, as_of=date(2025, 6, 27), days=40)
    assert (calendar.first_day, calendar.last_day) == (date(2025, 6, 27), date(2025, 8, 6))
    assert [(d.day, d.kind.value) for d in calendar.dates] == [
        (date(2025, 7, 3), "early_close"),
        (date(2025, 7, 4), "market_holiday"),
        (date(2025, 7, 29), "fomc_meeting"),
        (date(2025, 7, 31), "company_event"),
    ]


def test_watch_keeps_market_dates_and_only_the_watched_companies() -> None:
    msft = written(
        "Microsoft Corp. will report results on July 30.",
        companies={"MSFT": (CompanyRole.PRIMARY, ("Microsoft Corp.",))},
        dates=[("July 30", date(2025, 7, 30), "future", "will report results")],
        article_id="msft",
    )
    analyses = [earnings(date(2025, 7, 31), PUBLISHED, "aapl"), msft]
    watched = build_market_calendar(analyses, as_of=date(2025, 7, 1), days=31, watch=["$aapl "])
    assert watched.watch == ("AAPL",)
    kinds = [(d.kind.value, d.tickers) for d in watched.dates]
    assert ("company_event", ("AAPL",)) in kinds
    assert ("company_event", ("MSFT",)) not in kinds
    assert ("market_holiday", ()) in kinds and ("fomc_meeting", ()) in kinds
    everyone = build_market_calendar(analyses, as_of=date(2025, 7, 1), days=31)
    assert len(everyone.dates) == len(watched.dates) + 1


def test_as_of_reads_only_what_was_published_by_then() -> None:
    old = earnings(date(2025, 7, 31), PUBLISHED, "old")
    moved = earnings(date(2025, 8, 5), datetime(2025, 7, 10, 15, tzinfo=UTC), "new")
    before = build_market_calendar([old, moved], as_of=date(2025, 7, 9), days=60, exchange=None)
    after = build_market_calendar([old, moved], as_of=date(2025, 7, 10), days=60, exchange=None)
    company = MarketDateKind.COMPANY
    assert [d.day for d in before.dates if d.kind is company] == [date(2025, 7, 31)]
    assert [d.day for d in after.dates if d.kind is company] == [date(2025, 8, 5)]


def test_an_event_moved_out_of_the_window_leaves_it() -> None:
    old = earnings(date(2025, 7, 31), PUBLISHED, "old")
    moved = earnings(date(2025, 9, 2), PUBLISHED + timedelta(days=1), "new")  # still Q3
    calendar = build_market_calendar([old, moved], as_of=date(2025, 7, 1), days=40, exchange=None)
    assert all(d.kind is not MarketDateKind.COMPANY for d in calendar.dates)


def test_end_of_day_is_new_york_midnight() -> None:
    assert end_of_day(date(2025, 7, 1)) == datetime(2025, 7, 2, 4, tzinfo=UTC)  # EDT
    assert end_of_day(date(2025, 12, 1)) == datetime(2025, 12, 2, 5, tzinfo=UTC)  # EST


@pytest.mark.parametrize("module", ["marketbrief.cli", "marketbrief.curate"])
def test_start_up_does_not_import_pandas(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in ('pandas', 'exchange_calendars') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
