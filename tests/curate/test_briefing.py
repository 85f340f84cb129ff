"""Briefings: watchlist hits rank first, duplicates collapse into one item, dates ahead only."""

from datetime import UTC, date, datetime, timedelta

from marketbrief.curate import build_briefing
from marketbrief.model import (
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    KeyDate,
    Reader,
    ReaderId,
    Sentiment,
    Span,
    Story,
    StoryId,
    Watchlist,
)

NOW = datetime(2025, 6, 27, 21, tzinfo=UTC)
READER = Reader(ReaderId(1), "reader@example.com", "Sample Reader", Watchlist(tickers=("RTX",)))


def analysis(
    i: str,
    importance: float,
    tickers: tuple[str, ...] = (),
    *,
    seen: int = 0,
    dates: tuple[KeyDate, ...] = (),
) -> Analysis:
    article = Article(
        ArticleId(i),
        f"https://x.example/{i}",
        f"Title {i}",
        "Sample text.",
        "en",
        NOW - timedelta(hours=seen),
        first_seen_at=NOW - timedelta(hours=seen),
    )
    companies = tuple(CompanyLink(t, t, "NYSE", CompanyRole.PRIMARY, 0.9, "named") for t in tickers)
    return Analysis(
        article,
        f"Summary {i}",
        companies=companies,
        importance=importance,
        sentiment=Sentiment("neutral", 0.0),
        key_dates=dates,
    )


def key_date(value: str, first: date, last: date, relation: str) -> KeyDate:
    return KeyDate(Span(0, 4, "soon"), "DATE", value, (first, last), f"event {value}", relation)


def test_watchlist_story_outranks_a_more_important_unwatched_one() -> None:
    briefing = build_briefing(
        READER, [analysis("a", 0.9), analysis("b", 0.5, ("RTX",))], [], now=NOW
    )
    assert [i.title for i in briefing.items] == ["Title b", "Title a"]
    assert briefing.items[0].matched == ("RTX",)


def test_duplicates_are_one_item_told_through_the_most_important_article() -> None:
    story = Story(StoryId("s-1"), (ArticleId("a"), ArticleId("b")), "Title a", NOW, NOW)
    briefing = build_briefing(READER, [analysis("a", 0.3), analysis("b", 0.6)], [story], now=NOW)
    assert len(briefing.items) == 1
    assert briefing.items[0].title == "Title b"
    assert briefing.items[0].sources_count == 2


def test_since_leaves_out_what_the_reader_has_seen() -> None:
    old, new = analysis("old", 0.9, seen=48), analysis("new", 0.1, seen=1)
    briefing = build_briefing(READER, [old, new], [], now=NOW, since=NOW - timedelta(hours=24))
    assert [i.title for i in briefing.items] == ["Title new"]


def test_key_dates_ahead_only_earliest_first_and_no_broad_periods() -> None:
    dates = (
        key_date("2025-07-30", date(2025, 7, 30), date(2025, 7, 30), "future"),
        key_date("2025-07", date(2025, 7, 1), date(2025, 7, 31), "future"),
        key_date("2025-06-24", date(2025, 6, 24), date(2025, 6, 24), "past"),
        key_date("2025-SU", date(2025, 6, 21), date(2025, 9, 22), "ongoing"),
        key_date("2025-Q3", date(2025, 7, 1), date(2025, 9, 30), "future"),
    )
    briefing = build_briefing(READER, [analysis("a", 0.5, dates=dates)], [], now=NOW)
    assert [d.value for d in briefing.key_dates] == ["2025-07", "2025-07-30"]
