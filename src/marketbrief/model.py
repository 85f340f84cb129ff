"""The records that flow through the pipeline, and their id types.

    Source ─ingest─▶ FetchedDocument ─extract─▶ Article ─enrich─▶ Analysis ─store─▶ (db)
    (db) ─stories─▶ Story ─curate(reader, now)─▶ Briefing ─deliver─▶ email · web · RSS · ICS

Every record is a frozen, slotted dataclass; collections are tuples; instants are aware UTC
datetimes named ``*_at``; calendar days are ``date`` values named ``*_date``. Nothing here does
I/O or imports another marketbrief module, so every layer may use it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import NewType

SourceId = NewType("SourceId", int)
ArticleId = NewType("ArticleId", str)
StoryId = NewType("StoryId", str)
ReaderId = NewType("ReaderId", int)

ANALYSIS_SCHEMA = "marketbrief.analysis/1"


# ── sources and ingest ────────────────────────────────────────────────────────────────────────


class SourceKind(enum.StrEnum):
    """What a source's location points at; decides how it is read."""

    FEED = "feed"  # RSS 0.9x/1.0/2.0, Atom, JSON Feed
    SITEMAP = "sitemap"  # XML sitemap or news sitemap (and sitemap indexes)
    PAGE = "page"  # one web page, fetched and extracted as an article
    FILE = "file"  # one local file: .html/.htm, .txt/.md, .jsonl, or a feed file
    FOLDER = "folder"  # every readable file in a local folder


class SourceStatus(enum.StrEnum):
    NEW = "new"  # never polled
    OK = "ok"  # the last poll worked
    FAILING = "failing"  # the last poll failed; retried with exponential backoff
    GONE = "gone"  # the server said 410 Gone; no longer polled until re-added


@dataclass(frozen=True, slots=True)
class Source:
    """A place news is read from, with its polling state and health."""

    id: SourceId
    url: str  # an http(s) URL, or a file:// URL / absolute path for local sources
    kind: SourceKind
    title: str | None = None
    added_at: datetime | None = None
    status: SourceStatus = SourceStatus.NEW
    etag: str | None = None  # exactly as the server sent it
    last_modified: str | None = None  # exactly as the server sent it
    last_polled_at: datetime | None = None
    last_ok_at: datetime | None = None
    next_poll_at: datetime | None = None
    error_count: int = 0  # consecutive failures
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed or sitemap: where an article is, and what the feed says of it."""

    url: str
    title: str | None = None
    published_at: datetime | None = None
    summary: str | None = None
    guid: str | None = None
    authors: tuple[str, ...] = ()
    content_html: str | None = None  # full content when the feed carries it


@dataclass(frozen=True, slots=True)
class FeedData:
    """A parsed feed or sitemap."""

    url: str
    format: str  # "rss20", "atom10", "json1", "sitemap", "sitemapindex", …
    title: str | None
    link: str | None
    entries: tuple[FeedEntry, ...]
    sitemaps: tuple[str, ...] = ()  # child sitemaps of a sitemap index
    warnings: tuple[str, ...] = ()  # what was wrong but could be read past (bozo)


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """Bytes of one article page or text as fetched, before extraction."""

    url: str  # where it was asked for (canonical key)
    final_url: str  # after redirects
    content: bytes
    content_type: str  # "text/html", "text/plain", …
    fetched_at: datetime
    source_id: SourceId | None = None
    entry: FeedEntry | None = None  # the feed item that led here, if any (title, dates hints)
    charset: str | None = None
    id: str | None = None  # an id the input gave (a JSONL record's "id")
    source_name: str | None = None  # a human name of where it came from


# ── articles ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Article:
    """An article as extracted: the text without the site's chrome, and its metadata."""

    id: ArticleId
    url: str | None
    title: str | None
    text: str
    language: str | None
    published_at: datetime | None  # the best known publication instant
    page_published_at: datetime | None = None  # what the page itself says
    feed_published_at: datetime | None = None  # what the feed said
    first_seen_at: datetime | None = None
    authors: tuple[str, ...] = ()
    source: str | None = None  # a human name of the source (feed title, host)
    source_id: SourceId | None = None
    raw_html: bytes | None = None  # kept (compressed in the store) for re-extraction


@dataclass(frozen=True, slots=True)
class ArticleHeadline:
    """What a list of articles shows of one (the latest page): a read-only record the store
    reads without the article's text; the whole article is ``Article``."""

    id: ArticleId
    title: str | None
    source: str | None
    published_at: datetime | None


# ── analysis (the contract of DESIGN.md §5) ──────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Span:
    """[start, end) character offsets into the article text, and the text there."""

    start: int
    end: int
    text: str


class CompanyRole(enum.StrEnum):
    PRIMARY = "primary"  # the story is about it
    MENTIONED = "mentioned"  # named, not the subject
    INDIRECT = "indirect"  # reached through a product, program, brand, subsidiary or person


@dataclass(frozen=True, slots=True)
class CompanyLink:
    ticker: str
    name: str
    exchange: str | None
    role: CompanyRole
    relevance: float  # 0..1
    why: str
    mentions: tuple[Span, ...] = ()
    sentiment: float | None = None  # -1..1


@dataclass(frozen=True, slots=True)
class SectorLink:
    name: str
    relevance: float
    why: str


@dataclass(frozen=True, slots=True)
class Entity:
    span: Span
    type: str  # PERSON, ORG, GPE, PRODUCT, EVENT, …


@dataclass(frozen=True, slots=True)
class Event:
    type: str  # one of EVENT_TYPES
    confidence: float
    evidence: Span
    # Which way it went, where the type has one: up | down | unchanged (guidance, ratings,
    # dividends), beat | miss | in_line (results); None when the type or the text says nothing.
    direction: str | None = None


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: str  # positive | negative | neutral
    score: float  # -1..1


@dataclass(frozen=True, slots=True)
class KeyDate:
    span: Span
    type: str  # DATE | TIME | DURATION | SET
    value: str  # TimeML TIMEX3 value
    range: tuple[date, date] | None  # first and last day covered
    event: str | None
    relation: str  # past | ongoing | future


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything marketbrief says about one article."""

    article: Article
    summary: str
    companies: tuple[CompanyLink, ...] = ()
    sectors: tuple[SectorLink, ...] = ()
    entities: tuple[Entity, ...] = ()
    events: tuple[Event, ...] = ()
    sentiment: Sentiment = field(default_factory=lambda: Sentiment("neutral", 0.0))
    key_dates: tuple[KeyDate, ...] = ()
    importance: float = 0.0
    story_id: StoryId | None = None


EVENT_TYPES: tuple[str, ...] = (
    # results & capital
    "earnings_results",
    "guidance_change",
    "operating_update",
    "mna",
    "dividend",
    "buyback",
    "equity_offering",
    "debt_credit_event",
    "stock_split",
    "index_change",
    "insider_activist",
    "bankruptcy_restructuring",
    # operations
    "product_event",
    "contract_award",
    "partnership_jv",
    "clinical_trial",
    "regulatory_decision",
    "legal_regulatory_action",
    "management_change",
    "workforce_labor",
    "operational_disruption",
    # market actions
    "analyst_action",
    "credit_rating_action",
    "trading_action",
    # macro & policy
    "macro_release",
    "central_bank",
    "policy_trade",
    "geopolitical_conflict",
)

# How a reader reads an event type where "mna".replace("_", " ") would not do.
_EVENT_LABELS = {
    "mna": "M&A",
    "partnership_jv": "partnership / JV",
    "insider_activist": "insider / activist",
    "bankruptcy_restructuring": "bankruptcy",
    "debt_credit_event": "debt / credit",
    "legal_regulatory_action": "legal / regulatory",
    "workforce_labor": "workforce",
    "policy_trade": "trade policy",
}


def event_label(event: str) -> str:
    """An event type as a reader reads it: "mna" is "M&A", "contract_award" "contract award"."""
    return _EVENT_LABELS.get(event, event.replace("_", " "))


# ── stories, readers, briefings ──────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class StoryMember:
    """One article of a story: when it came, from where, and what it added to the story."""

    article_id: ArticleId
    seen_at: datetime  # published (else first seen): its place in the story's time line
    source: str | None = None
    novelty: float = 1.0  # 0..1: share of new facts (sentences, numbers, names); 0 = a repeat
    added: tuple[str, ...] = ()  # numbers and names the story had not stated before
    new_sentences: tuple[tuple[int, int], ...] = ()  # [start, end) of its new sentences


@dataclass(frozen=True, slots=True)
class Story:
    """Coverage of one development: the articles about it, earliest first.

    ``members`` (when known) line up with ``article_ids`` and say what each article added, so a
    briefing can tell what changed since a given time.
    """

    id: StoryId
    article_ids: tuple[ArticleId, ...]
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    members: tuple[StoryMember, ...] = ()
    sources: tuple[str, ...] = ()  # distinct sources, in order of first coverage
    independent_sources: int = 1  # sources not repeating another's copy

    @property
    def first_article_id(self) -> ArticleId:
        return self.article_ids[0]

    @property
    def latest_article_id(self) -> ArticleId:
        """The most recently seen article (the last one added when times are equal)."""
        if not self.members:
            return self.article_ids[-1]
        latest = max(range(len(self.members)), key=lambda i: (self.members[i].seen_at, i))
        return self.members[latest].article_id


@dataclass(frozen=True, slots=True)
class Watchlist:
    tickers: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()


class ReaderStatus(enum.StrEnum):
    """Where a subscription stands. Only confirmed readers get briefings."""

    PENDING = "pending"  # subscribed, confirmation mail sent, not yet confirmed
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


CADENCES: tuple[str, ...] = ("daily", "weekly", "alerts")


@dataclass(frozen=True, slots=True)
class Reader:
    """A subscriber: what they follow and when their briefing is due (in their own time zone)."""

    id: ReaderId
    email: str
    name: str
    watchlist: Watchlist = field(default_factory=Watchlist)
    cadence: str = "daily"  # one of CADENCES
    last_briefed_at: datetime | None = None
    status: ReaderStatus = ReaderStatus.CONFIRMED
    timezone: str = "America/New_York"  # IANA name; the briefing time is local time there
    send_time: time = time(7, 0)
    weekday: int = 0  # weekly cadence: 0 = Monday … 6 = Sunday
    added_at: datetime | None = None
    confirmed_at: datetime | None = None


class DeliveryStatus(enum.StrEnum):
    """A row of the send log: one reader's briefing for one period."""

    CLAIMED = "claimed"  # a sender has it in hand (stale claims are taken over)
    SENT = "sent"
    RETRY = "retry"  # a temporary failure: due again at next_attempt_at
    FAILED = "failed"  # permanent failure, or out of retries
    SKIPPED = "skipped"  # too late to send, or the address is suppressed


@dataclass(frozen=True, slots=True)
class Delivery:
    """The send log's row for (reader, period): at most one briefing per reader and period."""

    id: int
    reader_id: ReaderId
    period: str  # "2026-11-28" (daily, the reader's local date), "2026-W48" (weekly), …
    status: DeliveryStatus
    due_at: datetime
    attempts: int = 0
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BriefingItem:
    """One story in a briefing, told through its best article (the newest ones' best, for a
    story that changed)."""

    story_id: StoryId
    title: str
    summary: str
    url: str | None  # the source's page
    source: str | None
    published_at: datetime | None
    companies: tuple[CompanyLink, ...]
    events: tuple[str, ...]
    sentiment: Sentiment
    importance: float
    sources_count: int  # independent sources covering the story (copies do not count)
    matched: tuple[str, ...] = ()  # why it is in this reader's briefing (watchlist hits)
    insight: str = ""  # why it matters to this reader, from the analysis alone
    article_id: ArticleId | None = None  # the article it is told through
    page_url: str | None = None  # that article's page on the web reader
    story_url: str | None = None  # the story's page on the web reader (grouped stories only)
    articles_count: int = 1  # articles in the story


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A key date as it appears in a reader's calendar."""

    day: date
    last_day: date
    title: str
    value: str
    article_id: ArticleId | None
    url: str | None
    kind: str = "article"  # article, or a market calendar kind (market_holiday, fomc_meeting, …)
    key: str | None = None  # identity without the date (market calendar keys): a stable UID
    detail: str | None = None  # what the source says of it, in its words
    tickers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WatchlistStory:
    """A story about a watched company, and why the company is linked to it."""

    item: BriefingItem
    role: CompanyRole
    why: str  # the link's evidence, as the analysis gives it
    sentiment: float | None  # toward the company in the article (-1..1), when known


@dataclass(frozen=True, slots=True)
class WatchlistSection:
    """One watched company in a briefing: its stories, best first (none: nothing new)."""

    ticker: str
    name: str | None  # as the analyses name it; None when no story names it
    stories: tuple[WatchlistStory, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryChange:
    """A story the reader has seen that gained articles since their last briefing."""

    item: BriefingItem  # the story through its best new article
    new_articles: int
    new_sources: tuple[str, ...]  # sources that had not covered the story before
    figures: tuple[str, ...] = ()  # numbers the new articles stated first
    names: tuple[str, ...] = ()  # names the new articles brought in
    novelty: float = 0.0  # the highest novelty of the new articles (0: repeats only)


@dataclass(frozen=True, slots=True)
class Briefing:
    """One reader's briefing: top stories, their watchlist, key dates ahead and what changed
    since their last briefing."""

    reader: Reader
    generated_at: datetime
    since_at: datetime | None
    items: tuple[BriefingItem, ...]  # top stories, ranked
    key_dates: tuple[CalendarEntry, ...]  # earliest first
    watchlist: tuple[WatchlistSection, ...] = ()  # in the order of the reader's tickers
    changes: tuple[StoryChange, ...] = ()  # stories updated since ``since_at``


# ── comments ─────────────────────────────────────────────────────────────────────────────────
# A comment is by a signed-in reader (``reader_id``) or, when the operator allows it, by an
# anonymous author who gave a name. Its Markdown is kept as written and as sanitised HTML.
# Moderation moves it between statuses:
#     held ──approve──▶ visible ──hide──▶ hidden ──restore──▶ visible
#     visible/held ──author deletes──▶ deleted   (kept, so that replies keep their place)

CommentId = NewType("CommentId", int)
BanId = NewType("BanId", int)


class CommentStatus(enum.StrEnum):
    VISIBLE = "visible"  # shown to everyone
    HELD = "held"  # waiting for an operator (first comments, many links)
    HIDDEN = "hidden"  # taken down by an operator
    DELETED = "deleted"  # taken down by its author


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment; in a thread, ``replies`` are its answers, oldest first."""

    id: CommentId
    article_id: str
    parent_id: CommentId | None
    reader_id: int | None  # None: anonymous, or the reader is gone
    author_name: str
    body_markdown: str
    body_html: str  # sanitised; "" in a thread for a comment that is not shown
    status: CommentStatus
    created_at: datetime
    edited_at: datetime | None = None
    ip_hash: str | None = None
    replies: tuple[Comment, ...] = ()


@dataclass(frozen=True, slots=True)
class Ban:
    """A reader or a client address (its hash) that may not comment until ``until`` (None: for
    good)."""

    id: BanId
    reader_id: int | None
    ip_hash: str | None
    reason: str
    created_at: datetime
    until: datetime | None
