"""Story grouping: duplicates and coverage of one development join, the rest stay apart; what
each article added; memory bounded by the window."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from marketbrief.model import ArticleId, Story, StoryId, StoryMember
from marketbrief.stories import Match, StoryIndex, StoryInput, cluster_stories, story_id_for

T0 = datetime(2025, 6, 24, 12, tzinfo=UTC)

# Sample texts written for these tests, not real news.
DEAL = (
    "Northwind Robotics said on Tuesday it would buy Harbor Sensors for 2.1 billion dollars "
    "in cash, adding lidar units to its warehouse machines. The deal is expected to close in "
    "the fourth quarter, subject to regulatory approval. Shares of Northwind rose four percent "
    "in early trading after the announcement."
)
DEAL_EDITED = DEAL.replace("four percent", "3.8 percent").replace("on Tuesday ", "")
DEAL_REWRITTEN = (
    "Warehouse automation maker Northwind Robotics agreed to acquire lidar specialist Harbor "
    "Sensors in a 2.1 billion dollar cash deal, betting that better sensors will sell more "
    "warehouse machines. Northwind shares rose after the deal was announced."
)
DEAL_UPDATE = (
    "Northwind Robotics said regulators in Brussels opened a review of its 2.1 billion dollar "
    "purchase of Harbor Sensors. A decision on the lidar deal is due by 14 November, and "
    "Northwind said it expects no remedies."
)
OIL = (
    "Crude oil prices fell for a third day as inventories grew more than analysts expected, "
    "and refiners cut their runs ahead of the holiday weekend, traders said on Wednesday."
)
FED = (
    "The central bank held its policy rate steady and signalled two cuts later in the year, "
    "citing cooling inflation and a softer labour market."
)
FILLER = ("Apex", "Birch", "Cobalt", "Delta", "Ember", "Flint", "Garnet", "Harbor", "Iris")


def item(
    i: str,
    text: str,
    *,
    title: str = "",
    hours: float = 0,
    url: str | None = None,
    source: str | None = None,
) -> StoryInput:
    return StoryInput(
        ArticleId(i), title, text, T0 + timedelta(hours=hours), url=url, source=source
    )


def test_duplicates_and_coverage_of_one_development_join_other_news_does_not() -> None:
    index = StoryIndex()
    first = index.add(item("a", DEAL, title="Northwind to buy Harbor Sensors"))
    oil = index.add(item("o", OIL, title="Oil falls for a third day"))
    edited = index.add(item("b", DEAL_EDITED, title="Northwind to buy Harbor Sensors", hours=1))
    rewritten = index.add(
        item("c", DEAL_REWRITTEN, title="Northwind agrees Harbor Sensors deal", hours=2)
    )
    fed = index.add(item("f", FED, title="Central bank holds rates", hours=2))
    assert first.match is Match.NEW and first.story_id == story_id_for(ArticleId("a"))
    assert (edited.match, edited.story_id) == (Match.NEAR_DUPLICATE, first.story_id)
    assert (rewritten.match, rewritten.story_id) == (Match.SIMILAR, first.story_id)
    assert rewritten.similarity >= index.threshold
    assert len({first.story_id, oil.story_id, fed.story_id}) == 3
    assert rewritten.size == 3


def test_the_same_url_or_the_same_text_is_an_exact_duplicate() -> None:
    index = StoryIndex()
    first = index.add(item("a", DEAL, url="https://news.example.com/deal?utm_source=rss"))
    same_url = index.add(
        item("b", "Completely other words here.", url="http://news.example.com/deal/")
    )
    same_text = index.add(item("c", DEAL.upper(), url="https://other.example.org/x"))
    assert (same_url.match, same_url.story_id) == (Match.SAME_URL, first.story_id)
    assert (same_text.match, same_text.story_id) == (Match.SAME_TEXT, first.story_id)
    assert same_text.member.novelty == 0.0  # nothing new: a pure repeat


def test_novelty_says_what_an_update_added() -> None:
    index = StoryIndex()
    first = index.add(item("a", DEAL, title="Northwind to buy Harbor Sensors", source="Wire"))
    update = index.add(
        item("u", DEAL_UPDATE, title="Northwind deal faces EU review", hours=5, source="Desk")
    )
    assert update.story_id == first.story_id
    assert first.member.novelty == 1.0
    assert 0.0 < update.member.novelty < 1.0
    assert "14" in update.member.added and "Brussels" in update.member.added
    assert "2.1" not in update.member.added  # the story had stated it
    spans = update.member.new_sentences
    assert spans and all(0 <= a < b <= len(DEAL_UPDATE) for a, b in spans)
    assert any("Brussels" in DEAL_UPDATE[a:b] for a, b in spans)


def test_independent_sources_do_not_count_copies_or_the_same_source_twice() -> None:
    index = StoryIndex()
    index.add(item("a", DEAL, source="Wire"))
    again = index.add(item("b", DEAL_UPDATE, source="Wire", hours=1))
    syndicated = index.add(item("c", DEAL_EDITED, source="Portal", hours=2))
    own = index.add(item("d", DEAL_REWRITTEN, title="Northwind deal", source="Desk", hours=3))
    assert again.independent_sources == 1
    assert syndicated.match is Match.NEAR_DUPLICATE
    assert syndicated.independent_sources == 1
    assert own.independent_sources == 2


def test_a_story_takes_no_article_after_its_window_and_is_forgotten() -> None:
    index = StoryIndex(window=timedelta(hours=72))
    first = index.add(item("a", DEAL))
    late = index.add(item("b", DEAL, hours=80))  # the same text, but the story has closed
    assert late.match is Match.NEW and late.story_id != first.story_id
    assert len(index) == 1  # the closed story is forgotten


def test_an_undated_article_joins_a_story_of_any_time_and_moves_no_window() -> None:
    index = StoryIndex(window=timedelta(hours=72))
    first = index.add(item("a", DEAL))
    undated = dataclasses.replace(item("b", DEAL_EDITED, hours=24 * 400), dated=False)
    copy = index.add(undated)
    assert (copy.match, copy.story_id) == (Match.NEAR_DUPLICATE, first.story_id)
    later = index.add(item("c", DEAL_REWRITTEN, title="Northwind deal", hours=30))
    assert later.story_id == first.story_id  # the undated copy did not close the window


def test_live_stories_are_bounded_by_the_window_and_by_max_live() -> None:
    index = StoryIndex(window=timedelta(hours=2), max_live=50)
    for n in range(300):
        text = f"{FILLER[n % 9]} story number {n} about item{n} and thing{n}."
        index.add(item(f"x{n}", text, hours=n / 10))
        assert len(index) <= 50
    assert len(index) <= 21  # two hours at ten articles an hour, and the newest


def test_replayed_stories_keep_their_ids_and_take_new_articles() -> None:
    index = StoryIndex()
    kept = index.add(item("a", DEAL), story_id=StoryId("s-stored"))
    assert (kept.story_id, kept.match) == (StoryId("s-stored"), Match.KEPT)
    joined = index.add(item("b", DEAL_EDITED, hours=1))
    assert joined.story_id == StoryId("s-stored")


def test_stories_whose_centroids_come_close_merge_into_the_earlier_one() -> None:
    # A strict join threshold makes two stories of two versions of one text; a copy of the
    # second grows its story, whose centroid is then compared with the first and merged.
    index = StoryIndex(threshold=0.99, merge_threshold=0.3)
    one = index.add(item("a", DEAL_REWRITTEN, title="Northwind agrees Harbor Sensors deal"))
    two = index.add(item("b", DEAL_UPDATE, title="Northwind Harbor Sensors deal", hours=1))
    assert one.story_id != two.story_id
    copy = index.add(item("c", DEAL_UPDATE.lower(), title="", hours=2))
    assert copy.story_id == one.story_id and copy.size == 3
    assert index.resolve(two.story_id) == one.story_id
    assert index.merged == {two.story_id: one.story_id}
    assert len(index) == 1


def test_cluster_stories_continues_existing_stories_and_reports_members() -> None:
    stored = Story(
        id=StoryId("s-old"),
        article_ids=(ArticleId("a"),),
        title="Northwind to buy Harbor Sensors",
        first_seen_at=T0,
        last_seen_at=T0,
        members=(StoryMember(ArticleId("a"), T0, "Wire", 1.0),),
        sources=("Wire",),
    )
    articles = [
        item("a", DEAL, title="Northwind to buy Harbor Sensors", source="Wire"),
        item("u", DEAL_UPDATE, title="Northwind deal faces EU review", hours=5, source="Desk"),
        item("o", OIL, hours=1),
    ]
    stories = cluster_stories(articles, existing=[stored])
    by_id = {s.id: s for s in stories}
    old = by_id[StoryId("s-old")]
    assert old.article_ids == ("a", "u")
    assert old.members[0] == stored.members[0]  # what was stored stays
    assert old.members[1].source == "Desk" and old.members[1].novelty < 1.0
    assert old.sources == ("Wire", "Desk")
    assert old.independent_sources == 2
    assert old.first_article_id == "a" and old.latest_article_id == "u"
    assert old.last_seen_at == T0 + timedelta(hours=5)
    assert by_id[story_id_for(ArticleId("o"))].article_ids == ("o",)


def test_cluster_stories_of_nothing_is_nothing() -> None:
    assert cluster_stories([]) == ()


VOCABULARY = "oil deal bank rates shares fell rose Northwind Harbor lidar 2.1 3% court chips"
words = st.sampled_from(VOCABULARY.split())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(words, max_size=30), st.integers(0, 200), st.booleans()),
        max_size=25,
    )
)
def test_every_article_is_in_exactly_one_story(
    specs: list[tuple[list[str], int, bool]],
) -> None:
    articles = [
        item(f"n{i}", " ".join(w), hours=h, url=f"https://x.example.com/{i % 3}" if u else None)
        for i, (w, h, u) in enumerate(specs)
    ]
    stories = cluster_stories(articles)
    placed = [a for s in stories for a in s.article_ids]
    assert sorted(placed) == sorted(a.id for a in articles)
    for story in stories:
        assert len(story.members) == len(story.article_ids)
        assert all(0.0 <= m.novelty <= 1.0 for m in story.members)
        assert story.first_seen_at <= story.last_seen_at
        assert 1 <= story.independent_sources <= len(story.article_ids)
