"""Stories: duplicates, near duplicates and coverage of one development grouped (pure)."""

from marketbrief.stories.cluster import (
    SIMILARITY,
    STORY_WINDOW,
    Match,
    Placement,
    StoryIndex,
    StoryInput,
    cluster_stories,
)
from marketbrief.stories.dedup import canonical_url, content_hash, shingle_words, story_id_for

__all__ = [
    "SIMILARITY",
    "STORY_WINDOW",
    "Match",
    "Placement",
    "StoryIndex",
    "StoryInput",
    "canonical_url",
    "cluster_stories",
    "content_hash",
    "shingle_words",
    "story_id_for",
]
