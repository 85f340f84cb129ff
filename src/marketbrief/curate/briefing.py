"""Build one reader's briefing: top stories, their watchlist, key dates ahead, what changed.

Pure: the reader, the analyses, the stories (with their members), the market calendar's dates
and ``now`` are arguments. What is new to the reader is what was first seen after ``since``
(their last briefing). The articles new since then fall into their stories, and each story is
told through its most important new article:

- **Top stories**: stories that are wholly new, ranked by that importance lifted when they touch
  the watchlist (tickers, sectors, event types), each with one line of insight
  (``curate.insight``) and its counts of independent sources and articles;
- **Your watchlist**: per watched ticker, the stories that link it (new or updated), with the
  link's role, its why and the sentiment toward the company;
- **Key dates ahead** (``curate.dates``): the market calendar and the articles' dates, one line
  each, at most ten;
- **What changed**: stories the reader had seen (some of their articles were first seen before
  ``since``) that gained articles since: how many, from which new sources, and the figures and
  names those articles stated first (``StoryMember.added``).

Each story links to its source and, given ``public_url``, to its pages on the web reader
(``/articles/{id}``, ``/stories/{id}``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from marketbrief.curate.calendar import MARKET_TZ, MarketDate
from marketbrief.curate.dates import (
    KEY_DATE_DAYS,
    MAX_KEY_DATES,
    WATCHED_DAYS,
    article_dates,
    collect_key_dates,
)
from marketbrief.curate.insight import chosen_events, insight_line
from marketbrief.curate.words import link_reason
from marketbrief.model import (
    Analysis,
    ArticleId,
    Briefing,
    BriefingItem,
    CompanyLink,
    CompanyRole,
    Event,
    Reader,
    Story,
    StoryChange,
    StoryId,
    WatchlistSection,
    WatchlistStory,
)

# A watched ticker lifts a story most; a watched sector or event type less. Capped so that
# importance still orders the watched stories among themselves.
TICKER_BOOST = 0.5
SECTOR_BOOST = 0.2
EVENT_BOOST = 0.15
MAX_BOOST = 0.6
EVENT_CONFIDENCE = 0.5  # events below this are too uncertain to show or to match a watchlist
MAX_ITEMS = 10
MAX_PER_COMPANY = 3
MAX_CHANGES = 5
MAX_ADDED = 4  # figures, and names, shown per changed story


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


def first_seen(analysis: Analysis) -> datetime | None:
    """When the article reached marketbrief (else its publication): when a reader could
    first have had it in a briefing."""
    article = analysis.article
    return article.first_seen_at or article.published_at


def article_page(public_url: str | None, article_id: str) -> str | None:
    """The article's page on the web reader."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/articles/{quote(article_id, safe='')}"


def story_page(public_url: str | None, story_id: str) -> str | None:
    """The story's page on the web reader."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/stories/{quote(story_id, safe='')}"


# ── what the new articles added ─────────────────────────────────────────────────────────────

_CALENDAR_WORDS = frozenset(
    (  # noqa: SIM905 (one line of words reads better than a column of strings)
        "monday tuesday wednesday thursday friday saturday sunday january february march april "
        "may june july august september october november december today yesterday tomorrow"
    ).split()
)
_MONEY_OR_SHARE = re.compile(r"[$€£¥%]|\b(?:billion|million|trillion|bn|mln|percent)\b", re.I)
_NUMBER_START = re.compile(r"[~≈+\-−]?(?:[$€£¥]|US\$)?\s?\d")  # "F-35 Support" is a name
_YEAR = re.compile(r"(?:19|20)\d\d")


def is_figure(text: str) -> bool:
    """A number worth calling a new figure: an amount, a share, or a number of three digits
    or more that is not a year ("22" and "2035" are not; "$9.2 billion", "36%", "1,200" are)."""
    digits = re.sub(r"\D", "", text)
    if not digits or not _NUMBER_START.match(text):
        return False
    if _MONEY_OR_SHARE.search(text) or re.search(r"\d[.,]\d", text):
        return True
    return len(digits) >= 3 and not _YEAR.fullmatch(text.strip())


def _names_of(analysis: Analysis) -> set[str]:
    names = {e.span.text.casefold() for e in analysis.entities}
    for link in analysis.companies:
        names.add(link.name.casefold())
        names.update(m.text.casefold() for m in link.mentions)
    return names


def split_added(added: Sequence[str], analysis: Analysis | None) -> tuple[list[str], list[str]]:
    """The figures and the names among what an article added to its story. A name is kept when
    the article's analysis knows it as an entity or a company (else a capitalised phrase of a
    headline could pass for one); day and month names are dates, not news."""
    known = _names_of(analysis) if analysis is not None else None
    figures: list[str] = []
    names: list[str] = []
    for raw in added:
        text = " ".join(raw.split())
        if not text:
            continue
        if any(ch.isdigit() for ch in text):
            if is_figure(text):
                figures.append(text)
        elif text.casefold() not in _CALENDAR_WORDS and (known is None or text.casefold() in known):
            names.append(text)
    return figures, names


# ── assembly ─────────────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class _Group:
    """The new articles of one story."""

    story_id: StoryId
    story: Story | None
    analyses: list[Analysis]

    @property
    def lead(self) -> Analysis:
        return max(self.analyses, key=lambda a: (a.importance, a.article.id))


def _seen_before(story: Story | None, new: set[ArticleId], since: datetime | None) -> bool:
    """The reader had part of this story: one of its articles is not new since ``since``."""
    if story is None or since is None:
        return False
    if story.members:
        return any(m.article_id not in new and m.seen_at <= since for m in story.members)
    return any(article_id not in new for article_id in story.article_ids)


def _item(
    group: _Group, reader: Reader, *, today: date, public_url: str | None, hits: tuple[str, ...]
) -> BriefingItem:
    lead = group.lead
    article = lead.article
    story = group.story
    dates = article_dates(lead, today=today, last=today + timedelta(days=WATCHED_DAYS))
    return BriefingItem(
        story_id=group.story_id,
        title=" ".join((article.title or lead.summary[:80] or "(untitled)").split()),
        summary=lead.summary,
        url=article.url,
        source=article.source,
        published_at=article.published_at,
        companies=lead.companies,
        events=tuple(e.type for e in chosen_events(lead, reader, limit=3)),
        sentiment=lead.sentiment,
        importance=lead.importance,
        sources_count=story.independent_sources if story is not None else 1,
        matched=hits,
        insight=insight_line(lead, reader, dates=dates),
        article_id=article.id,
        page_url=article_page(public_url, article.id),
        story_url=story_page(public_url, story.id) if story is not None else None,
        articles_count=len(story.article_ids) if story is not None else 1,
    )


def story_item(
    story: Story,
    analyses: Sequence[Analysis],
    reader: Reader,
    *,
    now: datetime,
    public_url: str | None = None,
    hits: tuple[str, ...] = (),
) -> BriefingItem:
    """``story`` as a briefing tells it: through the most important of ``analyses`` (some of
    its articles), with the insight line for ``reader`` and the links to the web reader."""
    today = now.astimezone(MARKET_TZ).date()
    group = _Group(story.id, story, list(analyses))
    return _item(group, reader, today=today, public_url=public_url, hits=hits)


def _change(group: _Group, item: BriefingItem, new: set[ArticleId]) -> StoryChange:
    story = group.story
    members = story.members if story is not None else ()
    by_id = {a.article.id: a for a in group.analyses}
    old_sources = {m.source for m in members if m.article_id not in new and m.source}
    new_members = [m for m in members if m.article_id in new]
    figures: list[str] = []
    names: list[str] = []
    for member in new_members:
        more_figures, more_names = split_added(member.added, by_id.get(member.article_id))
        figures += more_figures
        names += more_names
    sources = [m.source for m in new_members if m.source and m.source not in old_sources]
    if not members:  # no member details: the new articles' own sources
        sources = [a.article.source for a in group.analyses if a.article.source]
    return StoryChange(
        item=item,
        new_articles=len(group.analyses),
        new_sources=tuple(dict.fromkeys(sources)),
        figures=tuple(dict.fromkeys(figures))[:MAX_ADDED],
        names=tuple(dict.fromkeys(names))[:MAX_ADDED],
        novelty=max((m.novelty for m in new_members), default=0.0),
    )


def _watch_link(group: _Group, ticker: str) -> CompanyLink | None:
    links = [c for a in group.analyses for c in a.companies if c.ticker.upper() == ticker]
    order = {CompanyRole.PRIMARY: 0, CompanyRole.MENTIONED: 1, CompanyRole.INDIRECT: 2}
    return min(links, key=lambda c: (order[c.role], -c.relevance), default=None)


def _watchlist(
    reader: Reader, groups: Sequence[tuple[_Group, BriefingItem]], per_company: int
) -> tuple[WatchlistSection, ...]:
    sections = []
    for ticker in dict.fromkeys(t.strip().lstrip("$").upper() for t in reader.watchlist.tickers):
        if not ticker:
            continue
        found = [
            (link, item)
            for group, item in groups
            if (link := _watch_link(group, ticker)) is not None
        ]
        found.sort(key=lambda pair: (-pair[0].relevance * pair[1].importance, pair[1].title))
        sections.append(
            WatchlistSection(
                ticker=ticker,
                name=found[0][0].name if found else None,
                stories=tuple(
                    WatchlistStory(item, link.role, link_reason(link), link.sentiment)
                    for link, item in found[:per_company]
                ),
            )
        )
    return tuple(sections)


def build_briefing(
    reader: Reader,
    analyses: Sequence[Analysis],
    stories: Sequence[Story],
    *,
    now: datetime,
    since: datetime | None = None,
    calendar: Sequence[MarketDate] = (),
    public_url: str | None = None,
    only_watchlist: bool = False,
    max_items: int = MAX_ITEMS,
    max_per_company: int = MAX_PER_COMPANY,
    max_changes: int = MAX_CHANGES,
    key_date_days: int = KEY_DATE_DAYS,
    max_key_dates: int = MAX_KEY_DATES,
) -> Briefing:
    """The briefing for ``reader`` at ``now`` from the analyses first seen after ``since``
    (see the module doc). ``calendar``: the market calendar's dates from ``now``'s day (in New
    York) on; ``public_url``: the web reader's address, for the page links."""
    today = now.astimezone(MARKET_TZ).date()
    story_of = {article_id: story for story in stories for article_id in story.article_ids}
    fresh = [a for a in analyses if since is None or ((first_seen(a) or now) > since)]
    new_ids = {a.article.id for a in fresh}
    groups: dict[StoryId, _Group] = {}
    for analysis in fresh:
        story = story_of.get(analysis.article.id)
        key = story.id if story is not None else StoryId(f"a-{analysis.article.id}")
        groups.setdefault(key, _Group(key, story, [])).analyses.append(analysis)

    top: list[tuple[float, _Group, BriefingItem]] = []
    updated: list[tuple[float, _Group, BriefingItem]] = []
    for group in groups.values():
        hits = watchlist_hits(reader, group.lead)
        item = _item(group, reader, today=today, public_url=public_url, hits=hits)
        score = group.lead.importance + watchlist_boost(hits)
        if _seen_before(group.story, new_ids, since):
            updated.append((score, group, item))
        elif hits or not only_watchlist:
            top.append((score, group, item))
    top.sort(key=lambda t: (-t[0], t[2].title, t[2].story_id))
    updated.sort(key=lambda t: (-t[0], t[2].title, t[2].story_id))
    chosen = top[:max_items]
    every = [(group, item) for _, group, item in top + updated]
    watchlist = _watchlist(reader, every, max_per_company)
    watched_ids = {s.item.story_id for section in watchlist for s in section.stories}
    key_dates = collect_key_dates(
        today=today,
        market=calendar,
        top=[a for _, group, _ in chosen for a in group.analyses],
        watched_analyses=[
            a for group, item in every if item.story_id in watched_ids for a in group.analyses
        ],
        watch=[s.ticker for s in watchlist],
        days=key_date_days,
        max_dates=max_key_dates,
    )
    return Briefing(
        reader=reader,
        generated_at=now,
        since_at=since,
        items=tuple(item for _, _, item in chosen),
        key_dates=key_dates,
        watchlist=watchlist,
        changes=tuple(_change(g, item, new_ids) for _, g, item in updated[:max_changes]),
    )
