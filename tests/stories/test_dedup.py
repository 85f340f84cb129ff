"""Duplicate grouping: wire copy with small edits is one story; different news is not."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from marketbrief.model import ArticleId, StoryId
from marketbrief.stories import StoryInput, group_duplicates, shingle_words

T0 = datetime(2025, 6, 24, 12, tzinfo=UTC)

# Sample text written for these tests, not real news.
WIRE = (
    "Northwind Robotics said on Tuesday it would buy Harbor Sensors for 2.1 billion dollars "
    "in cash, adding lidar units to its warehouse machines. The deal is expected to close in "
    "the fourth quarter, subject to regulatory approval, the company said in a statement. "
    "Shares of Northwind rose four percent in early trading after the announcement."
)
EDITED = WIRE.replace("four percent", "3.8 percent").replace("said in a statement", "said")
OTHER = (
    "Crude oil prices fell for a third day as inventories grew more than analysts expected, "
    "and refiners cut their runs ahead of the holiday weekend, traders said on Wednesday."
)


def item(i: str, title: str, text: str, minutes: int = 0) -> StoryInput:
    return StoryInput(ArticleId(i), title, text, T0 + timedelta(minutes=minutes))


def test_near_duplicates_form_one_story_and_others_stay_apart() -> None:
    stories = group_duplicates(
        [
            item("b", "Northwind to buy Harbor Sensors", EDITED, 5),
            item("a", "Northwind to buy Harbor Sensors", WIRE, 0),
            item("c", "Oil falls for third day", OTHER, 1),
        ]
    )
    by_members = {s.article_ids: s for s in stories}
    assert set(by_members) == {(ArticleId("a"), ArticleId("b")), (ArticleId("c"),)}
    pair = by_members[(ArticleId("a"), ArticleId("b"))]
    assert pair.first_seen_at == T0
    assert pair.last_seen_at == T0 + timedelta(minutes=5)


def test_story_ids_are_stable_and_existing_ids_are_kept() -> None:
    first = group_duplicates([item("a", "t", WIRE)])
    again = group_duplicates([item("a", "t", WIRE)])
    assert first[0].id == again[0].id
    kept = group_duplicates(
        [
            StoryInput(ArticleId("a"), "t", WIRE, T0, StoryId("s-existing")),
            item("b", "t", EDITED, 3),
        ]
    )
    assert [s.id for s in kept] == [StoryId("s-existing")]


def test_empty_input_and_empty_texts() -> None:
    assert group_duplicates([]) == ()
    stories = group_duplicates([item("x", "", ""), item("y", "", "")])
    assert sorted(len(s.article_ids) for s in stories) == [1, 1]


@given(st.text(max_size=300))
def test_shingles_never_crash_and_are_lower_case(text: str) -> None:
    for shingle in shingle_words(text):
        assert shingle == shingle.lower()
