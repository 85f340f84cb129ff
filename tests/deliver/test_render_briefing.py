"""The briefing's sections as HTML and text: order, links to the source and the web reader,
escaping of hostile text in every section, lines that fit, the key dates in the ICS."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from marketbrief.deliver import build_calendar, build_market_ics, stable_uid
from marketbrief.deliver.render import (
    change_summary,
    company_sentiment,
    render_briefing_html,
    render_briefing_text,
)
from marketbrief.model import (
    ArticleId,
    Briefing,
    BriefingItem,
    CalendarEntry,
    CompanyLink,
    CompanyRole,
    Reader,
    ReaderId,
    Sentiment,
    StoryChange,
    StoryId,
    Watchlist,
    WatchlistSection,
    WatchlistStory,
)

NOW = datetime(2025, 6, 27, 22, tzinfo=UTC)
WEB = "https://mb.example"
SECTIONS = (
    "Top stories",
    "Your watchlist",
    "Key dates ahead",
    "What changed since your last briefing",
)


def item(n: int, title: str = "", **changes: object) -> BriefingItem:
    base = BriefingItem(
        story_id=StoryId(f"s-{n}"),
        title=title or f"Story {n} headline",
        summary=f"Summary of story {n}.",
        url=f"https://news.example/{n}",
        source="Sample Wire",
        published_at=NOW,
        companies=(CompanyLink("RTX", "RTX", "NYSE", CompanyRole.INDIRECT, 0.4, "Patriot"),),
        events=("contract_award",),
        sentiment=Sentiment("positive", 0.4),
        importance=0.5,
        sources_count=3,
        matched=("RTX",),
        insight="Touches your RTX (Patriot air defense system) · contract award · positive",
        article_id=ArticleId(f"a{n}"),
        page_url=f"{WEB}/articles/a{n}",
        story_url=f"{WEB}/stories/s-{n}",
        articles_count=4,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def briefing(hostile: str = "") -> Briefing:
    top = item(1, hostile)
    watched = WatchlistStory(item(2, hostile), CompanyRole.PRIMARY, hostile or "named", 0.6)
    change = StoryChange(
        item(3, hostile),
        new_articles=2,
        new_sources=(hostile or "Meridian Wire",),
        figures=("$9.2 billion", "36%"),
        names=(hostile or "Norway",),
        novelty=0.6,
    )
    dates = (
        CalendarEntry(
            date(2025, 7, 1),
            date(2025, 7, 1),
            hostile or "JPM buyback",
            "2025-07-01",
            ArticleId("a1"),
            "https://news.example/1",
            detail=hostile or "The buyback program takes effect on July 1.",
            tickers=("JPM",),
        ),
        CalendarEntry(
            date(2025, 7, 4),
            date(2025, 7, 4),
            "NYSE closed — Independence Day",
            "2025-07-04",
            None,
            None,
            kind="market_holiday",
            key="xnys/holiday/2025/independence-day",
        ),
    )
    reader = Reader(ReaderId(7), "reader@example.com", "Sam", Watchlist(("RTX", "LMT")))
    return Briefing(
        reader,
        NOW,
        datetime(2025, 6, 26, 22, tzinfo=UTC),
        (top,),
        dates,
        watchlist=(
            WatchlistSection("RTX", hostile or "RTX Corporation", (watched,)),
            WatchlistSection("LMT", None, ()),
        ),
        changes=(change,),
    )


def headings(html: str, text: str) -> tuple[list[str], list[str]]:
    """The section headings of the HTML (``<h2>`` of the section style) and of the text (lines
    over a rule of ``=``), in order."""
    in_html = re.findall(r"<h2[^>]*text-transform:uppercase[^>]*>([^<]+)</h2>", html)
    in_text = re.findall(r"^([A-Z][a-z ]+)\n=+$", text, re.MULTILINE)
    return in_html, in_text


def test_sections_are_present_and_in_order() -> None:
    b = briefing()
    html, text = render_briefing_html(b), render_briefing_text(b)
    assert headings(html, text) == (list(SECTIONS), list(SECTIONS))
    assert "Nothing new on LMT." in html and "Nothing new on LMT." in text
    assert "1 updated" in html


def test_empty_sections_are_left_out() -> None:
    b = replace(briefing(), watchlist=(), changes=(), key_dates=())
    html, text = render_briefing_html(b), render_briefing_text(b)
    assert headings(html, text) == (["Top stories"], ["Top stories"])


def test_nothing_new_still_says_so_under_top_stories() -> None:
    b = replace(briefing(), items=())
    assert "Nothing new since your last briefing." in render_briefing_html(b)
    assert "Nothing new since your last briefing." in render_briefing_text(b)


def test_each_story_links_to_its_source_and_its_web_reader_pages() -> None:
    html = render_briefing_html(briefing())
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert "https://news.example/1" in hrefs  # the title: the source
    assert f"{WEB}/articles/a1" in hrefs and f"{WEB}/stories/s-1" in hrefs
    assert "the whole story (4 articles)" in html
    assert f"{WEB}/stories/s-3" in hrefs  # a changed story: its story page
    text = render_briefing_text(briefing())
    assert "Source: https://news.example/1" in text and f"Story:  {WEB}/stories/s-1" in text


def test_only_web_links_become_links_in_every_section() -> None:
    bad = "javascript:alert(1)"
    b = briefing()
    b = replace(
        b,
        items=(item(1, url=bad, page_url=bad, story_url=bad),),
        watchlist=(
            WatchlistSection(
                "RTX",
                None,
                (
                    WatchlistStory(
                        item(2, url=bad, story_url=bad, page_url=bad),
                        CompanyRole.PRIMARY,
                        "named",
                        None,
                    ),
                ),
            ),
        ),
        changes=(StoryChange(item(3, url=bad, story_url=bad), 1, ()),),
        key_dates=(replace(b.key_dates[0], url=bad),),
    )
    assert "javascript:" not in render_briefing_html(b)


def test_insight_replaces_the_watchlist_labels_and_is_styled() -> None:
    html = render_briefing_html(briefing())
    assert 'class="mb-insight"' in html
    assert "Touches your RTX (Patriot air defense system)" in html
    assert "On your watchlist:" not in html  # the insight says it already
    plain = replace(briefing(), items=(item(1, insight=""),))
    assert "On your watchlist: RTX" in render_briefing_html(plain)


HOSTILE = '<script>alert(1)</script> & "quoted" <img src=x onerror=alert(2)>'


def test_hostile_text_is_escaped_in_every_section() -> None:
    b = briefing(HOSTILE)
    html = render_briefing_html(b)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ") >= 6
    text = render_briefing_text(b)
    assert text.count("<script>alert(1)</script>") >= 5  # plain text stays as written


def test_a_title_with_line_breaks_stays_on_its_lines() -> None:
    b = briefing("Line one\r\nBcc: x@evil.example\tend")
    text = render_briefing_text(b)
    assert "\nBcc:" not in text and "\r" not in text


def test_text_lines_fit_but_for_links() -> None:
    long = "A remarkably long headline about defense contractors and missiles " * 3
    text = render_briefing_text(briefing(long))
    for line in text.splitlines():
        bare = line.strip()
        is_link = bare.startswith(("http", "Source:", "Story:", "Page:", "Unsubscribe:"))
        assert len(line) <= 78 or is_link, line


def test_inline_styles_and_dark_palette_for_the_new_elements() -> None:
    html = render_briefing_html(briefing())
    for tag in re.findall(r"<(?:h1|h2|h3|p|td|span|a)\b[^>]*class=\"[^\"]*mb-[^>]*>", html):
        assert 'style="' in tag, tag
    assert ".mb-insight {" in html and ".mb-neu {" in html


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            StoryChange(item(1), 2, ("Meridian Wire",), ("$9.2 billion", "36%"), ("Norway",), 0.6),
            "2 new articles · 1 new source: Meridian Wire · new figures: $9.2 billion, 36%"
            " · new names: Norway",
        ),
        (StoryChange(item(1), 1, (), novelty=0.02), "1 new article · repeating what was known"),
        (StoryChange(item(1), 3, ("A", "B"), novelty=0.5), "3 new articles · 2 new sources: A, B"),
    ],
)
def test_change_summaries(change: StoryChange, line: str) -> None:
    assert change_summary(change) == line


def test_company_sentiment_falls_back_on_the_articles() -> None:
    story = WatchlistStory(item(1), CompanyRole.PRIMARY, "named", None)
    assert company_sentiment(story) == "positive"  # the article's
    assert company_sentiment(replace(story, sentiment=-0.7)) == "negative"
    assert company_sentiment(replace(story, sentiment=0.1)) == "neutral"


def test_ics_holds_the_key_dates_and_a_market_date_keeps_its_market_uid() -> None:
    b = briefing()
    events = list(Calendar.from_ical(build_calendar(b.key_dates, name="n", now=NOW)).walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["JPM buyback", "NYSE closed — Independence Day"]
    assert "The buyback program takes effect on July 1." in str(events[0]["description"])
    holiday = b.key_dates[1]
    market = Calendar.from_ical(build_market_ics([_market(holiday)], now=NOW)).walk("VEVENT")[0]
    assert str(events[1]["uid"]) == str(market["uid"]) == stable_uid(f"market|{holiday.key}")


def _market(entry: CalendarEntry) -> object:
    from marketbrief.curate.calendar import MarketDate, MarketDateKind

    assert entry.key is not None
    return MarketDate(MarketDateKind.HOLIDAY, entry.day, entry.last_day, entry.title, entry.key)


def test_a_reader_without_a_name_is_not_addressed_by_one() -> None:
    named = briefing()
    unnamed = replace(named, reader=replace(named.reader, name="  "))
    assert "For Sam · " in render_briefing_html(named)
    for page in (render_briefing_html(unnamed), render_briefing_text(unnamed)):
        assert "For " not in page.split("Top stories")[0]
        assert "For  ·" not in page and "For ·" not in page
