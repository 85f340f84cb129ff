"""Which stories alert a reader (curate.alerts, pure): direct links to watched companies and
the thresholds, sectors and event types, freshness, confirmation, one alert per story, the
article that tells it, and the order."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from briefing_samples import NOW, company, event, make_analysis, make_story

from marketbrief.curate.alerts import (
    FRESH_FOR,
    MENTION_RELEVANCE,
    TICKER_IMPORTANCE,
    TOPIC_IMPORTANCE,
    direct_link,
    select_alerts,
)
from marketbrief.model import (
    Analysis,
    CompanyRole,
    Reader,
    ReaderId,
    Story,
    StoryId,
    Watchlist,
)

WEB = "https://mb.example"
TEXT = "Lockheed Martin and RTX won a sample order for the Patriot system."
READER = Reader(
    ReaderId(7),
    "ada@example.com",
    "Ada",
    Watchlist(tickers=("RTX",), sectors=("Energy",), event_types=("mna",)),
    cadence="alerts",
    confirmed_at=NOW - timedelta(days=3),
)


def rtx(role: CompanyRole = CompanyRole.PRIMARY, relevance: float = 0.9) -> object:
    return company(TEXT, "RTX", "RTX Corporation", role=role, said="RTX", relevance=relevance)


def lmt() -> object:
    return company(TEXT, "LMT", "Lockheed Martin", said="Lockheed Martin")


def about_rtx(article_id: str, **options: object) -> Analysis:
    options.setdefault("companies", [rtx()])
    options.setdefault("events", [event(TEXT, "contract_award", "won a sample order")])
    options.setdefault("importance", 0.4)
    options.setdefault("hours_ago", 0.5)
    return make_analysis(article_id, text=TEXT, **options)  # type: ignore[arg-type]


def alerts_for(
    analyses: list[Analysis], reader: Reader = READER, **options: object
) -> list[tuple[StoryId, str]]:
    stories = [make_story(f"s-{a.article.id}", [a]) for a in analyses]
    found = select_alerts(reader, analyses, stories, now=NOW, public_url=WEB, **options)  # type: ignore[arg-type]
    return [(alert.story.id, alert.item.article_id or "") for alert in found]


@pytest.mark.parametrize(
    ("link", "alerts"),
    [
        (CompanyRole.PRIMARY, True),  # the article is about RTX
        (CompanyRole.MENTIONED, True),  # a co-subject, named prominently
        (CompanyRole.INDIRECT, False),  # reached through a product: the briefing shows it
    ],
)
def test_a_watched_company_alerts_through_a_direct_link_only(
    link: CompanyRole, alerts: bool
) -> None:
    analysis = about_rtx("a1", companies=[lmt(), rtx(link, relevance=0.8)])
    assert bool(alerts_for([analysis])) is alerts


def test_a_passing_mention_does_not_alert() -> None:
    weak = rtx(CompanyRole.MENTIONED, relevance=MENTION_RELEVANCE - 0.01)
    strong = rtx(CompanyRole.MENTIONED, relevance=MENTION_RELEVANCE)
    assert alerts_for([about_rtx("a1", companies=[lmt(), weak])]) == []
    assert alerts_for([about_rtx("a1", companies=[lmt(), strong])]) == [(StoryId("s-a1"), "a1")]
    assert direct_link(about_rtx("a1", companies=[lmt(), weak]), {"RTX"}) is None


def test_importance_thresholds_for_companies_and_for_topics() -> None:
    assert alerts_for([about_rtx("low", importance=TICKER_IMPORTANCE - 0.01)]) == []
    assert alerts_for([about_rtx("ok", importance=TICKER_IMPORTANCE)]) == [(StoryId("s-ok"), "ok")]
    oil = {"companies": [lmt()], "sectors": ["Energy"], "events": []}
    assert alerts_for([about_rtx("oil", importance=TOPIC_IMPORTANCE - 0.01, **oil)]) == []
    assert alerts_for([about_rtx("oil", importance=TOPIC_IMPORTANCE, **oil)]) != []
    deal = {"companies": [lmt()], "events": [event(TEXT, "mna", "won a sample order")]}
    assert alerts_for([about_rtx("deal", importance=TOPIC_IMPORTANCE, **deal)]) != []
    unsure = {"companies": [lmt()], "events": [event(TEXT, "mna", "won", confidence=0.3)]}
    assert alerts_for([about_rtx("unsure", importance=0.9, **unsure)]) == []  # too uncertain
    other = {"companies": [lmt()], "sectors": ["Utilities"]}
    assert alerts_for([about_rtx("other", importance=0.9, **other)]) == []


def test_fresh_stories_only_and_none_from_before_the_reader_confirmed() -> None:
    six_hours = FRESH_FOR / timedelta(hours=1)
    assert alerts_for([about_rtx("edge", hours_ago=six_hours)]) != []
    assert alerts_for([about_rtx("old", hours_ago=six_hours + 0.001)]) == []
    late_joiner = replace(READER, confirmed_at=NOW - timedelta(minutes=20))
    assert alerts_for([about_rtx("before", hours_ago=0.5)], late_joiner) == []
    assert alerts_for([about_rtx("after", hours_ago=0.25)], late_joiner) != []
    # never confirmed through the web (an operator added them): from when they were added
    added = replace(READER, confirmed_at=None, added_at=NOW - timedelta(minutes=20))
    assert alerts_for([about_rtx("before", hours_ago=0.5)], added) == []


def test_a_story_alerts_once_and_its_age_is_its_first_article() -> None:
    first = about_rtx("first", hours_ago=7)  # the story began seven hours ago …
    later = about_rtx("later", hours_ago=0.1)  # … and a new article about RTX came in
    story = make_story("s-1", [first, later])
    assert select_alerts(READER, [first, later], [story], now=NOW) == ()
    fresh = make_story("s-2", [about_rtx("a", hours_ago=1), later])
    analyses = [about_rtx("a", hours_ago=1), later]
    assert len(select_alerts(READER, analyses, [fresh], now=NOW)) == 1
    assert select_alerts(READER, analyses, [fresh], now=NOW, alerted=lambda s: True) == ()


def test_a_pending_alert_is_selected_again_however_old_its_story() -> None:
    old = about_rtx("old", hours_ago=8)
    story = make_story("s-old", [old])
    assert select_alerts(READER, [old], [story], now=NOW) == ()
    [again] = select_alerts(READER, [old], [story], now=NOW, pending={StoryId("s-old")})
    assert again.period == "alert/s-old"


def test_the_alert_tells_the_story_through_its_best_matching_article() -> None:
    on_topic = about_rtx("energy", importance=0.9, companies=[lmt()], sectors=["Energy"])
    minor = about_rtx("minor", importance=0.25, title="RTX: a sample order")
    bigger = about_rtx("bigger", importance=0.35, title="RTX wins a larger sample order")
    unrelated = make_analysis("lmt-only", importance=0.99, companies=[lmt()], hours_ago=0.2)
    story = make_story("s-1", [on_topic, minor, bigger, unrelated])
    [alert] = select_alerts(
        READER, [on_topic, minor, bigger, unrelated], [story], now=NOW, public_url=WEB
    )
    # a watched company before a topic, then the more important article
    assert alert.item.article_id == "bigger"
    assert alert.item.title == "RTX wins a larger sample order"
    assert alert.item.story_url == f"{WEB}/stories/s-1"
    assert alert.item.articles_count == 4
    assert alert.company is not None and alert.company.ticker == "RTX"
    assert alert.item.insight.startswith("About your RTX")
    assert alert.found_at == NOW and alert.reader == READER


def test_a_topic_alert_names_the_article_s_own_company() -> None:
    oil = about_rtx("oil", importance=0.6, companies=[lmt()], sectors=["Energy"])
    [alert] = select_alerts(READER, [oil], [make_story("s-oil", [oil])], now=NOW)
    assert alert.company is not None and alert.company.ticker == "LMT"
    assert "sector: Energy" in alert.item.matched


def test_alerts_come_watched_companies_first_then_by_importance() -> None:
    analyses = [
        about_rtx("rtx-low", importance=0.3),
        about_rtx("topic-high", importance=0.95, companies=[lmt()], sectors=["Energy"]),
        about_rtx("rtx-high", importance=0.6),
    ]
    assert [article for _, article in alerts_for(analyses)] == ["rtx-high", "rtx-low", "topic-high"]


def test_stories_without_their_analyses_alert_nothing() -> None:
    story = Story(StoryId("s-x"), (), "", NOW, NOW)
    assert select_alerts(READER, [], [story], now=NOW) == ()
