"""Which new stories an alert reader is told about at once (pure).

A reader with the ``alerts`` cadence gets no scheduled briefing: they get a short email as a
story that matters to them breaks. A story alerts a reader when

1. **it is fresh**: its first article appeared (published, else first seen: the story's
   ``first_seen_at``) at most ``FRESH_FOR`` before ``now``, and not before the reader confirmed
   (else subscribed). A new reader is not sent the morning's news, and a sender that was down
   for a day does not send yesterday's stories when it comes back;
2. **one of its articles matches the watchlist**: it links a watched ticker *directly* — as
   the company the article is about (``primary``), or named with a relevance of at least
   ``MENTION_RELEVANCE`` (a co-subject: "Lockheed and RTX win …") — with an importance of at
   least ``TICKER_IMPORTANCE``; or it is in a watched sector or reports a followed event type
   (``watchlist_hits``, matched as the briefing matches them) with an importance of at least
   ``TOPIC_IMPORTANCE``. An indirect link (a product, a program, a person) or a passing mention
   does not alert: the briefing shows those, an alert interrupts;
3. **the reader had no alert for it** (``alerted``: the sender asks the send log, under the
   story's id and the ids of stories merged into it since). One alert per story, ever: the
   story's later articles do not alert again.

An alert tells its story through the best matching article, as a briefing item
(``curate.briefing.story_item``: headline, insight line, source, links to ``/stories/{id}``).
``select_alerts`` returns every story that qualifies, those about a watched company first,
then by importance; the sender keeps the reader within the setting ``alerts_per_day`` alerts
in any 24 hours (the send log counts them) and records the rest as skipped, so a busy morning
never turns into a burst of late alerts.

The thresholds come from the spread of importance on the 18 bundled sample articles (0.09 to
0.57, most between 0.25 and 0.41, each scored alone; docs/importance.md has the formula): news
about a watched company alerts unless it is a minor note; a sector or event type, which a great
many stories share, only when the story stands out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from marketbrief.curate.briefing import story_item, watchlist_hits
from marketbrief.curate.schedule import alert_period
from marketbrief.model import (
    Analysis,
    BriefingItem,
    CompanyLink,
    CompanyRole,
    Reader,
    Story,
    StoryId,
)

# A story whose first article is older than this does not alert: the default of the setting
# ``alert_fresh_for`` (tests/test_settings.py holds the two equal).
FRESH_FOR = timedelta(hours=6)
ALERT_DAY = timedelta(hours=24)
TICKER_IMPORTANCE = 0.2  # a story about a watched company: all but the least (a trading note)
TOPIC_IMPORTANCE = 0.45  # a watched sector or event type: the stories that stand out
MENTION_RELEVANCE = 0.5  # a named (not primary) watched company this prominent is a co-subject

_ROLE_ORDER = {CompanyRole.PRIMARY: 0, CompanyRole.MENTIONED: 1, CompanyRole.INDIRECT: 2}


@dataclass(frozen=True, slots=True)
class Alert:
    """One story an alert reader is to be told about now."""

    reader: Reader
    story: Story
    item: BriefingItem  # the story told through its best matching article
    company: CompanyLink | None  # the watched company it is about; else the article's subject
    found_at: datetime  # the ``now`` it was selected at: when it became due

    @property
    def period(self) -> str:
        """Its key in the send log: one alert per reader and story."""
        return alert_period(self.story.id)


def _watched(reader: Reader) -> set[str]:
    return {t.strip().lstrip("$").upper() for t in reader.watchlist.tickers} - {""}


def direct_link(analysis: Analysis, tickers: Collection[str]) -> CompanyLink | None:
    """The article's direct link to one of ``tickers``: the one it is about, else one named
    with at least ``MENTION_RELEVANCE`` (the most relevant); None when it has neither."""
    links = [
        c
        for c in analysis.companies
        if c.ticker.upper() in tickers
        and (
            c.role is CompanyRole.PRIMARY
            or (c.role is CompanyRole.MENTIONED and c.relevance >= MENTION_RELEVANCE)
        )
    ]
    return min(links, key=lambda c: (_ROLE_ORDER[c.role], -c.relevance, c.ticker), default=None)


def topic_hits(reader: Reader, analysis: Analysis) -> tuple[str, ...]:
    """The reader's sectors and event types the article matches ("sector: Energy")."""
    return tuple(
        h for h in watchlist_hits(reader, analysis) if h.startswith(("sector: ", "event: "))
    )


@dataclass(frozen=True, slots=True)
class _Match:
    analysis: Analysis
    link: CompanyLink | None  # the watched company it is about; None: a sector or event hit

    @property
    def rank(self) -> tuple[bool, float, str]:
        """Best first: a watched company before a topic, then importance."""
        return (self.link is None, -self.analysis.importance, self.analysis.article.id)


def _match(reader: Reader, tickers: Collection[str], analysis: Analysis) -> _Match | None:
    link = direct_link(analysis, tickers) if tickers else None
    if link is not None and analysis.importance >= TICKER_IMPORTANCE:
        return _Match(analysis, link)
    if analysis.importance >= TOPIC_IMPORTANCE and topic_hits(reader, analysis):
        return _Match(analysis, None)
    return None


def _subject(analysis: Analysis) -> CompanyLink | None:
    return next((c for c in analysis.companies if c.role is CompanyRole.PRIMARY), None)


def select_alerts(
    reader: Reader,
    analyses: Sequence[Analysis],
    stories: Sequence[Story],
    *,
    now: datetime,
    public_url: str | None = None,
    alerted: Callable[[Story], bool] = lambda story: False,
    pending: Collection[StoryId] = (),
    fresh_for: timedelta = FRESH_FOR,
) -> tuple[Alert, ...]:
    """The stories to alert ``reader`` to at ``now`` (see the module doc): about a watched
    company first, then by importance. ``analyses``: at least those of the stories' articles;
    ``alerted(story)``: the reader had an alert for it (or is having one); ``pending``: stories
    whose alert is in the send log but not settled (a retry, a claim of a sender that died) —
    fresh when they were found, they are selected again however old they are now, for the
    sender to retry."""
    tickers = _watched(reader)
    joined = reader.confirmed_at or reader.added_at
    by_id = {a.article.id: a for a in analyses}
    found: list[tuple[_Match, Alert]] = []
    for story in stories:
        if story.id not in pending:
            if story.first_seen_at < now - fresh_for:
                continue
            if joined is not None and story.first_seen_at < joined:
                continue
            if alerted(story):
                continue
        matches = [
            m
            for article_id in story.article_ids
            if (analysis := by_id.get(article_id)) is not None
            and (m := _match(reader, tickers, analysis)) is not None
        ]
        if not matches:
            continue
        best = min(matches, key=lambda m: m.rank)
        lead = best.analysis
        item = story_item(
            story,
            [lead],
            reader,
            now=now,
            public_url=public_url,
            hits=watchlist_hits(reader, lead),
        )
        found.append((best, Alert(reader, story, item, best.link or _subject(lead), now)))
    found.sort(key=lambda pair: (pair[0].rank, pair[1].story.id))
    return tuple(alert for _, alert in found)


__all__ = [
    "ALERT_DAY",
    "FRESH_FOR",
    "MENTION_RELEVANCE",
    "TICKER_IMPORTANCE",
    "TOPIC_IMPORTANCE",
    "Alert",
    "direct_link",
    "select_alerts",
    "topic_hits",
]
