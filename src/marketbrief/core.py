"""The ``MarketBrief`` facade: every use case the CLI, the web app and the mailer call.

Edges (cli, web) parse input, call one method here and print or render what comes back; no SQL,
HTTP or business rule lives in them. This module wires the stages together: ingest (I/O) →
extract → enrich → store (I/O) → stories → curate → deliver (I/O). ``make_marketbrief`` builds
it from ``Settings``.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import pickle
import sys
import tempfile
import tomllib
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import httpx

from marketbrief.enrich.importance import StoryContext, score_importance, source_weight
from marketbrief.enrich.kb import Alias, Company, KnowledgeBase, load_kb
from marketbrief.enrich.pipeline import enrich_article
from marketbrief.errors import (
    InvalidInputError,
    MarketBriefError,
    NotFoundError,
    SourceExistsError,
)
from marketbrief.extract import extract_article
from marketbrief.ingest.files import read_path, read_stream
from marketbrief.ingest.http import PoliteClient
from marketbrief.ingest.poll import (
    PollOutcome,
    SourcePoller,
    document_from,
    is_local,
    path_of,
)
from marketbrief.model import (
    EVENT_TYPES,
    Analysis,
    Article,
    ArticleId,
    Briefing,
    CalendarEntry,
    CompanyLink,
    Entity,
    Event,
    FetchedDocument,
    KeyDate,
    Reader,
    ReaderStatus,
    SectorLink,
    Sentiment,
    Source,
    SourceKind,
    Span,
    Story,
    StoryId,
    Watchlist,
)
from marketbrief.settings import Settings
from marketbrief.stories import STORY_WINDOW, StoryIndex, StoryInput, cluster_stories

if TYPE_CHECKING:
    from marketbrief.curate import MarketCalendar, MarketDate
    from marketbrief.sender import RenderedBriefing, SendReport
    from marketbrief.store import SqlStore
    from marketbrief.store.sql import RunLock

Progress = Callable[[str, int, int], None]  # (what, done, total)
log = logging.getLogger("marketbrief")


def log_event(level: int, event: str, **fields: object) -> None:
    """One log line: a stable event name, then ``key=value`` fields (grep- and parse-friendly)."""
    if log.isEnabledFor(level):
        log.log(level, "%s %s", event, " ".join(f"{k}={v!r}" for k, v in fields.items()))


# Articles published this recently are read when grouping stories: the members of the live
# stories (whose latest article is within stories.STORY_WINDOW) and the articles not yet placed.
STORY_LOOKBACK = timedelta(days=30)
# The market calendar reads the articles that date something from a quarter before its window
# to half a year after it: a later article may have moved an event out of the window, into the
# past or further ahead, and the newest word on an event is the one that counts.
CALENDAR_LOOKBACK = timedelta(days=92)
CALENDAR_LOOKAHEAD = timedelta(days=183)
CALENDAR_YEARS = range(1900, 2201)  # what the exchange calendar rules and the FOMC data can span
DEMO_CALENDAR_DAYS = 40  # the demo's calendar reaches the sample companies' results in August


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


def _no_progress(what: str, done: int, total: int) -> None:
    return None


def _never() -> bool:
    return False


# ── results the edges show ───────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one source gave in one run."""

    source: Source
    new_articles: int
    not_modified: bool
    error: str | None
    item_errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BriefingFiles:
    reader: Reader
    items: int
    key_dates: int
    html: Path
    text: Path
    eml: Path
    ics: Path


@dataclass(frozen=True, slots=True)
class RunReport:
    sources: tuple[SourceReport, ...]
    new_articles: int
    stories: int
    briefings: tuple[BriefingFiles, ...]  # written to files (the demo)
    sent: SendReport | None = None  # sent by the sender (a run)
    stopped: bool = False  # asked to stop before the end


@dataclass(frozen=True, slots=True)
class AnalyzeResult:
    """One analysed input record, or why it could not be analysed."""

    key: str
    analysis: Analysis | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class KeyDates:
    """The key dates from ``first_day`` to ``last_day`` (``MarketBrief.key_dates``), earliest
    first, and the analyses of the articles they come from."""

    first_day: date
    last_day: date
    entries: tuple[CalendarEntry, ...]
    sources: dict[ArticleId, Analysis]


@dataclass(frozen=True, slots=True)
class DemoReport:
    home: Path
    database: str
    run: RunReport
    articles: int
    as_of: datetime
    calendar: MarketCalendar


class BriefingReads:
    """What briefings read from the store, read once for the readers of a sending run.

    ``news(read_from)`` gives the analyses and stories from the start of ``read_from``'s UTC
    day on — more than a reader briefed since ``read_from`` needs, which is harmless: the
    briefing picks what was first seen after the reader's last briefing — read once per day
    (everything, once, for first briefings); ``calendar(now)`` the market calendar's dates
    from ``now``'s day in New York, once per day. Reading once per reader instead costs about
    20 times as much (benchmarks/bench_briefings.py).
    """

    def __init__(self, brief: MarketBrief) -> None:
        self._brief = brief
        self._news: dict[datetime | None, tuple[list[Analysis], list[Story]]] = {}
        self._calendars: dict[date, Sequence[MarketDate]] = {}

    def news(self, read_from: datetime | None) -> tuple[list[Analysis], list[Story]]:
        day = None
        if read_from is not None:
            day = read_from.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        if day not in self._news:
            store = self._brief.store
            self._news[day] = (store.list_analyses(since=day), store.list_stories(since=day))
        return self._news[day]

    def calendar(self, now: datetime) -> Sequence[MarketDate]:
        from marketbrief.curate.calendar import MARKET_TZ
        from marketbrief.curate.dates import WATCHED_DAYS

        today = now.astimezone(MARKET_TZ).date()
        if today not in self._calendars:
            self._calendars[today] = self._brief.calendar(as_of=today, days=WATCHED_DAYS).dates
        return self._calendars[today]


# ── the facade ──────────────────────────────────────────────────────────────────────────────


class MarketBrief:
    """One marketbrief installation: its settings, store and knowledge base."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: SqlStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self._store = store
        self.transport = transport
        self.clock = clock

    @property
    def store(self) -> SqlStore:
        """The store, opened (and migrated) on first use: ``analyze`` never opens it."""
        if self._store is None:
            # Imported here: SQLAlchemy and Alembic take a second to import, and ``analyze``
            # never opens the store.
            from marketbrief.store import open_store

            if self.settings.database_url is None:
                self.settings.home.mkdir(parents=True, exist_ok=True)
            self._store = open_store(
                self.settings.db_url, sqlite_synchronous=self.settings.sqlite_synchronous
            )
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> MarketBrief:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def kb(self) -> KnowledgeBase:
        """The securities knowledge base, with the operator's aliases file when set."""
        return load_kb(self.settings.kb_aliases_file)

    def kb_company(self, ticker: str) -> tuple[Company, tuple[Alias, ...]]:
        """A listed company and every alias that points at it (current or former ticker)."""
        company = self.kb.company(ticker)
        if company is None:
            former = self.kb.former_tickers.get(ticker.strip().lstrip("$").upper())
            company = self.kb.company(former.ticker) if former is not None else None
        if company is None:
            raise NotFoundError("no U.S.-listed company with this ticker", key=ticker)
        aliases = tuple(a for a in self.kb.aliases if a.ticker == company.ticker)
        return company, aliases

    def kb_search(self, text: str, *, limit: int = 10) -> list[Company]:
        """Companies a person typing ``text`` most likely means (ticker, name, alias)."""
        return self.kb.search(text, limit=limit)

    def upgrade_db(self) -> None:
        self.store.upgrade()

    # ── sources ─────────────────────────────────────────────────────────────────────────────

    def add_source(
        self, location: str, *, kind: SourceKind | None = None, title: str | None = None
    ) -> Source:
        """Add a feed, sitemap or page URL, or a local file or folder."""
        location = location.strip()
        if is_local(location):
            path = path_of(location).expanduser().resolve()
            if not path.exists():
                raise InvalidInputError(f"no such file or folder: {path}", key=location)
            kind = kind or (SourceKind.FOLDER if path.is_dir() else SourceKind.FILE)
            location = path.as_uri()
        else:
            scheme = location.partition("://")[0].lower()
            if scheme not in ("http", "https"):
                raise InvalidInputError(
                    "a source is an http(s) URL, a file:// URL or a local path", key=location
                )
            kind = kind or SourceKind.FEED
        return self.store.add_source(location, kind, title=title, now=self.clock())

    def list_sources(self) -> list[Source]:
        return self.store.list_sources()

    def remove_source(self, key: str) -> Source:
        return self.store.remove_source(int(key) if key.isdigit() else key)

    def search(self, query: str, *, limit: int = 20) -> list[tuple[Article, str]]:
        """Stored articles matching every word of ``query`` (full-text), with a snippet each."""
        return self.store.search_articles(query, limit=limit)

    # ── the main job ────────────────────────────────────────────────────────────────────────

    def poll(self, *, force: bool = False, progress: Progress = _no_progress) -> list[SourceReport]:
        """Poll the due sources (all with ``force``), store and analyse what is new."""
        now = self.clock()
        sources = self.store.list_sources() if force else self.store.due_sources(now)
        sources = [s for s in sources if not (force and s.status == "gone")]
        return asyncio.run(self._poll_all(sources, now, progress))

    async def _poll_all(
        self, sources: Sequence[Source], now: datetime, progress: Progress
    ) -> list[SourceReport]:
        reports: list[SourceReport] = []
        async with PoliteClient(self.settings, transport=self.transport) as client:
            poller = SourcePoller(client, self.settings)

            def is_known(url: str) -> bool:
                return self.store.article_id_for_url(url) is not None

            tasks = [poller.poll(s, now=now, is_known=is_known) for s in sources]
            progress("sources", 0, len(tasks))
            for done, finished in enumerate(asyncio.as_completed(tasks), start=1):
                reports.append(self._take(await finished))
                progress("sources", done, len(tasks))
        reports.sort(key=lambda r: r.source.id)
        return reports

    def _take(self, outcome: PollOutcome) -> SourceReport:
        """Store one poll's outcome: the source's state, then each new article and analysis."""
        try:
            self.store.save_source_state(outcome.source)
        except SourceExistsError:
            # A permanent redirect onto a URL that is already a source: keep both, say so.
            old = self.store.get_source(outcome.source.id)
            note = f"permanently redirected to {outcome.source.url}, which is already a source"
            outcome = replace(outcome, source=replace(outcome.source, url=old.url, last_error=note))
            self.store.save_source_state(outcome.source)
        source = outcome.source
        if outcome.error is not None:
            log_event(
                logging.WARNING,
                "source.failed",
                source_id=source.id,
                url=source.url,
                error=str(outcome.error),
                error_count=source.error_count,
                next_poll_at=source.next_poll_at,
            )
        item_errors = [str(e) for e in outcome.item_errors]
        new = 0
        for document in outcome.documents:
            try:
                analysis = self.analyze_document(document)
            except MarketBriefError as error:
                item_errors.append(str(error))
                continue
            stored, is_new = self.store.upsert_article(analysis.article)
            if is_new:
                self.store.save_analysis(replace(analysis, article=stored))
                new += 1
                log_event(logging.DEBUG, "article.stored", article_id=stored.id, url=stored.url)
        for item_error in item_errors:
            log_event(logging.WARNING, "item.failed", source_id=source.id, error=item_error)
        log_event(
            logging.INFO,
            "source.polled",
            source_id=source.id,
            url=source.url,
            status=source.status.value,
            new_articles=new,
            not_modified=outcome.not_modified,
        )
        return SourceReport(
            source=outcome.source,
            new_articles=new,
            not_modified=outcome.not_modified,
            error=None if outcome.error is None else str(outcome.error),
            item_errors=tuple(item_errors),
        )

    def group_stories(self) -> list[Story]:
        """Place the stored articles that are in no story yet, and store what changed.

        Each joins a live story (one whose latest article is within ``STORY_WINDOW``: its
        stored members are read back so that the new article is compared with what they said)
        or starts one; stories whose centroids come close merge, and a story merged into
        another is deleted. The importance of every article of a changed story is scored again
        with its story (independent sources, novelty, age). Returns the live stories.
        """
        now = self.clock()
        live = self.store.list_stories(since=now - STORY_WINDOW)
        live_ids = {s.id for s in live}
        analyses = {
            a.article.id: a
            for a in self.store.list_analyses(since=now - STORY_LOOKBACK)
            if a.story_id is None or a.story_id in live_ids
        }
        stories = cluster_stories([story_input(a) for a in analyses.values()], existing=live)
        before = {s.id: s for s in live}
        changed = [s for s in stories if before.get(s.id) != s]
        self.store.save_stories(changed)
        self.store.delete_stories(sorted(live_ids - {s.id for s in stories}))
        rescored: list[Analysis] = []
        for story in changed:
            for member in story.members:
                analysis = analyses.get(member.article_id)
                if analysis is None:
                    continue
                context = story_context(analysis, story.independent_sources, member.novelty, now)
                importance = score_importance(
                    analysis.companies,
                    analysis.events,
                    analysis.sentiment,
                    analysis.key_dates,
                    context,
                )
                if importance != analysis.importance or analysis.story_id != story.id:
                    rescored.append(replace(analysis, story_id=story.id, importance=importance))
        # One transaction for the lot: 6-7× faster than one each (benchmarks/README.md).
        self.store.save_analyses(rescored)
        return list(stories)

    def run(
        self,
        *,
        force: bool = False,
        progress: Progress = _no_progress,
        should_stop: Callable[[], bool] = _never,
        stale_after: timedelta | None = None,
    ) -> RunReport:
        """The main job: poll due sources, analyse, group stories, send the due briefings.

        ``should_stop`` is asked between the steps and between readers: a stop request
        finishes the item in hand (a poll round, a story grouping, one reader's briefing)."""
        reports = self.poll(force=force, progress=progress)
        stories = [] if should_stop() else self.group_stories()
        sent = None
        if not should_stop():
            sent = self.send_due(should_stop=should_stop, stale_after=stale_after)
        return RunReport(
            sources=tuple(reports),
            new_articles=sum(r.new_articles for r in reports),
            stories=len(stories),
            briefings=(),
            sent=sent,
            stopped=should_stop(),
        )

    # ── readers and briefings ───────────────────────────────────────────────────────────────

    def add_reader(
        self,
        email: str,
        name: str,
        watchlist: Watchlist,
        *,
        cadence: str = "daily",
        timezone: str = "America/New_York",
        send_time: time = time(7, 0),
        weekday: int = 0,
        confirmed: bool = True,
    ) -> Reader:
        """Add a reader; ``confirmed=False`` leaves them pending (no briefings until they
        confirm through the link the web app mails them)."""
        return self.store.add_reader(
            email,
            name,
            watchlist,
            cadence=cadence,
            now=self.clock(),
            status=ReaderStatus.CONFIRMED if confirmed else ReaderStatus.PENDING,
            timezone=timezone,
            send_time=send_time,
            weekday=weekday,
        )

    def make_watchlist(
        self, tickers: Sequence[str] = (), sectors: Sequence[str] = (), events: Sequence[str] = ()
    ) -> Watchlist:
        """A watchlist from what a person typed, each entry checked: tickers of listed
        companies (a former ticker becomes the current one), GICS sector or sub-industry
        names the knowledge base knows, event types of ``EVENT_TYPES`` (any case)."""
        found: list[str] = []
        for ticker in tickers:
            company, _ = self.kb_company(ticker)
            if company.listed_until is not None:
                raise InvalidInputError(
                    f"{company.ticker} is no longer listed (last traded {company.listed_until})",
                    key=ticker,
                )
            found.append(company.ticker)
        names = {n.casefold(): n for n in self._sector_names()}
        chosen: list[str] = []
        for entry in sectors:
            # "Semiconductors, Aerospace & Defense": split on commas, but keep whole the names
            # that hold one ("Hotels, Restaurants & Leisure"): the longest known run of parts.
            parts = [p.strip() for p in entry.split(",") if p.strip()]
            start = 0
            while start < len(parts):
                for end in range(len(parts), start, -1):
                    name = names.get(", ".join(parts[start:end]).casefold())
                    if name is not None:
                        chosen.append(name)
                        start = end
                        break
                else:
                    wrong = parts[start]
                    close = difflib.get_close_matches(wrong, list(names.values()), n=3)
                    hint = f"; did you mean {' or '.join(close)}?" if close else ""
                    raise InvalidInputError(f"not a GICS sector or sub-industry{hint}", key=wrong)
        for event in events:
            if event.casefold() not in EVENT_TYPES:
                raise InvalidInputError(
                    f"not an event type; one of {', '.join(EVENT_TYPES)}", key=event
                )
        return Watchlist(
            tickers=tuple(dict.fromkeys(found)),
            sectors=tuple(dict.fromkeys(chosen)),
            event_types=tuple(dict.fromkeys(e.casefold() for e in events)),
        )

    def _sector_names(self) -> set[str]:
        kb = self.kb
        names = {n for c in kb.companies.values() for n in (c.sector, c.industry) if n}
        return names | {n for t in kb.themes for n in (t.sector, t.industry) if n}

    def list_readers(self) -> list[Reader]:
        return self.store.list_readers()

    def get_reader(self, key: str) -> Reader:
        """The reader with this email (or id)."""
        return self.store.get_reader(key)

    def remove_reader(self, key: str) -> Reader:
        """Remove a reader and their send log. What is kept about the address stays: its
        bounces and suppression (a re-added address that bounced stays suppressed), the
        confirmation mails sent to it (they rate-limit the next ones)."""
        return self.store.remove_reader(key)

    def erase_reader(self, key: str) -> Reader:
        """Erase everything kept about a reader's address (a request to be forgotten): the
        reader, their send log, the address's bounces and suppression, the notices sent."""
        reader = self.store.get_reader(key)
        erased = self.store.erase_address(reader.email)
        return erased or reader

    def export_reader(self, key: str) -> dict[str, Any]:
        """Everything kept about a reader, as JSON-ready data: the reader, their send log,
        their address's bounces, suppression and notices."""
        data = self.store.reader_data(key)
        data |= self.store.address_data(data["reader"]["email"])
        exported: dict[str, Any] = _jsonable(data)
        return exported

    def brief(
        self,
        reader: Reader,
        *,
        now: datetime | None = None,
        everything: bool = False,
        calendar: Sequence[MarketDate] | None = None,
        reads: BriefingReads | None = None,
    ) -> Briefing:
        """The reader's briefing: stories new since their last one (all, the first time) and
        stories they had that changed since, their watchlist, the key dates ahead.

        ``calendar``: the market calendar's dates from ``now``'s day (read from the store when
        not given: a sender briefing many readers at once passes one calendar to all).
        ``reads``: the store reads shared by the readers of one sending run."""
        from marketbrief.curate import build_briefing

        now = now or self.clock()
        since = None if everything else reader.last_briefed_at
        # The store lists by publication; what is new to the reader is what was first seen
        # after ``since``, and feeds list an article hours after it was published: read a day
        # further back and let the briefing pick by first-seen time.
        read_from = None if since is None else since - timedelta(days=1)
        if reads is None:
            reads = BriefingReads(self)
        analyses, stories = reads.news(read_from)
        if calendar is None:
            calendar = reads.calendar(now)
        return build_briefing(
            reader,
            analyses,
            stories,
            now=now,
            since=since,
            calendar=calendar,
            public_url=self.settings.public_url,
        )

    def write_briefing(self, briefing: Briefing) -> BriefingFiles:
        """Render the briefing to HTML, text and ICS files and an ``.eml`` in the outbox."""
        from marketbrief.deliver import (
            briefing_message_id,
            briefing_title,
            build_briefing_email,
            build_calendar,
            mail_domain,
            render_briefing_html,
            render_briefing_text,
            write_file_atomically,
            write_outbox,
        )

        stem = f"{briefing.generated_at:%Y%m%dT%H%M%SZ}-reader{briefing.reader.id}"
        html = render_briefing_html(briefing)
        text = render_briefing_text(briefing)
        ics = build_calendar(
            briefing.key_dates,
            name=f"marketbrief key dates — {briefing.reader.name}",
            now=briefing.generated_at,
        )
        message = build_briefing_email(
            briefing,
            sender=self.settings.mail_from,
            subject=briefing_title(briefing),
            html=html,
            text=text,
            ics=ics,
            message_id=briefing_message_id(
                briefing.reader, stem, domain=mail_domain(self.settings.mail_from)
            ),
        )
        folder = self.settings.briefings_dir
        files = BriefingFiles(
            reader=briefing.reader,
            items=len(briefing.items),
            key_dates=len(briefing.key_dates),
            html=write_file_atomically(folder / f"{stem}.html", html.encode("utf-8")),
            text=write_file_atomically(folder / f"{stem}.txt", text.encode("utf-8")),
            ics=write_file_atomically(folder / f"{stem}.ics", ics),
            eml=write_outbox(message, self.settings.outbox_dir, stem=stem),
        )
        self.store.mark_briefed(briefing.reader.id, briefing.generated_at)
        return files

    def preview_briefing(self, key: str, *, now: datetime | None = None) -> RenderedBriefing:
        """A reader's briefing as it would be sent now, rendered; nothing is sent or logged."""
        from marketbrief.deliver.links import load_secret_key
        from marketbrief.sender import reader_links, render_briefing

        reader = self.store.get_reader(key)
        links = reader_links(self.settings, reader, key=load_secret_key(self.settings))
        return render_briefing(self.brief(reader, now=now or self.clock()), links)

    def send_due(
        self,
        *,
        reader: str | None = None,
        force_now: bool = False,
        should_stop: Callable[[], bool] = _never,
        stale_after: timedelta | None = None,
    ) -> SendReport:
        """Send the briefings that are due, and the alerts (see ``marketbrief.sender``): to
        every confirmed reader, or to the one with this email. ``force_now``: each reader's
        current period (today, this week) is due now — still at most once per period."""
        from marketbrief.sender import CLAIM_TIMEOUT, Sender

        readers = None
        if reader is not None:
            one = self.store.get_reader(reader)
            if one.status is not ReaderStatus.CONFIRMED:
                raise InvalidInputError(
                    f"this reader is {one.status.value}: only confirmed readers get briefings",
                    key=one.email,
                )
            readers = [one]
        reads = BriefingReads(self)
        sender = Sender(
            store=self.store,
            settings=self.settings,
            build=lambda r, now: self.brief(r, now=now, reads=reads),
            news=reads.news,
            clock=self.clock,
            stale_after=stale_after or CLAIM_TIMEOUT,
            should_stop=should_stop,
        )
        return sender.send_due(readers=readers, force_now=force_now)

    def try_run_lock(self) -> RunLock | None:
        """The installation's run lock (one ``run`` polls at a time), or None when another
        process holds it."""
        return self.store.try_run_lock("run")

    # ── the market calendar ─────────────────────────────────────────────────────────────────

    def calendar(
        self, *, as_of: date | None = None, days: int = 30, watch: Sequence[str] = ()
    ) -> MarketCalendar:
        """What lies ahead from ``as_of`` (default: today in New York) through ``days`` days
        later: exchange closures and early closes, FOMC meetings, and the company events stated
        in the stored articles published by the end of ``as_of`` — only those of the ``watch``
        tickers when some are given (market-wide dates stay)."""
        from marketbrief.curate.calendar import build_market_calendar

        today, analyses = self._calendar_reads(as_of, days)
        return build_market_calendar(analyses, as_of=today, days=days, watch=watch)

    def _calendar_reads(self, as_of: date | None, days: int) -> tuple[date, list[Analysis]]:
        """The calendar's first day and the stored analyses that may hold its dates."""
        from marketbrief.curate.calendar import MARKET_TZ, end_of_day

        today = as_of or self.clock().astimezone(MARKET_TZ).date()
        if today.year not in CALENDAR_YEARS:
            raise InvalidInputError("the calendar spans the years 1900 to 2200", key=str(today))
        if not 0 <= days <= 3660:
            raise InvalidInputError("days ahead: from 0 to 3660", key=str(days))
        last = today + timedelta(days=days)
        analyses = self.store.list_analyses_with_key_dates(
            today - CALENDAR_LOOKBACK, last + CALENDAR_LOOKAHEAD, until=end_of_day(today)
        )
        return today, analyses

    def key_dates(
        self,
        *,
        as_of: date | None = None,
        days: int = 30,
        watch: Sequence[str] = (),
        sector: str | None = None,
    ) -> KeyDates:
        """The market calendar (``calendar``, same arguments) and beside it the other dates the
        stored articles put ahead that share their sentence with one of the article's events
        (``curate.article_dates``: "RTX guidance change" on the day named) — one entry per day
        and title, from its most recently published article; with ``watch``, only those naming
        a watched ticker. With ``sector`` (a GICS sector or industry), the dates of companies
        and articles only where the article links the sector or a company of the date is in it
        (market-wide dates stay). Earliest first; market dates before article dates on a day."""
        from marketbrief.curate import MarketDateKind, article_dates, build_market_calendar
        from marketbrief.curate.dates import market_entry

        today, analyses = self._calendar_reads(as_of, days)
        calendar = build_market_calendar(analyses, as_of=today, days=days, watch=watch)
        watched = set(calendar.watch)
        stated: dict[tuple[date, date, str], CalendarEntry] = {}
        for analysis in analyses:  # newest first: the first to state a date keeps it
            for entry in article_dates(analysis, today=today, last=calendar.last_day):
                if entry.key is not None:  # a company event: the calendar merged those
                    continue
                if watched and not watched & set(entry.tickers):
                    continue
                stated.setdefault((entry.day, entry.last_day, entry.title.casefold()), entry)
        order = [str(kind) for kind in MarketDateKind]
        entries = sorted(
            [*(market_entry(d) for d in calendar.dates), *stated.values()],
            key=lambda e: (e.day, order.index(e.kind) if e.kind in order else len(order), e.title),
        )
        by_id = {a.article.id: a for a in analyses}
        if sector is not None:
            entries = [e for e in entries if self._in_sector(e, sector, by_id)]
        return KeyDates(
            first_day=calendar.first_day,
            last_day=calendar.last_day,
            entries=tuple(entries),
            sources={e.article_id: by_id[e.article_id] for e in entries if e.article_id in by_id},
        )

    def _in_sector(
        self, entry: CalendarEntry, sector: str, analyses: dict[ArticleId, Analysis]
    ) -> bool:
        if not entry.tickers and entry.article_id is None:
            return True  # market-wide
        companies = [self.kb.company(t) for t in entry.tickers]
        if any(c is not None and sector in (c.sector, c.industry) for c in companies):
            return True
        source = analyses.get(entry.article_id) if entry.article_id is not None else None
        return source is not None and any(s.name == sector for s in source.sectors)

    def calendar_ics(self, calendar: MarketCalendar) -> bytes:
        """The calendar as iCalendar; stamped with the end of its as-of day when that is past,
        so a calendar of a past day comes out the same every time."""
        from marketbrief.curate.calendar import end_of_day
        from marketbrief.deliver import build_market_ics

        return build_market_ics(
            calendar.dates, now=min(self.clock(), end_of_day(calendar.first_day))
        )

    def write_calendar_ics(self, calendar: MarketCalendar, path: Path) -> Path:
        """Write the calendar as an iCalendar file (atomically: never half a file)."""
        from marketbrief.deliver import write_file_atomically

        return write_file_atomically(path, self.calendar_ics(calendar))

    # ── analysis without the store ──────────────────────────────────────────────────────────

    def analyze_document(
        self,
        document: FetchedDocument,
        *,
        published_at: datetime | None = None,
        url: str | None = None,
    ) -> Analysis:
        """Extract and enrich one document. ``published_at``/``url`` fill in what it lacks."""
        article = extract_article(document, first_seen_at=document.fetched_at)
        own_date = document.entry.published_at if document.entry else None
        if published_at is not None and own_date is None:
            article = replace(article, published_at=published_at)
        if url is not None and article.url is None:
            article = replace(article, url=url)
        return enrich_article(article, self.kb)

    def read_inputs(
        self, inputs: Sequence[str], *, stdin: BinaryIO | None = None
    ) -> Iterator[FetchedDocument | MarketBriefError]:
        """Documents from paths, URLs and ``-``, in order; a bad one is an error in its place."""
        now = self.clock()
        for location in inputs:
            if location == "-":
                yield from read_stream(stdin or sys.stdin.buffer, name="stdin", now=now)
            elif is_local(location):
                path = path_of(location)
                if not path.exists():
                    yield InvalidInputError(f"no such file or folder: {path}", key=location)
                    continue
                keep_ids = path.suffix.lower() == ".jsonl" or path.is_dir()
                for item in read_path(path, now=now):
                    if isinstance(item, FetchedDocument) and not keep_ids:
                        item = replace(item, id=None)  # the contract's id: input id, else hash
                    yield item
            else:
                try:
                    yield asyncio.run(self._fetch_one(location))
                except MarketBriefError as error:
                    yield error

    async def _fetch_one(self, url: str) -> FetchedDocument:
        async with PoliteClient(self.settings, transport=self.transport) as client:
            response = await client.fetch(url, check_robots=self.settings.respect_robots)
        return document_from(response)

    def analyze_inputs(
        self,
        inputs: Sequence[str],
        *,
        published_at: datetime | None = None,
        url: str | None = None,
        stdin: BinaryIO | None = None,
        progress: Progress = _no_progress,
    ) -> list[AnalyzeResult]:
        """Analyse every input in order; articles of one story within the batch share a
        ``story_id``, and importance counts the story (``analyze_stream``, collected)."""
        return list(
            self.analyze_stream(
                inputs, published_at=published_at, url=url, stdin=stdin, progress=progress
            )
        )

    def analyze_stream(
        self,
        inputs: Sequence[str],
        *,
        published_at: datetime | None = None,
        url: str | None = None,
        stdin: BinaryIO | None = None,
        progress: Progress = _no_progress,
    ) -> Iterator[AnalyzeResult]:
        """Analyse every input; results in input order, in memory flat in their number.

        Articles are placed into stories earliest first (input order on ties); ``story_id`` is
        set on the articles that share a story (one alone keeps null), and importance counts
        the story's independent sources, the article's novelty in it, and its age before the
        newest dated article of the batch (so a batch scores the same whenever it is run).
        Story ids are known only when the whole batch has been read, so the analyses wait in a
        temporary file, not in memory; what stays in memory is a few numbers per article and
        the live stories of the grouping window.
        """
        with tempfile.TemporaryFile(prefix="marketbrief-analyze-") as spool:
            offsets = array("q")  # position → where its result starts in the spool
            times = array("d")  # of the analysed results, in input order: their instant
            analysed = array("q")  # … and their position
            # … and where what grouping reads of it starts: placing reads only that, not the
            # whole analysis (unpickling the analysis' many small records is the cost)
            grouping = array("q")
            for result in self._analyze_each(
                inputs, published_at=published_at, url=url, stdin=stdin, progress=progress
            ):
                if result.analysis is not None:
                    times.append(_story_time(result.analysis).timestamp())
                    analysed.append(len(offsets))
                    grouping.append(spool.tell())
                    _dump(story_input(result.analysis, batch=True), spool)
                offsets.append(spool.tell())
                _dump(result, spool)

            def load(offset: int) -> Any:
                spool.seek(offset)
                return pickle.load(spool)  # our own file, written just now

            batch = BatchStories()
            # earliest first, input order on ties (a stable sort)
            for k in sorted(range(len(times)), key=times.__getitem__):
                batch.place_input(analysed[k], load(grouping[k]))
            batch.close()
            for position in range(len(offsets)):
                yield batch.apply(position, load(offsets[position]))

    def _analyze_each(
        self,
        inputs: Sequence[str],
        *,
        published_at: datetime | None,
        url: str | None,
        stdin: BinaryIO | None,
        progress: Progress = _no_progress,
    ) -> Iterator[AnalyzeResult]:
        """Every input's analysis (without stories), or why it failed, in input order."""
        for done, item in enumerate(self.read_inputs(inputs, stdin=stdin), start=1):
            if isinstance(item, MarketBriefError):
                yield AnalyzeResult(key=item.key or "?", error=item.message)
            else:
                key = item.id or item.url
                try:
                    analysis = self.analyze_document(item, published_at=published_at, url=url)
                    yield AnalyzeResult(key=key, analysis=analysis)
                except MarketBriefError as error:
                    yield AnalyzeResult(key=item.id or error.key or key, error=error.message)
            progress("analyze", done, 0)

    # ── the demo ────────────────────────────────────────────────────────────────────────────

    def demo(self, samples: Path, *, progress: Progress = _no_progress) -> DemoReport:
        """Ingest the bundled samples, analyse, group, and brief the sample reader."""
        manifest = tomllib.loads((samples / "readers.toml").read_text("utf-8"))
        known = {s.url for s in self.store.list_sources()}
        for feed in sorted((samples / "feeds").iterdir()):
            if feed.is_file() and feed.resolve().as_uri() not in known:
                self.add_source(str(feed))
        readers = {r.email for r in self.store.list_readers()}
        for entry in manifest.get("reader", ()):
            watch = entry.get("watchlist", {})
            if entry["email"].lower() not in readers:
                self.add_reader(
                    entry["email"],
                    entry["name"],
                    Watchlist(
                        tickers=tuple(watch.get("tickers", ())),
                        sectors=tuple(watch.get("sectors", ())),
                        event_types=tuple(watch.get("event_types", ())),
                    ),
                    cadence=entry.get("cadence", "daily"),
                )
        reports = self.poll(force=True, progress=progress)
        stories = self.group_stories()
        emails = {e["email"].lower() for e in manifest.get("reader", ())}
        briefings = [
            self.write_briefing(self.brief(reader, everything=True))
            for reader in self.store.list_readers()
            if reader.email in emails
        ]
        as_of = self.clock()
        calendar = self.calendar(days=DEMO_CALENDAR_DAYS)  # from the clock's day
        return DemoReport(
            home=self.settings.home,
            database=self.settings.db_url,
            run=RunReport(
                sources=tuple(reports),
                new_articles=sum(r.new_articles for r in reports),
                stories=len(stories),
                briefings=tuple(briefings),
            ),
            articles=self.store.count_articles(),
            as_of=as_of,
            calendar=calendar,
        )


def story_input(analysis: Analysis, *, batch: bool = False) -> StoryInput:
    """What story grouping reads of an analysed article; its place in time is its publication
    (else when it was first seen). In an ``analyze`` batch an article without a publication
    date was "first seen" when the batch was read, which says nothing of when it appeared: it
    is undated, and may join a story of any time."""
    article = analysis.article
    return StoryInput(
        id=article.id,
        title=article.title or "",
        text=article.text,
        seen_at=_story_time(analysis),
        url=article.url,
        source=article.source,
        keys=tuple(c.ticker for c in analysis.companies),
        story_id=analysis.story_id,
        dated=not batch or article.published_at is not None,
    )


def _story_time(analysis: Analysis) -> datetime:
    article = analysis.article
    return article.published_at or article.first_seen_at or datetime.min.replace(tzinfo=UTC)


def story_context(
    analysis: Analysis, independent_sources: int, novelty: float, now: datetime
) -> StoryContext:
    """The importance context of an article in its story, as of ``now``."""
    article = analysis.article
    return StoryContext(
        independent_sources=independent_sources,
        novelty=novelty,
        age=now - _story_time(analysis),
        source_weight=source_weight(article.url, article.source),
    )


class BatchStories:
    """A batch's articles placed into stories as the store would place them, and what that
    changes in their analyses: ``story_id`` and importance.

    ``place`` the analyses earliest first, ``close``, then ``apply`` to each result. Holds a
    few numbers per article (in arrays) and the live stories of the window, not the analyses.
    """

    def __init__(self) -> None:
        self._index = StoryIndex()
        self._story = array("q")  # position → number of its story in _ids, -1: not placed
        self._novelty = array("d")  # position → its novelty in its story
        self._ids: list[StoryId] = []  # story number → id (as placed; resolved by close)
        self._number: dict[StoryId, int] = {}
        self._independent: list[int] = []  # story number → independent sources
        self._size: list[int] = []  # story number → articles of the batch
        self._newest: datetime | None = None

    def place(self, position: int, analysis: Analysis) -> None:
        self.place_input(position, story_input(analysis, batch=True))

    def place_input(self, position: int, item: StoryInput) -> None:
        """``place`` with what grouping reads of the analysis: ``story_input(…, batch=True)``."""
        placement = self._index.add(item)
        number = self._number.get(placement.story_id)
        if number is None:
            number = self._number[placement.story_id] = len(self._ids)
            self._ids.append(placement.story_id)
            self._independent.append(1)
        self._independent[number] = placement.independent_sources
        missing = position + 1 - len(self._story)
        if missing > 0:
            self._story.extend([-1] * missing)
            self._novelty.extend([0.0] * missing)
        self._story[position] = number
        self._novelty[position] = placement.member.novelty
        if item.dated:
            at = item.seen_at
            self._newest = at if self._newest is None else max(self._newest, at)

    def close(self) -> None:
        """Settle the stories: merged stories resolved to the one that absorbed them, their
        articles and sources counted there."""
        final = [self._number[self._index.resolve(story_id)] for story_id in self._ids]
        independent = [1] * len(self._ids)
        for number, count in enumerate(self._independent):
            independent[final[number]] = max(independent[final[number]], count)
        size = [0] * len(self._ids)
        for position, number in enumerate(self._story):
            if number >= 0:
                self._story[position] = final[number]
                size[final[number]] += 1
        self._independent, self._size = independent, size
        self._index = StoryIndex()  # the live stories are not needed any more
        self._number = {}

    def apply(self, position: int, result: AnalyzeResult) -> AnalyzeResult:
        """``result`` with its story: ``story_id`` when the story has other articles of the
        batch (null when alone), importance with the story's independent sources, the
        article's novelty in it and its age before the batch's newest dated article."""
        analysis = result.analysis
        if analysis is None or position >= len(self._story) or self._story[position] < 0:
            return result
        number = self._story[position]
        # An undated article is as fresh as the batch; a dated one as old as it is before the
        # batch's newest dated article.
        now = _story_time(analysis)
        if analysis.article.published_at is not None and self._newest is not None:
            now = self._newest
        context = story_context(analysis, self._independent[number], self._novelty[position], now)
        importance = score_importance(
            analysis.companies, analysis.events, analysis.sentiment, analysis.key_dates, context
        )
        grouped = self._ids[number] if self._size[number] > 1 else None
        return replace(result, analysis=replace(analysis, story_id=grouped, importance=importance))


def _restore(cls: type[Any], values: tuple[Any, ...]) -> Any:
    return cls(*values)


# The analyze spool pickles each record as its class and field values, rebuilt by the class
# itself: the dataclasses' own pickle state (``__getstate__``/``__setstate__`` of a slotted
# dataclass) looks up the fields again for every record, most of the spool's time.
_SPOOLED: tuple[type[Any], ...] = (
    AnalyzeResult,
    Analysis,
    Article,
    CompanyLink,
    SectorLink,
    Entity,
    Event,
    Sentiment,
    KeyDate,
    Span,
    StoryInput,
)
# per class: its field values as a tuple, in order (every spooled class has two or more fields,
# so attrgetter gives a tuple)
_SPOOL_FIELDS = {cls: attrgetter(*(f.name for f in fields(cls))) for cls in _SPOOLED}


def _spool_reduce(record: Any) -> tuple[Any, ...]:
    return _restore, (type(record), _SPOOL_FIELDS[type(record)](record))


_SPOOL_DISPATCH = dict.fromkeys(_SPOOLED, _spool_reduce)


def _dump(record: Any, spool: BinaryIO) -> None:
    pickler = pickle.Pickler(spool, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _SPOOL_DISPATCH
    pickler.dump(record)


def _jsonable(value: Any) -> Any:
    """Rows as JSON-ready data: instants and times as ISO 8601, mappings and lists inside."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def make_marketbrief(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> MarketBrief:
    """The facade for ``settings``; the store opens (and migrates) when first used."""
    return MarketBrief(settings, transport=transport, clock=clock)


__all__ = [
    "AnalyzeResult",
    "BriefingFiles",
    "DemoReport",
    "MarketBrief",
    "RunReport",
    "SourceReport",
    "make_marketbrief",
]
