"""Group duplicate and near-duplicate coverage into stories (MinHash LSH over word shingles).

Two articles are one story when the Jaccard similarity of their word 3-shingle sets (title and
text) is at least ``threshold``; groups are the connected components of that relation. This
catches wire copy republished with small edits; telling apart rewritten coverage of the same
event is story clustering proper, which a later stage adds.

MinHash estimates are verified: LSH gives candidates, the MinHash Jaccard estimate decides.
rensa (Rust MinHash) is used because it ran about 40× faster than datasketch here with the
same recall. Pure: articles in, stories out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rensa import RMinHash, RMinHashLSH

from marketbrief.model import ArticleId, Story, StoryId

NUM_PERM = 128
NUM_BANDS = 32  # 4 rows a band: candidates from about Jaccard 0.3 up, then verified
SHINGLE = 3
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class StoryInput:
    """What grouping needs of an article."""

    id: ArticleId
    title: str
    text: str
    seen_at: datetime  # first seen (or published); orders the members
    story_id: StoryId | None = None  # a story it already belongs to, kept when it has one


def shingle_words(text: str, size: int = SHINGLE) -> list[str]:
    """Lower-cased word n-grams; a text shorter than ``size`` words is one shingle."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) <= size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def story_id_for(article_id: ArticleId) -> StoryId:
    """A story's id comes from its first article, so it is stable across runs."""
    return StoryId("s-" + hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:16])


def group_duplicates(
    articles: Sequence[StoryInput], *, threshold: float = 0.5
) -> tuple[Story, ...]:
    """Stories of ``articles``: each article in exactly one, duplicates together.

    An article that already has a story keeps it, and pulls its new duplicates in; when a group
    holds several existing stories the earliest one's id wins.
    """
    if not articles:
        return ()
    hashes: list[RMinHash] = []
    lsh = RMinHashLSH(threshold=threshold, num_perm=NUM_PERM, num_bands=NUM_BANDS)
    for index, article in enumerate(articles):
        minhash = RMinHash(num_perm=NUM_PERM, seed=7)
        shingles = shingle_words(f"{article.title}\n{article.text}")
        minhash.update(shingles or [article.id])
        hashes.append(minhash)
        lsh.insert(index, minhash)

    parent = list(range(len(articles)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index, minhash in enumerate(hashes):
        for other in lsh.query(minhash):
            if other != index and minhash.jaccard(hashes[other]) >= threshold:
                a, b = find(index), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)

    groups: dict[int, list[StoryInput]] = {}
    for index, article in enumerate(articles):
        groups.setdefault(find(index), []).append(article)
    stories = []
    for members in groups.values():
        members.sort(key=lambda a: (a.seen_at, a.id))
        existing = [m.story_id for m in members if m.story_id is not None]
        stories.append(
            Story(
                id=existing[0] if existing else story_id_for(members[0].id),
                article_ids=tuple(m.id for m in members),
                title=members[0].title,
                first_seen_at=members[0].seen_at,
                last_seen_at=members[-1].seen_at,
            )
        )
    stories.sort(key=lambda s: (s.first_seen_at, s.id))
    return tuple(stories)
