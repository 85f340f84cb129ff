"""Stories: duplicate and near-duplicate coverage grouped into one story (pure)."""

from marketbrief.stories.dedup import StoryInput, group_duplicates, shingle_words, story_id_for

__all__ = ["StoryInput", "group_duplicates", "shingle_words", "story_id_for"]
