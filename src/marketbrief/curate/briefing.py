"""Build one reader's briefing: the stories since their last one, ranked, and the dates ahead.

Pure: analyses, stories, the reader and ``now`` are arguments. A story is told through its
most important article; it ranks by that importance, lifted when it touches the reader's
watchlist (tickers, sectors, event types). Key dates are those of the briefing's articles that
lie ahead of ``now`` (or cover it), earliest first, one line per distinct date and event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from marketbrief.model import (
    Analysis,
    Briefing,
    BriefingItem,
    CalendarEntry,
    Event,
    KeyDate,
    Reader,
    Story,
    StoryId,
)

# A watched ticker lifts a story most; a watched sector or event type less. Capped so that
# importance still orders the watched stories among themselves.
TICKER_BOOST = 0.5
SECTOR_BOOST = 0.2
EVENT_BOOST = 0.15
MAX_BOOST = 0.6
EVENT_CONFIDENCE = 0.5  # events below this are too uncertain to show or to match a watchlist
MAX_ITEMS = 20
MAX_KEY_DATES = 30
MAX_KEY_DATE_DAYS = 31  # a month at most: longer periods are too loose for a calendar line


def watchlist_hits(reader: Reader, analysis: Analysis) -> tuple[str, ...]:
    """Why this analysis matters to this reader, as short labels ("RTX", "sector: Energy")."""
    watch = reader.watchlist
    tickers = {t.upper() for t in watch.tickers}
    sectors = {s.casefold() for s in watch.sectors}
    events = set(watch.event_types)
    hits: list[str] = [c.ticker for c in analysis.companies if c.ticker.upper() in tickers]
    hits += [f"sector: {s.name}" for s in analysis.sectors if s.name.casefold() in sectors]
    hits += [f"event: {e.type}" for e in confident_events(analysis) if e.type in events]
    return tuple(dict.fromkeys(hits))


def confident_events(analysis: Analysis) -> list[Event]:
    return [e for e in analysis.events if e.confidence >= EVENT_CONFIDENCE]


def watchlist_boost(hits: Sequence[str]) -> float:
    boost = 0.0
    for hit in hits:
        if hit.startswith("sector: "):
            boost += SECTOR_BOOST
        elif hit.startswith("event: "):
            boost += EVENT_BOOST
        else:
            boost += TICKER_BOOST
    return min(boost, MAX_BOOST)


def _instant(analysis: Analysis) -> datetime | None:
    article = analysis.article
    return article.published_at or article.first_seen_at


def build_briefing(
    reader: Reader,
    analyses: Sequence[Analysis],
    stories: Sequence[Story],
    *,
    now: datetime,
    since: datetime | None = None,
    only_watchlist: bool = False,
    max_items: int = MAX_ITEMS,
) -> Briefing:
    """The briefing for ``reader`` at ``now`` from the analyses seen after ``since``."""
    story_of = {article_id: story for story in stories for article_id in story.article_ids}

    def story_key(analysis: Analysis) -> StoryId:
        story = story_of.get(analysis.article.id)
        return story.id if story else StoryId(f"a-{analysis.article.id}")

    fresh = [
        a
        for a in analyses
        if since is None or ((a.article.first_seen_at or _instant(a) or now) > since)
    ]
    lead: dict[StoryId, Analysis] = {}
    members: dict[StoryId, int] = {}
    for analysis in fresh:
        key = story_key(analysis)
        story = story_of.get(analysis.article.id)
        members[key] = len(story.article_ids) if story is not None else 1
        best = lead.get(key)
        if best is None or analysis.importance > best.importance:
            lead[key] = analysis

    ranked: list[tuple[float, BriefingItem]] = []
    for story_id, analysis in lead.items():
        hits = watchlist_hits(reader, analysis)
        if only_watchlist and not hits:
            continue
        article = analysis.article
        item = BriefingItem(
            story_id=story_id,
            title=article.title or analysis.summary[:80],
            summary=analysis.summary,
            url=article.url,
            source=article.source,
            published_at=article.published_at,
            companies=analysis.companies,
            events=tuple(e.type for e in confident_events(analysis)),
            sentiment=analysis.sentiment,
            importance=analysis.importance,
            sources_count=members[story_id],
            matched=hits,
        )
        ranked.append((analysis.importance + watchlist_boost(hits), item))
    ranked.sort(key=lambda pair: (-pair[0], pair[1].title))
    items = tuple(item for _, item in ranked[:max_items])
    chosen = {item.story_id for item in items}
    return Briefing(
        reader=reader,
        generated_at=now,
        since_at=since,
        items=items,
        key_dates=collect_key_dates([a for a in fresh if story_key(a) in chosen], now),
    )


def is_key_date_ahead(key_date: KeyDate, today: date) -> bool:
    """A date worth a calendar line: a day, week or month ahead that starts today or later.

    Broad periods ("this year", "the second quarter") and periods already under way say when
    something happens too loosely for a calendar; they stay in the article's analysis.
    """
    if key_date.range is None or key_date.relation == "past":
        return False
    first, last = key_date.range
    return first >= today and (last - first).days <= MAX_KEY_DATE_DAYS


def collect_key_dates(analyses: Sequence[Analysis], now: datetime) -> tuple[CalendarEntry, ...]:
    """Key dates ahead of ``now``'s day (see ``is_key_date_ahead``), earliest first."""
    today = now.date()
    seen: set[tuple[str, str]] = set()
    entries: list[CalendarEntry] = []
    for analysis in analyses:
        for key_date in analysis.key_dates:
            if key_date.range is None or not is_key_date_ahead(key_date, today):
                continue
            label = key_date.event or analysis.article.title or key_date.span.text
            if (key_date.value, label) in seen:
                continue
            seen.add((key_date.value, label))
            entries.append(
                CalendarEntry(
                    day=key_date.range[0],
                    last_day=key_date.range[1],
                    title=label,
                    value=key_date.value,
                    article_id=analysis.article.id,
                    url=analysis.article.url,
                )
            )
    entries.sort(key=lambda e: (e.day, e.last_day, e.title))
    return tuple(entries[:MAX_KEY_DATES])
