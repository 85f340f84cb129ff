"""Importance: in 0..1, more independent sources never lower it, a pure repeat scores below the
original, market-moving news about a listed company above a routine note."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketbrief.enrich.importance import (
    EVENT_WEIGHT,
    StoryContext,
    content_score,
    score_importance,
    source_weight,
    source_weights,
)
from marketbrief.model import CompanyLink, CompanyRole, Event, KeyDate, Sentiment, Span

EVIDENCE = Span(0, 4, "text")
unit = st.floats(0.0, 1.0)
roles = st.sampled_from(list(CompanyRole))
companies = st.lists(
    st.builds(
        CompanyLink,
        ticker=st.sampled_from(["AAA", "BBB", "CCC"]),
        name=st.just("A company"),
        exchange=st.none(),
        role=roles,
        relevance=unit,
        why=st.just("named"),
    ),
    max_size=6,
)
events = st.lists(
    st.builds(
        Event,
        type=st.sampled_from([*EVENT_WEIGHT, "unknown_type"]),
        confidence=unit,
        evidence=st.just(EVIDENCE),
    ),
    max_size=4,
)
sentiments = st.builds(Sentiment, label=st.just("neutral"), score=st.floats(-1.0, 1.0))
ages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))
contexts = st.builds(
    StoryContext,
    independent_sources=st.integers(1, 60),
    novelty=unit,
    age=ages,
    source_weight=st.none() | unit,
)
findings = st.tuples(companies, events, sentiments)
Findings = tuple[list[CompanyLink], list[Event], Sentiment]


def score(found: Findings, context: StoryContext) -> float:
    linked, happened, tone = found
    return score_importance(linked, happened, tone, (), context)


@given(findings, contexts)
def test_importance_is_in_unit_range(found: Findings, context: StoryContext) -> None:
    assert 0.0 <= score(found, context) <= 1.0


@given(findings, contexts, st.integers(1, 60))
def test_more_independent_sources_never_lower_it(
    found: Findings, context: StoryContext, more: int
) -> None:
    wider = StoryContext(
        context.independent_sources + more, context.novelty, context.age, context.source_weight
    )
    assert score(found, wider) >= score(found, context)


@given(findings, contexts, ages)
def test_a_pure_repeat_scores_below_the_original(
    found: Findings, original: StoryContext, later: timedelta
) -> None:
    """The repeat is the same article in the same story, with nothing new, seen at the same
    time or later (so it is fresher) than the all-new original."""
    first = StoryContext(original.independent_sources, 1.0, original.age, original.source_weight)
    repeat = StoryContext(
        original.independent_sources,
        0.0,
        max(original.age - later, timedelta(0)),
        original.source_weight,
    )
    assert score(found, repeat) < score(found, first)


@given(findings, contexts, unit)
def test_more_novelty_never_lowers_it(found: Findings, context: StoryContext, extra: float) -> None:
    newer = StoryContext(
        context.independent_sources,
        min(context.novelty + extra, 1.0),
        context.age,
        context.source_weight,
    )
    assert score(found, newer) >= score(found, context)


@given(findings, contexts, ages)
def test_older_never_scores_higher(found: Findings, context: StoryContext, more: timedelta) -> None:
    older = StoryContext(
        context.independent_sources, context.novelty, context.age + more, context.source_weight
    )
    assert score(found, older) <= score(found, context)


def link(role: CompanyRole, relevance: float) -> CompanyLink:
    return CompanyLink("AAA", "A company", "NYSE", role, relevance, "named")


def test_market_moving_news_about_a_listed_company_ranks_above_a_routine_note() -> None:
    earnings: Findings = (
        [link(CompanyRole.PRIMARY, 0.9)],
        [Event("earnings_results", 0.9, EVIDENCE)],
        Sentiment("negative", -0.6),
    )
    note: Findings = ([], [Event("trading_action", 0.5, EVIDENCE)], Sentiment("neutral", 0.0))
    assert score(earnings, StoryContext()) > score(note, StoryContext())


def test_content_counts_a_future_key_date_and_half_a_mentioned_company() -> None:
    day = date(2099, 1, 2)
    ahead = KeyDate(EVIDENCE, "DATE", "2099-01-02", (day, day), None, "future")
    tone = Sentiment("neutral", 0.0)
    assert content_score([], [], tone, [ahead]) == pytest.approx(0.1)
    mentioned = content_score([link(CompanyRole.MENTIONED, 0.8)], [], tone, [])
    primary = content_score([link(CompanyRole.PRIMARY, 0.8)], [], tone, [])
    assert mentioned == pytest.approx(0.25 * 0.4 + 0.1 / 5)
    assert primary == pytest.approx(0.25 * 0.8 + 0.1 / 5)


def test_an_article_alone_scores_as_one_fresh_all_new_source_of_unknown_weight() -> None:
    found: Findings = ([link(CompanyRole.PRIMARY, 1.0)], [], Sentiment("neutral", 0.0))
    alone = score(found, StoryContext())
    assert alone == score(found, StoryContext(1, 1.0, timedelta(0), source_weights().default))
    assert alone == score_importance(*found, ())


@pytest.mark.parametrize(
    ("url", "name", "weight"),
    [
        ("https://www.reuters.com/markets/x", None, 1.0),
        ("https://uk.reuters.com/x", None, 1.0),
        ("https://finance.yahoo.com/news/x", None, 0.7),
        (None, "Reuters Business News", 1.0),
        (None, "The Motley Fool", 0.45),
        ("https://unknown.example.com/x", "Some Blog", source_weights().default),
        (None, None, source_weights().default),
        ("not a url", "", source_weights().default),
    ],
)
def test_source_weights_by_host_then_name(url: str | None, name: str | None, weight: float) -> None:
    assert source_weight(url, name) == weight


def test_source_weights_are_in_unit_range() -> None:
    weights = source_weights()
    assert all(0.0 <= w <= 1.0 for w in [weights.default, *weights.hosts.values()])
    assert all(0.0 <= w <= 1.0 for w in weights.names.values())
