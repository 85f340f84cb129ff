"""Group articles about the same development into stories, one article at a time (pure).

``StoryIndex.add`` places one article: it joins a live story or starts one. In order, it joins

1. the story holding an article with the same canonical URL, or the same text (exact duplicate);
2. the story holding a near duplicate (MinHash LSH over word 3-shingles, Jaccard ≥ 0.5);
3. the most similar story whose centroid has cosine ≥ ``SIMILARITY`` with the article's term
   vector (TF-IDF over title + lead: see ``text.py``).

Single-pass clustering against story centroids, as news-stream systems have done since TDT: the
centroid is the sum of its articles' unit vectors, kept to its ``CENTROID_TERMS`` heaviest terms.
Document frequencies are counted over what the index has read (halved every ``DF_HALF_LIFE``
articles, so they follow the news and stay bounded) and smoothed with ``DF_PRIOR`` unseen
articles, so that the first articles of a batch are not all rare words to each other.

Nothing here is quadratic: candidates come from an inverted index of the stories' top terms, and
a story is live only while its latest article is within ``window`` of the newest article read
(and among the ``max_live`` most recently updated): the index forgets the rest, so its memory
is bounded by the window, not by how many articles went through it.

``SIMILARITY`` was tuned on the first half of the GoogleNews-TS story clusters and checked on the
second half (see ``docs/stories.md``).
"""

from __future__ import annotations

import enum
import heapq
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from rensa import RMinHash

from marketbrief.model import ArticleId, Story, StoryId, StoryMember
from marketbrief.stories.dedup import (
    NearDuplicateIndex,
    canonical_url,
    content_hash,
    minhash_of,
    story_id_for,
)
from marketbrief.stories.novelty import Assessment, StoryKnowledge
from marketbrief.stories.text import article_facts, article_terms

SIMILARITY = 0.17  # cosine of an article to a story centroid that joins it
MERGE_SIMILARITY = 0.3  # cosine of two story centroids that makes them one story
# A story that grows to one of these sizes is compared with the others (about ×1.5 apart, so
# the checks cost O(log size) per story).
MERGE_CHECKS = frozenset(round(1.5**k) for k in range(2, 40)) | {2, 3}
STORY_WINDOW = timedelta(hours=72)  # a story takes new articles this long after its latest
MAX_LIVE = 20_000  # live stories at most, whatever the window
CENTROID_TERMS = 300
MAX_POSTING = 2_000  # a term on more live stories than this is too common to look up by
MAX_DUPLICATE_HASHES = 16  # MinHashes kept per story for near-duplicate tests
DF_PRIOR = 20.0
DF_HALF_LIFE = 20_000


@dataclass(frozen=True, slots=True)
class StoryInput:
    """What grouping needs of an article."""

    id: ArticleId
    title: str
    text: str
    seen_at: datetime  # published, else first seen: its place in time
    url: str | None = None
    source: str | None = None  # a human name of where it came from
    keys: tuple[str, ...] = ()  # tickers its analysis linked
    story_id: StoryId | None = None  # a story it already belongs to
    # False when ``seen_at`` is no real time (an undated input of a batch, stamped when read):
    # the window then neither applies to it nor moves on because of it.
    dated: bool = True


class Match(enum.StrEnum):
    """Why an article went where it went."""

    SAME_URL = "same_url"
    SAME_TEXT = "same_text"
    NEAR_DUPLICATE = "near_duplicate"
    SIMILAR = "similar"
    KEPT = "kept"  # it already belonged to the story
    NEW = "new"  # it starts a story


_DUPLICATES = (Match.SAME_URL, Match.SAME_TEXT, Match.NEAR_DUPLICATE)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where ``StoryIndex.add`` put an article, and the story as it stands after it."""

    story_id: StoryId
    member: StoryMember
    match: Match
    similarity: float  # cosine (SIMILAR), Jaccard (NEAR_DUPLICATE), 1.0 (SAME_*), 0.0 (NEW)
    size: int  # articles in the story so far
    independent_sources: int
    title: str  # the story's title: its first article's


@dataclass(slots=True)
class _Live:
    """A story the index can still add to."""

    id: StoryId
    title: str
    first_at: datetime
    latest_at: datetime
    size: int = 0
    independent: int = 0
    centroid: dict[str, float] = field(default_factory=dict)
    norm: float = 0.0
    source_keys: set[str] = field(default_factory=set)
    knowledge: StoryKnowledge = field(default_factory=StoryKnowledge)
    exact_keys: list[str] = field(default_factory=list)
    duplicate_handles: list[int] = field(default_factory=list)


class StoryIndex:
    """Live stories, and where the next article goes. Feed it articles in time order."""

    def __init__(
        self,
        *,
        threshold: float = SIMILARITY,
        merge_threshold: float = MERGE_SIMILARITY,
        window: timedelta = STORY_WINDOW,
        max_live: int = MAX_LIVE,
    ) -> None:
        self.threshold = threshold
        self.merge_threshold = merge_threshold
        self.window = window
        self.max_live = max_live
        self._live: OrderedDict[StoryId, _Live] = OrderedDict()  # least recently updated first
        self._postings: dict[str, dict[StoryId, float]] = {}  # term → story → centroid weight
        self._exact: dict[str, StoryId] = {}
        self._near = NearDuplicateIndex()
        self._df: dict[str, float] = {}
        self._docs = 0.0
        self._clock: datetime | None = None
        self._alias: dict[StoryId, StoryId] = {}  # a story merged into another → that one

    def __len__(self) -> int:
        """Live stories."""
        return len(self._live)

    def add(self, item: StoryInput, *, story_id: StoryId | None = None) -> Placement:
        """Place ``item``: in ``story_id`` when given (replaying a stored story), else where
        it matches, else in a new story named after it."""
        if item.dated:
            self._advance(item.seen_at)
        exact = [f"t:{content_hash(item.title, item.text)}"]
        if item.url:
            exact.insert(0, f"u:{canonical_url(item.url)}")

        story, match, similarity = None, Match.NEW, 0.0
        if story_id is not None:
            story, match = self._live.get(story_id), Match.KEPT
        else:
            story, match, similarity = self._match_exact(item, exact)
        # The same text again adds nothing: neither terms nor facts are read a second time.
        terms: dict[str, float] = {}
        minhash = None
        if match is not Match.SAME_TEXT:
            terms = self._vector(item)
            minhash = minhash_of(item.title, item.text)
            if story is None and story_id is None:
                story, match, similarity = self._match_similar(item, minhash, terms)
        if story is None:
            story = _Live(story_id or story_id_for(item.id), item.title, item.seen_at, item.seen_at)
            self._live[story.id] = story
            match = Match.KEPT if story_id is not None else Match.NEW

        if match is Match.SAME_TEXT:
            assessment = Assessment(0.0, (), ())
        else:
            facts = article_facts(item.title, item.text, item.keys)
            assessment = story.knowledge.assess(facts)
            if story.size == 0:  # the first article is the story: all of it is new
                assessment = replace(assessment, novelty=1.0, added=())
            story.knowledge.learn(facts)

        source_key = _source_key(item)
        if source_key not in story.source_keys and match not in _DUPLICATES:
            story.independent += 1
        story.source_keys.add(source_key)
        story.size += 1
        if item.dated:
            story.first_at = min(story.first_at, item.seen_at)
            story.latest_at = max(story.latest_at, item.seen_at)
        self._live.move_to_end(story.id)
        if terms:
            self._learn_terms(story, terms)
        for key in exact:
            if key not in self._exact:
                self._exact[key] = story.id
                story.exact_keys.append(key)
        if (
            minhash is not None
            and match not in _DUPLICATES
            and len(story.duplicate_handles) < MAX_DUPLICATE_HASHES
        ):
            story.duplicate_handles.append(self._near.add(minhash, story.id))
        if story_id is None and story.size in MERGE_CHECKS:
            story = self._merge_similar(story)
        member = StoryMember(
            article_id=item.id,
            seen_at=item.seen_at,
            source=item.source,
            novelty=assessment.novelty,
            added=assessment.added,
            new_sentences=assessment.new_sentences,
        )
        self._evict()
        return Placement(
            story.id,
            member,
            match,
            round(similarity, 4),
            story.size,
            story.independent,
            story.title,
        )

    def resolve(self, story_id: StoryId) -> StoryId:
        """The story ``story_id`` is now part of (itself unless it was merged into another).

        A placement names the story as it was then; stories merge later when their centroids
        come close, so callers that keep placements resolve them at the end."""
        seen = []
        while story_id in self._alias:
            seen.append(story_id)
            story_id = self._alias[story_id]
        for alias in seen[:-1]:
            self._alias[alias] = story_id
        return story_id

    @property
    def merged(self) -> dict[StoryId, StoryId]:
        """Every story merged into another, with the story it is now part of."""
        return {alias: self.resolve(alias) for alias in list(self._alias)}

    # ── matching ────────────────────────────────────────────────────────────────────────────

    def _match_exact(self, item: StoryInput, exact: list[str]) -> tuple[_Live | None, Match, float]:
        for key in exact:
            story = self._joinable(self._exact.get(key), item)
            if story is not None:
                return story, Match.SAME_URL if key.startswith("u:") else Match.SAME_TEXT, 1.0
        return None, Match.NEW, 0.0

    def _match_similar(
        self, item: StoryInput, minhash: RMinHash | None, terms: dict[str, float]
    ) -> tuple[_Live | None, Match, float]:
        if minhash is not None:
            found = self._near.best(minhash)
            if found is not None:
                owner, jaccard = found
                story = self._joinable(owner, item)  # type: ignore[arg-type]
                if story is not None:
                    return story, Match.NEAR_DUPLICATE, jaccard
        best, best_similarity = None, 0.0
        for story_id, dot in self._dots(terms).items():
            story = self._joinable(story_id, item)
            if story is None or story.norm == 0.0:
                continue
            similarity = dot / story.norm
            if similarity > best_similarity or (
                similarity == best_similarity and best is not None and story.id < best.id
            ):
                best, best_similarity = story, similarity
        if best is not None and best_similarity >= self.threshold:
            return best, Match.SIMILAR, best_similarity
        return None, Match.NEW, best_similarity

    def _merge_similar(self, story: _Live) -> _Live:
        """``story`` merged with the live story whose centroid is closest to its own, when
        their cosine is at least ``merge_threshold`` and their times are within the window;
        the merged story keeps the id of the one that started earlier."""
        if story.norm == 0.0:
            return story
        best, best_similarity = None, 0.0
        for other_id, dot in self._dots(story.centroid).items():
            other = self._live.get(other_id)
            if other is None or other is story or other.norm == 0.0:
                continue
            if other.first_at > story.latest_at + self.window:
                continue
            if story.first_at > other.latest_at + self.window:
                continue
            similarity = dot / (other.norm * story.norm)
            if similarity > best_similarity or (
                similarity == best_similarity and best is not None and other.id < best.id
            ):
                best, best_similarity = other, similarity
        if best is None or best_similarity < self.merge_threshold:
            return story
        keep, gone = (
            (best, story)
            if (best.first_at, best.id) <= (story.first_at, story.id)
            else (
                story,
                best,
            )
        )
        self._absorb(keep, gone)
        return keep

    def _absorb(self, keep: _Live, gone: _Live) -> None:
        """Move everything of ``gone`` into ``keep`` and forget ``gone`` as a story."""
        self._unindex(gone.id, gone.centroid)
        del self._live[gone.id]
        self._alias[gone.id] = keep.id
        shared_sources = len(keep.source_keys & gone.source_keys)
        keep.independent = max(1, keep.independent + gone.independent - shared_sources)
        keep.source_keys |= gone.source_keys
        keep.size += gone.size
        keep.first_at = min(keep.first_at, gone.first_at)
        keep.latest_at = max(keep.latest_at, gone.latest_at)
        keep.knowledge.absorb(gone.knowledge)
        for key in gone.exact_keys:
            if self._exact.get(key) == gone.id:
                self._exact[key] = keep.id
                keep.exact_keys.append(key)
        for handle in gone.duplicate_handles:
            self._near.reassign(handle, keep.id)
        keep.duplicate_handles += gone.duplicate_handles
        self._learn_terms(keep, gone.centroid)
        self._live.move_to_end(keep.id)

    def _joinable(self, story_id: StoryId | None, item: StoryInput) -> _Live | None:
        """The live story ``story_id`` when ``item`` may join it: within the window of its
        articles (any, for an undated item)."""
        story = self._live.get(story_id) if story_id is not None else None
        if story is None or not item.dated:
            return story
        at = item.seen_at
        if at > story.latest_at + self.window or at < story.first_at - self.window:
            return None
        return story

    def _dots(self, terms: dict[str, float]) -> dict[StoryId, float]:
        """Dot products of ``terms`` with every story centroid sharing a term, term at a time
        over the inverted index (a term on more than ``MAX_POSTING`` stories is left out: it
        weighs little and would cost much)."""
        dots: dict[StoryId, float] = {}
        get = dots.get
        for term, weight in terms.items():
            posting = self._postings.get(term)
            if posting is None or len(posting) > MAX_POSTING:
                continue
            for story_id, centroid_weight in posting.items():
                dots[story_id] = get(story_id, 0.0) + weight * centroid_weight
        return dots

    # ── term vectors ────────────────────────────────────────────────────────────────────────

    def _vector(self, item: StoryInput) -> dict[str, float]:
        """The article's unit TF-IDF vector; its terms are counted in the document frequencies
        first, so that it is one of the documents its IDF speaks of."""
        raw = article_terms(item.title, item.text)
        self._docs += 1
        df = self._df
        for term in raw:
            df[term] = df.get(term, 0.0) + 1.0
        total = self._docs + DF_PRIOR
        vector = {
            term: (1.0 + math.log(weight) if weight > 1.0 else weight) * math.log(total / df[term])
            for term, weight in raw.items()
        }
        norm = math.sqrt(sum(w * w for w in vector.values()))
        if self._docs >= 2 * DF_HALF_LIFE:
            self._halve_df()
        return {t: w / norm for t, w in vector.items() if w > 0.0} if norm > 0.0 else {}

    def _halve_df(self) -> None:
        self._docs /= 2
        self._df = {t: c / 2 for t, c in self._df.items() if c >= 2.0}

    def _learn_terms(self, story: _Live, terms: dict[str, float]) -> None:
        """Add the article's unit vector to the story's centroid, in the story and in the
        inverted index (which holds each centroid weight under its term)."""
        centroid, postings = story.centroid, self._postings
        for term, weight in terms.items():
            total = centroid.get(term, 0.0) + weight
            centroid[term] = total
            posting = postings.get(term)
            if posting is None:
                postings[term] = posting = {}
            posting[story.id] = total
        if len(centroid) > 2 * CENTROID_TERMS:
            kept = dict(
                heapq.nlargest(CENTROID_TERMS, centroid.items(), key=lambda kv: (kv[1], kv[0]))
            )
            self._unindex(story.id, (t for t in centroid if t not in kept))
            story.centroid = centroid = kept
        story.norm = math.sqrt(sum(w * w for w in centroid.values()))

    def _unindex(self, story_id: StoryId, terms: Iterable[str]) -> None:
        for term in terms:
            posting = self._postings.get(term)
            if posting is not None:
                posting.pop(story_id, None)
                if not posting:
                    del self._postings[term]

    # ── forgetting ──────────────────────────────────────────────────────────────────────────

    def _advance(self, at: datetime) -> None:
        if self._clock is None or at > self._clock:
            self._clock = at

    def _evict(self) -> None:
        """Forget the least recently updated stories while they are past the window (the
        newest dated article's time less ``window``) or more than ``max_live``."""
        horizon = None if self._clock is None else self._clock - self.window
        while self._live:
            oldest = next(iter(self._live.values()))
            stale = horizon is not None and oldest.latest_at < horizon
            if not stale and len(self._live) <= self.max_live:
                break
            self._forget(oldest)

    def _forget(self, story: _Live) -> None:
        del self._live[story.id]
        self._unindex(story.id, story.centroid)
        for key in story.exact_keys:
            if self._exact.get(key) == story.id:
                del self._exact[key]
        for handle in story.duplicate_handles:
            self._near.remove(handle)


def _source_key(item: StoryInput) -> str:
    """Who published it: the source's name, else the URL's host, else the article itself."""
    if item.source and item.source.strip():
        return "n:" + item.source.strip().casefold()
    host = urlsplit(item.url).hostname if item.url else None
    if host:
        return "h:" + host.lower().removeprefix("www.")
    return "a:" + item.id


# ── whole batches ───────────────────────────────────────────────────────────────────────────


def cluster_stories(
    articles: Sequence[StoryInput],
    *,
    existing: Iterable[Story] = (),
    threshold: float = SIMILARITY,
    window: timedelta = STORY_WINDOW,
) -> tuple[Story, ...]:
    """Every story of ``articles``, continuing ``existing`` ones.

    The members of an existing story that are among ``articles`` are read into it first (so
    that its centroid and facts are known); every other article then joins a story or starts
    one, earliest first. Stories whose centroids come close merge into the one that started
    earlier, so an existing story can be absorbed: it is then missing from the result, and its
    articles are in the story that absorbed it. Returns the stories, earliest first.
    """
    by_id = {a.id: a for a in articles}
    index = StoryIndex(threshold=threshold, window=window, max_live=max(MAX_LIVE, len(articles)))
    known: dict[StoryId, Story] = {}
    members: list[tuple[StoryId, StoryMember]] = []
    queue: list[tuple[datetime, int, int, StoryInput, StoryId | None]] = []
    placed: set[ArticleId] = set()
    for story in existing:
        known[story.id] = story
        stored = story.members or tuple(
            StoryMember(a, story.first_seen_at) for a in story.article_ids
        )
        for member in stored:
            members.append((story.id, member))
            item = by_id.get(member.article_id)
            if item is not None and member.article_id not in placed:
                placed.add(member.article_id)
                # Replayed first on equal times, so that a story exists before what joins it.
                queue.append((item.seen_at, 0, len(queue), item, story.id))
    for item in sorted(by_id.values(), key=lambda a: (a.seen_at, a.id)):
        if item.id not in placed:
            queue.append((item.seen_at, 1, len(queue), item, item.story_id))
    queue.sort(key=lambda q: q[:3])

    independent: dict[StoryId, int] = {}
    for _, replayed, _, item, forced in queue:
        placement = index.add(item, story_id=forced)
        independent[placement.story_id] = placement.independent_sources
        if replayed:  # a fresh article: a new member
            members.append((placement.story_id, placement.member))

    grouped: dict[StoryId, list[StoryMember]] = {}
    final_independent: dict[StoryId, int] = {}
    for story_id, member in members:
        final = index.resolve(story_id)
        grouped.setdefault(final, []).append(member)
    for story_id, count in independent.items():
        final = index.resolve(story_id)
        final_independent[final] = max(final_independent.get(final, 0), count)
    stories = []
    for story_id, group in grouped.items():
        group.sort(key=lambda m: m.seen_at)  # stable: stored order, then arrival, on ties
        old = known.get(story_id)
        first = by_id.get(group[0].article_id)
        title = old.title if old is not None else first.title if first is not None else ""
        stories.append(
            Story(
                id=story_id,
                article_ids=tuple(m.article_id for m in group),
                title=title,
                first_seen_at=group[0].seen_at,
                last_seen_at=max(m.seen_at for m in group),
                members=tuple(group),
                sources=tuple(dict.fromkeys(m.source for m in group if m.source)),
                independent_sources=max(
                    final_independent.get(story_id, 1),
                    old.independent_sources if old is not None else 1,
                ),
            )
        )
    return tuple(sorted(stories, key=lambda s: (s.first_seen_at, s.id)))
