"""Briefings: top stories ranked with the watchlist, the watchlist section with the why of each
link, what changed since the last briefing, links to the web reader."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from briefing_samples import (
    NOW,
    READER,
    company,
    event,
    key_date,
    make_analysis,
    make_story,
)

from marketbrief.curate import build_briefing
from marketbrief.curate.briefing import is_figure, split_added
from marketbrief.model import CompanyRole, Entity, Span, StoryId


def test_watchlist_story_outranks_a_more_important_unwatched_one() -> None:
    text = "RTX won an order."
    watched = make_analysis(
        "b", text=text, importance=0.5, companies=[company(text, "RTX", "RTX", said="RTX")]
    )
    briefing = build_briefing(READER, [make_analysis("a", importance=0.9), watched], [], now=NOW)
    assert [i.title for i in briefing.items] == ["Title b", "Title a"]
    assert briefing.items[0].matched == ("RTX",)


def test_a_story_is_one_item_told_through_its_most_important_article() -> None:
    a, b = make_analysis("a", importance=0.3), make_analysis("b", importance=0.6, source="Other")
    story = make_story("s-1", [a, b])
    briefing = build_briefing(READER, [a, b], [story], now=NOW)
    assert len(briefing.items) == 1
    item = briefing.items[0]
    assert (item.title, item.story_id, item.article_id) == ("Title b", "s-1", "b")
    assert item.articles_count == 2


def test_source_counts_are_independent_sources_not_articles() -> None:
    copies = [make_analysis(f"c{i}", source=f"Outlet {i}") for i in range(4)]
    story = make_story("s-1", copies, independent=2)  # two outlets reprinted a wire story
    (item,) = build_briefing(READER, copies, [story], now=NOW).items
    assert item.sources_count == 2
    assert item.articles_count == 4


def test_since_leaves_out_what_the_reader_has_seen() -> None:
    old, new = make_analysis("old", hours_ago=48), make_analysis("new", hours_ago=1)
    briefing = build_briefing(READER, [old, new], [], now=NOW, since=NOW - timedelta(hours=24))
    assert [i.title for i in briefing.items] == ["Title new"]


def test_new_to_the_reader_means_first_seen_after_their_last_briefing() -> None:
    # Published before the last briefing, but the feed listed it only after: still new.
    late = make_analysis("late", hours_ago=30)
    late = replace(late, article=replace(late.article, first_seen_at=NOW - timedelta(hours=2)))
    briefing = build_briefing(READER, [late], [], now=NOW, since=NOW - timedelta(hours=24))
    assert [i.article_id for i in briefing.items] == ["late"]


def test_links_to_the_source_and_to_the_web_reader() -> None:
    a = make_analysis("a/b c")  # an id that needs quoting in a path
    lone = make_analysis("lone")
    story = make_story("s-1", [a])
    briefing = build_briefing(
        READER, [a, lone], [story], now=NOW, public_url="https://mb.example/base/"
    )
    by_article = {i.article_id: i for i in briefing.items}
    grouped, alone = by_article["a/b c"], by_article["lone"]
    assert grouped.url == "https://news.example/a/b c"
    assert grouped.page_url == "https://mb.example/base/articles/a%2Fb%20c"
    assert grouped.story_url == "https://mb.example/base/stories/s-1"
    assert alone.page_url == "https://mb.example/base/articles/lone"
    assert alone.story_url is None  # no story page for an article alone
    no_base = build_briefing(READER, [a], [story], now=NOW).items[0]
    assert (no_base.page_url, no_base.story_url) == (None, None)


def test_each_top_story_has_an_insight_line() -> None:
    text = "Lockheed Martin won a contract for Patriot missiles. RTX makes the radar."
    a = make_analysis(
        "a",
        text=text,
        companies=[
            company(text, "LMT", "Lockheed Martin", said="Lockheed Martin"),
            company(
                text,
                "RTX",
                "RTX",
                role=CompanyRole.INDIRECT,
                why="Patriot air defense system: RTX (Raytheon) is the prime contractor",
            ),
        ],
        events=[event(text, "contract_award", "won a contract")],
    )
    (item,) = build_briefing(READER, [a], [], now=NOW).items
    assert item.insight == (
        "About your LMT; touches your RTX (Patriot air defense system) · contract award"
    )


# ── the watchlist section ────────────────────────────────────────────────────────────────────


def test_watchlist_section_per_watched_company_with_the_why_of_each_link() -> None:
    t1 = "Lockheed Martin won a contract."
    t2 = "The F-35 engine is built by Pratt & Whitney."
    t3 = "Chip stocks fell."
    a1 = make_analysis(
        "a1",
        text=t1,
        importance=0.6,
        companies=[company(t1, "LMT", "Lockheed Martin", said="Lockheed Martin", sentiment=0.6)],
    )
    a2 = make_analysis(
        "a2",
        text=t2,
        importance=0.4,
        companies=[
            company(t2, "LMT", "Lockheed Martin", role=CompanyRole.MENTIONED, relevance=0.3),
            company(
                t2,
                "RTX",
                "RTX",
                role=CompanyRole.INDIRECT,
                why="F135 engine of the F-35 is built by RTX's Pratt & Whitney",
                sentiment=None,
                relevance=0.2,
            ),
        ],
        sentiment="negative",
    )
    a3 = make_analysis("a3", text=t3, importance=0.9)
    briefing = build_briefing(READER, [a1, a2, a3], [], now=NOW)
    rtx, lmt = briefing.watchlist
    assert (rtx.ticker, lmt.ticker) == ("RTX", "LMT")  # the reader's order
    assert [s.item.article_id for s in lmt.stories] == ["a1", "a2"]
    first = lmt.stories[0]
    assert first.role is CompanyRole.PRIMARY
    assert first.why == "named as “Lockheed Martin”"  # without the "Name (TICKER): " prefix
    assert first.sentiment == 0.6
    (only,) = rtx.stories
    assert only.item.article_id == "a2"
    assert only.role is CompanyRole.INDIRECT
    assert only.why == "F135 engine of the F-35 is built by RTX's Pratt & Whitney"
    assert only.sentiment is None  # the template falls back on the article's sentiment


def test_a_watched_company_without_news_has_an_empty_section() -> None:
    briefing = build_briefing(READER, [make_analysis("a")], [], now=NOW)
    assert [(s.ticker, s.name, s.stories) for s in briefing.watchlist] == [
        ("RTX", None, ()),
        ("LMT", None, ()),
    ]


def test_watchlist_stories_are_capped_per_company() -> None:
    text = "RTX news."
    many = [
        make_analysis(f"a{i}", text=text, companies=[company(text, "RTX", "RTX", said="RTX")])
        for i in range(6)
    ]
    briefing = build_briefing(READER, many, [], now=NOW, max_per_company=3)
    assert len(briefing.watchlist[0].stories) == 3


# ── what changed ─────────────────────────────────────────────────────────────────────────────


def test_what_changed_shows_only_stories_updated_since_the_last_briefing() -> None:
    since = NOW - timedelta(hours=24)
    text = "Micron said revenue rose 36% to $9.2 billion, with help from Norway."
    seen = make_analysis("seen", hours_ago=30, source="Wire A")
    update = make_analysis(
        "update",
        text=text,
        hours_ago=2,
        source="Wire B",
        companies=[company(text, "MU", "Micron", said="Micron")],
    )
    update = replace(update, entities=(Entity(span_of(text, "Norway"), "GPE"),))
    updated = make_story(
        "s-updated",
        [seen, update],
        added={"update": ("36%", "$9.2 billion", "22", "Norway", "Stocks Firm", "Friday")},
        novelty={"update": 0.7},
    )
    fresh = make_analysis("fresh", hours_ago=3)
    new_story = make_story("s-new", [fresh])
    stale = make_analysis("stale", hours_ago=40)
    old_story = make_story("s-old", [stale])
    briefing = build_briefing(
        READER,
        [seen, update, fresh, stale],
        [updated, new_story, old_story],
        now=NOW,
        since=since,
    )
    assert [i.story_id for i in briefing.items] == ["s-new"]  # updates are not top stories
    (change,) = briefing.changes
    assert change.item.story_id == "s-updated"
    assert change.item.article_id == "update"  # told through the new article
    assert change.new_articles == 1
    assert change.new_sources == ("Wire B",)
    assert change.figures == ("36%", "$9.2 billion")  # "22" is no figure
    assert change.names == ("Norway",)  # a headline's capitals and a weekday are not names
    assert change.novelty == 0.7


def test_no_changes_in_a_first_briefing() -> None:
    a, b = make_analysis("a", hours_ago=30), make_analysis("b", hours_ago=2)
    story = make_story("s-1", [a, b])
    briefing = build_briefing(READER, [a, b], [story], now=NOW, since=None)
    assert briefing.changes == ()
    assert [i.story_id for i in briefing.items] == ["s-1"]


def test_a_source_that_covered_the_story_before_is_not_new() -> None:
    since = NOW - timedelta(hours=24)
    a = make_analysis("a", hours_ago=30, source="Wire A")
    b = make_analysis("b", hours_ago=2, source="Wire A")
    briefing = build_briefing(READER, [a, b], [make_story("s", [a, b])], now=NOW, since=since)
    (change,) = briefing.changes
    assert change.new_sources == ()


def test_figures_and_names_of_what_an_article_added() -> None:
    assert all(map(is_figure, ["$9.2 billion", "36%", "1,200", "3.5", "€40 million", "450"]))
    assert not any(map(is_figure, ["22", "2035", "F-35", "Billion F-35 Support Contract", ""]))
    figures, names = split_added(["36%", "Norway", "July"], None)
    assert (figures, names) == (["36%"], ["Norway"])


def span_of(text: str, words: str) -> Span:
    start = text.index(words)
    return Span(start, start + len(words), words)


# ── key dates (more in test_briefing_dates.py) ───────────────────────────────────────────────


def test_key_dates_come_from_the_top_stories_and_the_calendar() -> None:
    text = "Lockheed Martin is due to report second-quarter results on July 22."
    a = make_analysis(
        "a",
        text=text,
        companies=[company(text, "LMT", "Lockheed Martin", said="Lockheed Martin")],
        key_dates=[
            key_date(
                text,
                "July 22",
                NOW.date() + timedelta(days=25),
                phrase="Lockheed Martin is due to report second-quarter results",
            )
        ],
    )
    briefing = build_briefing(READER, [a], [], now=NOW)
    assert [(d.title, d.kind) for d in briefing.key_dates] == [
        ("LMT earnings (Q2)", "company_event")
    ]
    assert briefing.items[0].insight.endswith("LMT earnings (Q2) Jul 22")


def test_story_ids_are_the_stories() -> None:
    a = make_analysis("a")
    briefing = build_briefing(READER, [a], [make_story("s-9", [a])], now=NOW)
    assert briefing.items[0].story_id == StoryId("s-9")
