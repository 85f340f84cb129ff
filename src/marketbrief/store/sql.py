"""``SqlStore``: marketbrief's records kept in SQLite or PostgreSQL, through SQLAlchemy Core.

Rows become records here and nowhere else; every method takes and returns records of
``marketbrief.model``. Driver errors come out as ``StorageError`` (the driver's error chained as
``__cause__``); a unique violation comes out as the domain error it means
(``SourceExistsError``, ``InvalidInputError`` for a second reader with one email).

Instants: aware UTC in and out. A naive datetime given to the store is taken as UTC, as the
analysis contract does. SQLite has no time zones, so UTC is stored and attached again on reading
(``schema.UTCDateTime``).

SQLite durability: the database runs in WAL mode with ``synchronous`` from the settings,
``NORMAL`` by default. WAL + NORMAL survives any application crash with every committed
transaction kept, and never corrupts the file; a power cut or OS crash may lose the last few
commits (they are still only in the WAL), which costs nothing here because the next poll fetches
those articles again. ``FULL`` makes every commit durable on power loss at the price of an fsync
per commit. ``foreign_keys`` is on (removing a source sets its articles' ``source_id`` to NULL)
and ``busy_timeout`` lets several processes share the file: a writer waits up to 15 s for
another's commit. Write transactions start with ``BEGIN IMMEDIATE`` so that two writers queue on
the busy timeout instead of one failing with "database is locked" when it upgrades a read lock.

raw_html: stored lzma-compressed (xz container, preset 1). Measured on 40 real news pages from
``../shared/eval/extraction`` (305 kB mean): zlib level 6 shrinks them 5.2× at 7 ms a page,
lzma preset 1 6.3× at 11 ms, lzma preset 6 6.8× at 77 ms. The page is written once and read only
to re-extract, and an archive of millions of pages is dominated by this column, so the 17%
smaller lzma-1 beats zlib for a few milliseconds more of CPU per page; presets above 1 cost
several times the CPU for little. Lists and searches leave ``raw_html`` out (``None``): only
``get_article``, ``get_analysis`` and ``upsert_article`` return it.

Full-text search: FTS5 on SQLite (porter stemming), a generated ``tsvector`` with a GIN index on
PostgreSQL (english configuration). A query is cut down to its word characters first, so quotes,
operators and punctuation typed by a person can never be a syntax error; the words must all
occur (AND). Snippets are plain text (no highlight markup), safe to escape and show.

Schema changes are Alembic revisions in ``migrations/versions``; ``SqlStore.upgrade`` applies
them. To write a new one after editing ``schema.py``::

    from alembic import command
    from marketbrief.store.sql import alembic_config
    command.revision(alembic_config("sqlite:////tmp/scratch.db"), "what changed",
                     autogenerate=True)

(``scratch.db`` must be at the current head first; add full-text DDL by hand).
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import lzma
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util.exc import CommandError
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    create_engine,
    delete,
    event,
    exists,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import StaticPool

from marketbrief.contract import analysis_from_json, analysis_to_json
from marketbrief.errors import (
    ConfigError,
    InvalidInputError,
    MarketBriefError,
    NotFoundError,
    SourceExistsError,
    SourceNotFoundError,
    SpentLinkError,
    StorageError,
)
from marketbrief.model import (
    CADENCES,
    Analysis,
    Article,
    ArticleHeadline,
    ArticleId,
    Ban,
    BanId,
    Comment,
    CommentId,
    CommentStatus,
    Delivery,
    DeliveryStatus,
    Reader,
    ReaderId,
    ReaderStatus,
    Source,
    SourceId,
    SourceKind,
    SourceStatus,
    Story,
    StoryId,
    StoryMember,
    Watchlist,
)
from marketbrief.store.schema import (
    FTS_TABLE,
    SEARCH_COLUMN,
    UTCDateTime,
    analyses,
    article_companies,
    article_events,
    article_sectors,
    articles,
    as_utc,
    bans,
    comments,
    deliveries,
    key_dates,
    notices,
    readers,
    sessions,
    sources,
    story_articles,
    suppressions,
)
from marketbrief.store.schema import stories as story_table

SQLITE_SYNCHRONOUS: Final = ("OFF", "NORMAL", "FULL", "EXTRA")

_MIGRATIONS = Path(__file__).with_name("migrations")
_BUSY_TIMEOUT_MS = 15_000
_BEGIN_OPTION = "marketbrief_sqlite_begin"  # execution option read by the SQLite "begin" hook
_LZMA_PRESET = 1
_SEARCH_TERMS_MAX = 16  # more words than this in a query add nothing but cost
_SNIPPET_WORDS = 24
_RUN_LOCK_CLASS = 7265637  # the first key of run locks (pg_try_advisory_lock(int, int))
_SQLITE_POOL_SIZE = 20  # connections kept open to a SQLite file (see create_store_engine)
_IN_CHUNK = 500  # keys per "IN (...)" list, well under every backend's parameter limit
# A filtered page (page_analyses) looks through the newest _FILTER_WINDOW rows (or this many
# pages' worth, when more) before it collects every linked row.
_FILTER_WINDOW_PAGES = 20
_FILTER_WINDOW = 2000
_WORDS = re.compile(r"\w+")
_STOP_WORDS = frozenset(
    (  # noqa: SIM905 (one line of words reads better than thirty lines of strings)
        "a an and are as at be but by for from has have in is it its not of on or that the "
        "this to was were will with"
    ).split()
)

# Article columns without raw_html, for lists (see the module docstring).
_ARTICLE_LIST_COLUMNS = tuple(c for c in articles.c if c.name != "raw_html")
# What a headline shows (ArticleHeadline), and pk and sort_at, which a page is ordered by.
_HEADLINE_COLUMNS = (
    articles.c.pk,
    articles.c.id,
    articles.c.title,
    articles.c.source,
    articles.c.published_at,
    articles.c.sort_at,
)


# ── engine ──────────────────────────────────────────────────────────────────────────────────


def create_store_engine(url: str, *, sqlite_synchronous: str = "NORMAL") -> Engine:
    """An engine for ``url``, with marketbrief's SQLite settings (see the module docstring).

    Creates the parent folder of a SQLite file. ``sqlite://`` (no file) is an in-memory database
    shared by all connections of the engine, for tests and one-off runs.
    """
    synchronous = sqlite_synchronous.upper()
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ConfigError(
            f"must be one of {', '.join(SQLITE_SYNCHRONOUS)}, not {sqlite_synchronous!r}",
            key="sqlite_synchronous",
        )
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True)
        memory = parsed.database in (None, "", ":memory:")
        if memory:
            engine = create_engine(
                parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
            # The web server's threads (40 by default) each hold a connection while answering:
            # with the default pool (5 kept) a connection was opened, set up and closed per
            # request whenever more than 5 were in flight (7 % of a worker's busy time in a
            # py-spy profile of the latest page with 8 in flight).
            engine = create_engine(
                parsed, pool_size=_SQLITE_POOL_SIZE, max_overflow=_SQLITE_POOL_SIZE
            )
    except ArgumentError as exc:  # a malformed URL or an unknown driver
        raise ConfigError(f"not a usable database URL: {exc}", key="database_url") from exc
    except OSError as exc:
        raise ConfigError(f"cannot create the database folder: {exc}", key="database_url") from exc
    _configure_sqlite(engine, synchronous=synchronous, wal=not memory)
    return engine


def _configure_sqlite(engine: Engine, *, synchronous: str, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module (its legacy mode skips BEGIN before SELECT and
        # DDL); on_begin below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def alembic_config(url: str) -> Config:
    """The Alembic configuration of marketbrief's migrations, without an ``alembic.ini``."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    # "%%" because Config options go through ConfigParser interpolation; the "v" keeps version
    # file names valid module names for mypy.
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def open_store(url: str, *, sqlite_synchronous: str = "NORMAL", create: bool = True) -> SqlStore:
    """Open the store at ``url``; with ``create`` (the default) migrate it to the newest schema."""
    store = SqlStore(create_store_engine(url, sqlite_synchronous=sqlite_synchronous))
    if create:
        try:
            store.upgrade()
        except BaseException:
            store.close()
            raise
    return store


# ── helpers: errors, values ─────────────────────────────────────────────────────────────────


def _is_unique_violation(exc: IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(exc.orig)  # SQLite


def _is_foreign_key_violation(exc: IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "23503":  # PostgreSQL foreign_key_violation
        return True
    return "FOREIGN KEY constraint failed" in str(exc.orig)  # SQLite


def _storage_error(exc: DBAPIError | PoolTimeoutError, key: str | None) -> StorageError:
    cause = getattr(exc, "orig", None) or exc
    first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return StorageError(f"the database failed: {first_line}", key=key)


def _compress(raw: bytes | None) -> bytes | None:
    return None if raw is None else lzma.compress(raw, preset=_LZMA_PRESET)


def _decompress(stored: bytes | None) -> bytes | None:
    return None if stored is None else lzma.decompress(stored)


def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else as_utc(at)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def search_terms(query: str) -> list[str]:
    """The words of a search query, without operators, quotes, punctuation or the commonest
    function words (at most 16). PostgreSQL's english configuration drops such words itself;
    dropping them here too makes "AND" or "the" in a query mean the same on SQLite."""
    words = (w for w in _WORDS.findall(query) if w.lower() not in _STOP_WORDS)
    return list(words)[:_SEARCH_TERMS_MAX]


def normalize_email(email: str) -> str:
    """An address as stored: trimmed, lower-case; ``InvalidInputError`` when it is not one."""
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        raise InvalidInputError("not an email address", key=email)
    return address


def _upsert(
    conn: Connection,
    table: Any,
    values: dict[str, Any] | Sequence[dict[str, Any]],
    keys: Sequence[str],
    **set_: Any,
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE: the other values, or the ``set_`` expressions.
    A list of rows (all with the same keys, no two with the same ``keys``) is one executemany."""
    rows = [values] if isinstance(values, dict) else list(values)
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table)
        updates = {k: pg.excluded[k] for k in rows[0] if k not in keys} | set_
        conn.execute(pg.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)
    else:
        lite = sqlite.insert(table)
        updates = {k: lite.excluded[k] for k in rows[0] if k not in keys} | set_
        conn.execute(lite.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)


# ── rows ↔ records ──────────────────────────────────────────────────────────────────────────


def _source_from_row(row: RowMapping) -> Source:
    return Source(
        id=SourceId(row["id"]),
        url=row["url"],
        kind=SourceKind(row["kind"]),
        title=row["title"],
        added_at=row["added_at"],
        status=SourceStatus(row["status"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled_at=row["last_polled_at"],
        last_ok_at=row["last_ok_at"],
        next_poll_at=row["next_poll_at"],
        error_count=row["error_count"],
        last_error=row["last_error"],
    )


def _source_state_values(source: Source) -> dict[str, Any]:
    return {
        "url": source.url,
        "title": source.title,
        "status": source.status.value,
        "etag": source.etag,
        "last_modified": source.last_modified,
        "last_polled_at": source.last_polled_at,
        "last_ok_at": source.last_ok_at,
        "next_poll_at": source.next_poll_at,
        "error_count": source.error_count,
        "last_error": source.last_error,
    }


def _article_from_row(row: RowMapping) -> Article:
    return Article(
        id=ArticleId(row["id"]),
        url=row["url"],
        title=row["title"],
        text=row["text"],
        language=row["language"],
        published_at=row["published_at"],
        page_published_at=row["page_published_at"],
        feed_published_at=row["feed_published_at"],
        first_seen_at=row["first_seen_at"],
        authors=tuple(row["authors"]),
        source=row["source"],
        source_id=None if row["source_id"] is None else SourceId(row["source_id"]),
        raw_html=_decompress(row.get("raw_html")),
    )


def _article_values(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "language": article.language,
        "published_at": article.published_at,
        "page_published_at": article.page_published_at,
        "feed_published_at": article.feed_published_at,
        "first_seen_at": article.first_seen_at,
        "sort_at": article.published_at or article.first_seen_at,
        "authors": list(article.authors),
        "source": article.source,
        "source_id": article.source_id,
        "raw_html": _compress(article.raw_html),
    }


def _normalise_article(article: Article) -> Article:
    """The article as the store gives it back: instants in UTC."""
    return dataclasses.replace(
        article,
        published_at=_utc(article.published_at),
        page_published_at=_utc(article.page_published_at),
        feed_published_at=_utc(article.feed_published_at),
        first_seen_at=_utc(article.first_seen_at),
    )


def _fill_article(stored: Article, given: Article) -> Article:
    """``stored`` with the fields it lacks taken from ``given``; what it has is kept."""
    return dataclasses.replace(
        stored,
        url=stored.url if stored.url is not None else given.url,
        title=stored.title if stored.title is not None else given.title,
        text=stored.text or given.text,
        language=stored.language if stored.language is not None else given.language,
        published_at=stored.published_at or _utc(given.published_at),
        page_published_at=stored.page_published_at or _utc(given.page_published_at),
        feed_published_at=stored.feed_published_at or _utc(given.feed_published_at),
        first_seen_at=stored.first_seen_at or _utc(given.first_seen_at),
        authors=stored.authors or given.authors,
        source=stored.source if stored.source is not None else given.source,
        source_id=stored.source_id if stored.source_id is not None else given.source_id,
        raw_html=stored.raw_html if stored.raw_html is not None else given.raw_html,
    )


def _reader_from_row(row: RowMapping) -> Reader:
    watchlist = row["watchlist"]
    return Reader(
        id=ReaderId(row["id"]),
        email=row["email"],
        name=row["name"],
        watchlist=Watchlist(
            tickers=tuple(watchlist.get("tickers", ())),
            sectors=tuple(watchlist.get("sectors", ())),
            event_types=tuple(watchlist.get("event_types", ())),
        ),
        cadence=row["cadence"],
        last_briefed_at=row["last_briefed_at"],
        status=ReaderStatus(row["status"]),
        timezone=row["timezone"],
        send_time=time.fromisoformat(row["send_time"]),
        weekday=row["weekday"],
        added_at=row["added_at"],
        confirmed_at=row["confirmed_at"],
    )


def _delivery_from_row(row: RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        reader_id=ReaderId(row["reader_id"]),
        period=row["period"],
        status=DeliveryStatus(row["status"]),
        due_at=row["due_at"],
        attempts=row["attempts"],
        claimed_by=row["claimed_by"],
        claimed_at=row["claimed_at"],
        next_attempt_at=row["next_attempt_at"],
        sent_at=row["sent_at"],
        message_id=row["message_id"],
        error=row["error"],
    )


def _reader_values(
    *,
    cadence: str,
    timezone: str,
    send_time: time,
    weekday: int,
) -> dict[str, Any]:
    """The schedule columns of a reader, checked (``InvalidInputError`` names the bad one)."""
    if cadence not in CADENCES:
        raise InvalidInputError(f"cadence must be one of {', '.join(CADENCES)}", key=cadence)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError("not a time zone (use an IANA name)", key=timezone) from None
    if not 0 <= weekday <= 6:
        raise InvalidInputError("weekday must be 0 (Monday) to 6 (Sunday)", key=str(weekday))
    return {
        "cadence": cadence,
        "timezone": timezone,
        "send_time": send_time.strftime("%H:%M"),
        "weekday": weekday,
    }


def _watchlist_json(watchlist: Watchlist) -> dict[str, list[str]]:
    return {
        "tickers": list(watchlist.tickers),
        "sectors": list(watchlist.sectors),
        "event_types": list(watchlist.event_types),
    }


def _analysis_rows(article_id: str, analysis: Analysis) -> dict[Any, list[dict[str, Any]]]:
    """The query tables' rows of one analysis. One row per ticker, sector and event type: a
    repeat keeps the higher relevance or confidence (the JSON keeps everything)."""
    companies: dict[str, dict[str, Any]] = {}
    for c in analysis.companies:
        ticker = c.ticker.upper()
        if ticker not in companies or c.relevance > companies[ticker]["relevance"]:
            companies[ticker] = {
                "article_id": article_id,
                "ticker": ticker,
                "role": c.role.value,
                "relevance": c.relevance,
                "sentiment": c.sentiment,
            }
    sectors: dict[str, dict[str, Any]] = {}
    for s in analysis.sectors:
        if s.name not in sectors or s.relevance > sectors[s.name]["relevance"]:
            sectors[s.name] = {"article_id": article_id, "name": s.name, "relevance": s.relevance}
    events: dict[str, dict[str, Any]] = {}
    for e in analysis.events:
        if e.type not in events or e.confidence > events[e.type]["confidence"]:
            events[e.type] = {"article_id": article_id, "type": e.type, "confidence": e.confidence}
    dates = [
        {
            "article_id": article_id,
            "position": position,
            "value": k.value,
            "type": k.type,
            "first_day": None if k.range is None else k.range[0],
            "last_day": None if k.range is None else k.range[1],
            "text": k.span.text,
            "event": k.event,
            "relation": k.relation,
        }
        for position, k in enumerate(analysis.key_dates)
    ]
    return {
        article_companies: list(companies.values()),
        article_sectors: list(sectors.values()),
        article_events: list(events.values()),
        key_dates: dates,
    }


def _member_values(member: StoryMember | None) -> dict[str, Any]:
    if member is None:
        return {"seen_at": None, "source": None, "novelty": None, "added": None}
    return {
        "seen_at": member.seen_at,
        "source": member.source,
        "novelty": member.novelty,
        "added": {
            "facts": list(member.added),
            "sentences": [list(span) for span in member.new_sentences],
        },
    }


def _story_from_rows(row: RowMapping, member_rows: Sequence[RowMapping]) -> Story:
    """A story from its row and its member rows (in position order). Rows stored before
    revision 0002 carry no member details: the story then has no ``members``."""
    members = tuple(
        StoryMember(
            article_id=ArticleId(m["article_id"]),
            seen_at=m["seen_at"],
            source=m["source"],
            novelty=float(m["novelty"]),
            added=tuple(str(f) for f in (m["added"] or {}).get("facts", ())),
            new_sentences=tuple(
                (int(span[0]), int(span[1])) for span in (m["added"] or {}).get("sentences", ())
            ),
        )
        for m in member_rows
        if m["seen_at"] is not None and m["novelty"] is not None
    )
    complete = len(members) == len(member_rows)
    return Story(
        id=StoryId(row["id"]),
        article_ids=tuple(ArticleId(m["article_id"]) for m in member_rows),
        title=row["title"],
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
        members=members if complete else (),
        sources=tuple(dict.fromkeys(m["source"] for m in member_rows if m["source"])),
        independent_sources=row["independent_sources"] or 1,
    )


def _analysis_from_row(row: RowMapping, article: Article) -> Analysis:
    analysis = analysis_from_json(dict(row["data"]), article)
    # The column, not the JSON, holds the story: save_stories moves articles between stories.
    story_id = None if row["story_id"] is None else StoryId(row["story_id"])
    return dataclasses.replace(analysis, story_id=story_id)


@dataclasses.dataclass(frozen=True, slots=True)
class AnalysisPage:
    """One page of ``SqlStore.page_analyses``; ``next_cursor`` is None on the last page."""

    analyses: list[Analysis]
    next_cursor: str | None


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _make_cursor(sort_at: datetime | None, pk: int) -> str:
    """An opaque keyset cursor: the last row's sort instant (or "-" when it has none) and key."""
    when = "-" if sort_at is None else str((as_utc(sort_at) - _EPOCH) // timedelta(microseconds=1))
    return f"{when}.{pk}"


def _read_cursor(cursor: str) -> tuple[datetime | None, int]:
    when, _, pk = cursor.partition(".")
    try:
        key = int(pk)
        at = None if when == "-" else _EPOCH + timedelta(microseconds=int(when))
    except (ValueError, OverflowError, OSError):
        raise InvalidInputError("not a cursor this list gave", key=cursor[:80]) from None
    return at, key


def _newest_page(query: Select[Any], limit: Any, *, after: str | None = None) -> Select[Any]:
    """The first ``limit`` rows of ``query`` (a select from ``articles``) in ``_newest_first``
    order (sort_at desc nulls last, pk desc). ``after`` is the kind of the cursor's row,
    "dated" or "undated", whose instant and key the statement takes as the bind parameters
    ``after_at`` and ``after_pk``; None from the start.

    Written as two branches, the dated rows and the undated ones, each limited and each read in
    the order of the index on ``(sort_at, pk)``: PostgreSQL puts nulls first in a descending
    index scan, so the single ``ORDER BY … NULLS LAST`` had it sort every row of the table to
    return twenty (160 ms at 100,000 articles). The outer sort sees at most ``2 × limit``
    rows."""
    dated = query.where(articles.c.sort_at.is_not(None))
    undated = query.where(articles.c.sort_at.is_(None))
    after_pk = bindparam("after_pk", type_=Integer())
    if after == "undated":  # every dated row came before it
        dated = dated.where(false())
        undated = undated.where(articles.c.pk < after_pk)
    elif after == "dated":
        key = tuple_(articles.c.sort_at, articles.c.pk)
        dated = dated.where(key < tuple_(bindparam("after_at", type_=UTCDateTime()), after_pk))
    # The undated branch is ordered by sort_at too (all null there): that is the index's order,
    # which keeps PostgreSQL on the index even without statistics on the nulls.
    index_order = (articles.c.sort_at.desc(), articles.c.pk.desc())
    branches = (
        dated.order_by(*index_order).limit(limit),
        undated.order_by(*index_order).limit(limit),
    )
    # Each branch in a subquery of its own: SQLite takes no ORDER BY or LIMIT in a UNION's part.
    both = union_all(*(select(branch.subquery()) for branch in branches)).subquery()
    return select(both).order_by(both.c.sort_at.desc().nulls_last(), both.c.pk.desc()).limit(limit)


def _after_params(cursor: str | None) -> tuple[str | None, dict[str, Any]]:
    """The cursor's kind for ``_newest_page`` and its bind parameters."""
    if cursor is None:
        return None, {}
    at, pk = _read_cursor(cursor)
    if at is None:
        return "undated", {"after_pk": pk}
    return "dated", {"after_at": at, "after_pk": pk}


# The query tables a page of analyses can be filtered by: the filter's name (also its bind
# parameter's), the table, and the column the filter's value is compared with.
_LINKS: Final = {
    "ticker": (article_companies, article_companies.c.ticker),
    "sector": (article_sectors, article_sectors.c.name),
    "event_type": (article_events, article_events.c.type),
}


# The statements of the hot reads are built once per shape (SQLAlchemy spends ~3 ms building a
# union of subqueries, more than the database takes to answer) and take values as parameters.


@functools.cache
def _articles_page_statement(since: bool, headlines: bool = False) -> Select[Any]:
    query = select(*(_HEADLINE_COLUMNS if headlines else _ARTICLE_LIST_COLUMNS))
    if since:
        query = query.where(articles.c.sort_at >= bindparam("since", type_=UTCDateTime()))
    return _newest_page(query, bindparam("limit", type_=Integer()))


_INDEX_ORDER: Final = (articles.c.sort_at.desc(), articles.c.pk.desc())


def _dated_after(query: Select[Any], after: str | None) -> Select[Any]:
    """``query`` (a select from ``articles``) kept to the dated rows, after a cursor's row when
    ``after`` is "dated" (bind parameters ``after_at`` and ``after_pk``)."""
    query = query.where(articles.c.sort_at.is_not(None))
    if after == "dated":
        key = tuple_(articles.c.sort_at, articles.c.pk)
        after_key = tuple_(
            bindparam("after_at", type_=UTCDateTime()), bindparam("after_pk", type_=Integer())
        )
        query = query.where(key < after_key)
    return query


@functools.cache
def _window_end_statement(after: str | None) -> Select[Any]:
    """The ``sort_at`` and ``pk`` of the last of the newest dated rows a probe looks through
    (the row at offset ``window_end``; none when there are fewer), read from the index alone."""
    query = _dated_after(select(articles.c.sort_at, articles.c.pk), after)
    return query.order_by(*_INDEX_ORDER).offset(bindparam("window_end", type_=Integer())).limit(1)


@functools.cache
def _analyses_page_statement(links: tuple[str, ...], after: str | None, way: str) -> Select[Any]:
    """A page of analyses filtered by ``links`` (names of ``_LINKS``), after a cursor of kind
    ``after``, found one ``way``: "collect" the linked rows (``IN``) and sort them, or probe
    the newest dated rows one by one (``EXISTS``; not after an undated row): the newest
    ``window`` rows ("window"), those down to the row ``end_at``, ``end_pk`` ("range"), or all
    ("all"). See ``SqlStore.page_analyses``."""
    # (_ARTICLE_LIST_COLUMNS has pk, which the cursor is made of.)
    query = select(*_ARTICLE_LIST_COLUMNS, analyses.c.data, analyses.c.story_id).join(
        analyses, analyses.c.article_id == articles.c.id
    )
    limit = bindparam("limit", type_=Integer())
    if way == "collect":
        collected = query.where(
            *(
                articles.c.id.in_(
                    select(_LINKS[name][0].c.article_id).where(_LINKS[name][1] == bindparam(name))
                )
                for name in links
            )
        )
        return _newest_page(collected, limit, after=after)
    # The newest dated rows only, walked in the index's order (which holds the article id:
    # revision 0007) and probed one by one until a page matches. When a page's worth of them
    # match, no undated row and no older one can come before those. PostgreSQL stops at the
    # page either way; SQLite read and probed the whole window of a LIMIT subquery (it sorts
    # the matches again), so there the window is a range of the index instead, down to its
    # last row (read first, by _window_end_statement). PostgreSQL is given the LIMIT: without
    # fresh statistics it planned the range from the event type's rows (43 ms, not 2).
    newest = _dated_after(select(articles.c.pk, articles.c.id, articles.c.sort_at), after)
    if way == "range":
        end_key = tuple_(
            bindparam("end_at", type_=UTCDateTime()), bindparam("end_pk", type_=Integer())
        )
        newest = newest.where(tuple_(articles.c.sort_at, articles.c.pk) >= end_key)
    if way == "window":
        within = newest.order_by(*_INDEX_ORDER).limit(bindparam("window", type_=Integer()))
        walked = within.subquery()
        order: tuple[Any, ...] = (walked.c.sort_at.desc(), walked.c.pk.desc())
    else:
        walked = newest.subquery()
        order = (walked.c.sort_at.desc(), walked.c.pk.desc())
    matched = (
        select(walked.c.pk)
        .where(
            *(
                exists().where(
                    _LINKS[name][0].c.article_id == walked.c.id,
                    _LINKS[name][1] == bindparam(name),
                )
                for name in links
            )
        )
        .order_by(*order)
        .limit(limit)
        .subquery()
    )
    return query.join(matched, matched.c.pk == articles.c.pk).order_by(*_INDEX_ORDER)


@functools.cache
def _sectors_statement() -> Select[Any]:
    """The distinct sector names in order, by a skip scan of the index on name (a recursive
    CTE, one index lookup per name): SELECT DISTINCT read all 100,000 rows of a store that size
    for a dozen names (35 ms on PostgreSQL)."""
    name = article_sectors.c.name
    names = select(func.min(name).label("name")).cte("names", recursive=True)
    following = select(func.min(name)).where(name > names.c.name).scalar_subquery()
    names = names.union_all(select(following).where(names.c.name.is_not(None)))
    return select(names.c.name).where(names.c.name.is_not(None)).order_by(names.c.name)


# ── the store ───────────────────────────────────────────────────────────────────────────────


class SqlStore:
    """Sources, articles, analyses, stories and readers in one SQL database.

    Each method is one transaction. Safe to share between threads (connections come from the
    engine's pool); several processes may share one database (see the module docstring).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._locks: list[RunLock] = []  # run locks held, released on close

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        for lock in self._locks:
            lock.release()
        self._engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self, key: str | None, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; SQLAlchemy errors leave it as ``StorageError`` with ``key``."""
        try:
            with self._engine.connect() as conn:
                if write and self._sqlite:
                    conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
                with conn.begin():
                    yield conn
        except MarketBriefError:
            raise
        except (DBAPIError, PoolTimeoutError) as exc:
            # Driver and pool errors only: other SQLAlchemy errors are bugs here, not storage
            # failures, and should surface as they are.
            raise _storage_error(exc, key) from exc

    # ── schema ──

    def upgrade(self) -> None:
        """Apply every migration the database lacks (a no-op when it is at the head)."""
        config = alembic_config(self._engine.url.render_as_string(hide_password=False))
        with self._transaction("database_url", write=True) as conn:
            if conn.dialect.name == "postgresql":
                # Several workers may start at once: one migrates, the others wait, then find
                # nothing to do. The lock ends with the transaction.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7265636)")
            config.attributes["connection"] = conn
            try:
                command.upgrade(config, "head")
            except CommandError as exc:  # e.g. a database migrated by a newer marketbrief
                raise StorageError(
                    f"cannot migrate the database: {exc}", key="database_url"
                ) from exc

    def schema_revision(self) -> str | None:
        """The migration the database is at; None for an empty database."""
        with self._transaction("database_url") as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # ── sources ──

    def add_source(
        self, url: str, kind: SourceKind, *, title: str | None = None, now: datetime
    ) -> Source:
        """Add a source to poll; ``SourceExistsError`` when one with this url is there."""
        source = Source(
            id=SourceId(0), url=url, kind=SourceKind(kind), title=title, added_at=as_utc(now)
        )
        values = _source_state_values(source) | {"kind": source.kind.value, "added_at": now}
        with self._transaction(url, write=True) as conn:
            try:
                new_id = conn.execute(
                    insert(sources).values(values).returning(sources.c.id)
                ).scalar_one()
            except IntegrityError as exc:
                if _is_unique_violation(exc):
                    raise SourceExistsError(
                        "a source with this url is already there", key=url
                    ) from exc
                raise
        return dataclasses.replace(source, id=SourceId(new_id))

    def _source_row(self, conn: Connection, key: int | str) -> RowMapping:
        if isinstance(key, int):
            row = conn.execute(select(sources).where(sources.c.id == key)).mappings().first()
        else:
            row = conn.execute(select(sources).where(sources.c.url == key)).mappings().first()
            # "3" from a command line is an id: no source url is all digits.
            if row is None and key.isdecimal():
                return self._source_row(conn, int(key))
        if row is None:
            raise SourceNotFoundError("no source with this id or url", key=str(key))
        return row

    def get_source(self, key: int | str) -> Source:
        """The source with this id or url; ``SourceNotFoundError`` when there is none."""
        with self._transaction(str(key)) as conn:
            return _source_from_row(self._source_row(conn, key))

    def list_sources(self) -> list[Source]:
        with self._transaction(None) as conn:
            rows = conn.execute(select(sources).order_by(sources.c.id)).mappings()
            return [_source_from_row(row) for row in rows]

    def remove_source(self, key: int | str) -> Source:
        """Remove a source and return it; its articles stay, with ``source_id`` None."""
        with self._transaction(str(key), write=True) as conn:
            row = self._source_row(conn, key)
            conn.execute(delete(sources).where(sources.c.id == row["id"]))
            return _source_from_row(row)

    def save_source_state(self, source: Source) -> None:
        """Write a source's polling and health fields, title and url (a 301 moves the url)."""
        with self._transaction(source.url, write=True) as conn:
            try:
                result = conn.execute(
                    update(sources)
                    .where(sources.c.id == source.id)
                    .values(_source_state_values(source))
                )
            except IntegrityError as exc:
                if _is_unique_violation(exc):
                    raise SourceExistsError(
                        "another source already has this url", key=source.url
                    ) from exc
                raise
            if result.rowcount == 0:
                raise SourceNotFoundError("no source with this id", key=str(source.id))

    def due_sources(self, now: datetime) -> list[Source]:
        """Sources to poll now: never polled or due by ``now``, and not gone; most overdue first."""
        query = (
            select(sources)
            .where(sources.c.status != SourceStatus.GONE.value)
            .where(sources.c.next_poll_at.is_(None) | (sources.c.next_poll_at <= now))
            .order_by(sources.c.next_poll_at.asc().nulls_first(), sources.c.id)
        )
        with self._transaction(None) as conn:
            return [_source_from_row(row) for row in conn.execute(query).mappings()]

    # ── articles ──

    def _article_row(self, conn: Connection, article_id: str) -> RowMapping | None:
        query = select(articles).where(articles.c.id == article_id)
        return conn.execute(query).mappings().first()

    def _same_article_row(self, conn: Connection, article: Article) -> RowMapping | None:
        """The stored row of this article: by id, else by url."""
        row = self._article_row(conn, article.id)
        if row is None and article.url is not None:
            query = select(articles).where(articles.c.url == article.url)
            row = conn.execute(query).mappings().first()
        return row

    def _upsert_article(self, conn: Connection, article: Article) -> tuple[Article, bool]:
        row = self._same_article_row(conn, article)
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(articles).values(_article_values(article)))
                return _normalise_article(article), True
            except IntegrityError as exc:
                if _is_foreign_key_violation(exc):
                    raise InvalidInputError(
                        f"source_id {article.source_id} names no source", key=article.id
                    ) from exc
                if not _is_unique_violation(exc):
                    raise
                # Another worker stored it between our SELECT and INSERT: merge into theirs.
                row = self._same_article_row(conn, article)
                if row is None:
                    raise
        stored = _article_from_row(row)
        merged = _fill_article(stored, article)
        if (
            merged.url != stored.url
            and conn.execute(select(articles.c.pk).where(articles.c.url == merged.url)).first()
        ):
            merged = dataclasses.replace(merged, url=None)  # that url is another article's
        if merged != stored:
            values = _article_values(merged)
            changed = {k: v for k, v in values.items() if k != "raw_html" and row[k] != v}
            if merged.raw_html != stored.raw_html:
                changed["raw_html"] = values["raw_html"]
            conn.execute(update(articles).where(articles.c.pk == row["pk"]).values(changed))
        return merged, False

    def upsert_article(self, article: Article) -> tuple[Article, bool]:
        """Store an article once; return the stored article and whether it was new.

        An article already stored under this id, or under another id with this url, is the same
        article: it keeps its id and first ``first_seen_at``, and fields it lacks (None, empty)
        are filled in from ``article``.
        """
        with self._transaction(article.id, write=True) as conn:
            return self._upsert_article(conn, article)

    def get_article(self, article_id: str) -> Article:
        """The article with this id, ``raw_html`` included; ``InvalidInputError`` if absent."""
        with self._transaction(article_id) as conn:
            row = self._article_row(conn, article_id)
        if row is None:
            raise NotFoundError("no article with this id", key=article_id)
        return _article_from_row(row)

    def article_id_for_url(self, url: str) -> ArticleId | None:
        with self._transaction(url) as conn:
            found = conn.execute(select(articles.c.id).where(articles.c.url == url)).scalar()
        return None if found is None else ArticleId(found)

    def count_articles(self) -> int:
        with self._transaction(None) as conn:
            return int(conn.execute(select(func.count()).select_from(articles)).scalar_one())

    def _newest_first(self, query: Select[Any], since: datetime | None) -> Select[Any]:
        if since is not None:
            query = query.where(articles.c.sort_at >= since)
        return query.order_by(articles.c.sort_at.desc().nulls_last(), articles.c.pk.desc())

    def list_articles(self, *, since: datetime | None = None, limit: int = 100) -> list[Article]:
        """Articles newest first by publication (else first-seen) instant, without raw_html."""
        query = _articles_page_statement(since is not None)
        params = {"limit": limit, "since": since}
        with self._transaction(None) as conn:
            return [_article_from_row(row) for row in conn.execute(query, params).mappings()]

    def list_headlines(self, *, limit: int = 30) -> list[ArticleHeadline]:
        """The headlines of the newest articles, in ``list_articles`` order: what the latest
        page shows, read without the articles' text, which such a page does not show."""
        query = _articles_page_statement(False, headlines=True)
        with self._transaction(None) as conn:
            rows = conn.execute(query, {"limit": limit}).all()
        return [
            ArticleHeadline(
                id=ArticleId(row.id),
                title=row.title,
                source=row.source,
                published_at=row.published_at,
            )
            for row in rows
        ]

    def search_articles(self, query: str, *, limit: int = 20) -> list[tuple[Article, str]]:
        """Articles whose title or text holds every word of ``query``, best first, each with a
        plain-text snippet. Any text is a valid query; one without words finds nothing."""
        terms = search_terms(query)
        if not terms or limit <= 0:
            return []
        with self._transaction(query) as conn:
            if conn.dialect.name == "postgresql":
                rows = self._search_postgres(conn, " ".join(terms), limit)
            else:
                rows = self._search_sqlite(conn, " ".join(f'"{t}"' for t in terms), limit)
            return [(_article_from_row(row), str(row["snippet"] or "")) for row in rows]

    def _search_sqlite(self, conn: Connection, match: str, limit: int) -> list[RowMapping]:
        fts_table = table(FTS_TABLE, column("rowid"))
        fts: ColumnElement[Any] = literal_column(FTS_TABLE)  # the table name as an expression
        query = (
            select(
                *_ARTICLE_LIST_COLUMNS,
                func.snippet(
                    fts, 1, "", "", "…", _SNIPPET_WORDS
                ),  # 1: from the text.label("snippet"),
            )
            .select_from(articles.join(fts_table, fts_table.c.rowid == articles.c.pk))
            .where(fts.match(match))
            # bm25 is lower for better matches; a hit in the title counts 5 times one in text
            .order_by(func.bm25(fts, 5.0, 1.0), articles.c.pk.desc())
            .limit(limit)
        )
        return list(conn.execute(query).mappings())

    def _search_postgres(self, conn: Connection, words: str, limit: int) -> list[RowMapping]:
        tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), words)
        vector: ColumnElement[Any] = literal_column(f"articles.{SEARCH_COLUMN}")
        best = (
            select(articles.c.pk, func.ts_rank(vector, tsquery).label("rank"))
            .where(vector.op("@@")(tsquery))
            .order_by(literal_column("rank").desc(), articles.c.pk.desc())
            .limit(limit)
            .subquery()
        )
        # ts_headline reads the whole text, so it runs only on the chosen rows.
        options = (
            f'MaxWords={_SNIPPET_WORDS}, MinWords={_SNIPPET_WORDS // 2}, StartSel="", StopSel=""'
        )
        query = (
            select(
                *_ARTICLE_LIST_COLUMNS,
                func.ts_headline(
                    literal_column("'english'::regconfig"), articles.c.text, tsquery, options
                ).label("snippet"),
            )
            .join(best, best.c.pk == articles.c.pk)
            .order_by(best.c.rank.desc(), articles.c.pk.desc())
        )
        return list(conn.execute(query).mappings())

    # ── analyses ──

    def save_analysis(self, analysis: Analysis) -> None:
        """Store an analysis, replacing any earlier one of the same article.

        The article is upserted too (``upsert_article``), in the same transaction, and the
        analysis is filed under the stored article's id. An analysis without ``story_id`` keeps
        the story the article already belongs to.
        """
        with self._transaction(analysis.article.id, write=True) as conn:
            self._write_analyses(conn, [analysis])

    def save_analyses(self, batch: Sequence[Analysis]) -> None:
        """Store analyses as ``save_analysis`` would one after another, in one transaction.

        Articles not stored yet are inserted with one executemany, and the analyses and their
        query rows with one per table: ~10× faster than a transaction each for a batch of a
        thousand (seeding, backfills). All or none of the batch is stored.
        """
        if not batch:
            return
        with self._transaction(batch[0].article.id, write=True) as conn:
            self._write_analyses(conn, batch)

    def _new_articles(self, conn: Connection, batch: Sequence[Analysis]) -> set[str]:
        """The ids of the batch's articles that are stored under neither their id nor their url,
        inserted here in one executemany. Empty when the batch names an article twice or the
        insert fails (another writer got there first, a source_id that names no source): the
        caller then upserts each article on its own, which sorts those cases out."""
        given = [a.article for a in batch]
        ids = [a.id for a in given]
        urls = [a.url for a in given if a.url is not None]
        if len(set(ids)) < len(ids) or len(set(urls)) < len(urls):
            return set()
        taken_ids: set[str] = set()
        taken_urls: set[str] = set()
        for chunk in _chunks(ids):
            query = select(articles.c.id).where(articles.c.id.in_(chunk))
            taken_ids.update(conn.execute(query).scalars())
        for chunk in _chunks(urls):
            query = select(articles.c.url).where(articles.c.url.in_(chunk))
            taken_urls.update(conn.execute(query).scalars())
        fresh = [a for a in given if a.id not in taken_ids and a.url not in taken_urls]
        if not fresh:
            return set()
        try:
            with conn.begin_nested():
                conn.execute(insert(articles), [_article_values(a) for a in fresh])
        except IntegrityError:
            return set()
        return {a.id for a in fresh}

    def _write_analyses(self, conn: Connection, batch: Sequence[Analysis]) -> None:
        """``save_analysis`` of each in order, in the caller's transaction."""
        fresh = self._new_articles(conn, batch) if len(batch) > 1 else set()
        # One row per stored article: a later analysis of the same article replaces an earlier
        # one and keeps its story when it names none, as saving them in turn would.
        chosen: dict[str, tuple[Analysis, str | None]] = {}
        for analysis in batch:
            stored_id: str
            if analysis.article.id in fresh:
                stored_id = analysis.article.id
            else:
                stored, _ = self._upsert_article(conn, analysis.article)
                stored_id = stored.id
            _, earlier_story = chosen.pop(stored_id, (analysis, None))
            chosen[stored_id] = (analysis, analysis.story_id or earlier_story)
        values = []
        for stored_id, (analysis, story_id) in chosen.items():
            data = analysis_to_json(analysis)
            data["id"] = stored_id
            del data["text"]  # the articles row holds it
            values.append(
                {
                    "article_id": stored_id,
                    "story_id": story_id,
                    "importance": analysis.importance,
                    "sentiment_label": analysis.sentiment.label,
                    "sentiment_score": analysis.sentiment.score,
                    "data": data,
                }
            )
        keep_story: ColumnElement[Any] = func.coalesce(
            literal_column("excluded.story_id"), analyses.c.story_id
        )
        _upsert(conn, analyses, values, ["article_id"], story_id=keep_story)
        rows: dict[Any, list[dict[str, Any]]] = {}
        for stored_id, (analysis, _) in chosen.items():
            for query_table, table_rows in _analysis_rows(stored_id, analysis).items():
                rows.setdefault(query_table, []).extend(table_rows)
        # Freshly inserted articles have no query rows to replace.
        replaced = [stored_id for stored_id in chosen if stored_id not in fresh]
        for query_table in (article_companies, article_sectors, article_events, key_dates):
            for chunk in _chunks(replaced):
                conn.execute(delete(query_table).where(query_table.c.article_id.in_(chunk)))
            if rows.get(query_table):
                conn.execute(insert(query_table), rows[query_table])

    def get_analysis(self, article_id: str) -> Analysis | None:
        """The stored analysis of an article (with its full stored article), or None."""
        with self._transaction(article_id) as conn:
            row = (
                conn.execute(select(analyses).where(analyses.c.article_id == article_id))
                .mappings()
                .first()
            )
            article_row = self._article_row(conn, article_id) if row is not None else None
        if row is None or article_row is None:
            return None
        return _analysis_from_row(row, _article_from_row(article_row))

    def list_analyses(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> list[Analysis]:
        """Analyses newest first, by their article's publication (else first-seen) instant;
        ``since`` filters on that instant. Articles come without raw_html."""
        query = self._newest_first(
            select(*_ARTICLE_LIST_COLUMNS, analyses.c.data, analyses.c.story_id).join(
                analyses, analyses.c.article_id == articles.c.id
            ),
            since,
        )
        if limit is not None:
            query = query.limit(limit)
        return self._read_analyses(query)

    def list_analyses_with_key_dates(
        self, first_day: date, last_day: date, *, until: datetime | None = None
    ) -> list[Analysis]:
        """Analyses with a key date that starts from ``first_day`` to ``last_day`` (both
        included), newest first like ``list_analyses``; ``until`` leaves out articles whose
        publication (else first-seen) instant is later. Articles come without raw_html."""
        dated = (
            select(key_dates.c.article_id)
            .where(key_dates.c.first_day >= first_day, key_dates.c.first_day <= last_day)
            .distinct()
        )
        query = self._newest_first(
            select(*_ARTICLE_LIST_COLUMNS, analyses.c.data, analyses.c.story_id)
            .join(analyses, analyses.c.article_id == articles.c.id)
            .where(articles.c.id.in_(dated)),
            None,
        )
        if until is not None:
            query = query.where(articles.c.sort_at <= until)
        return self._read_analyses(query)

    def _read_analyses(self, query: Select[Any]) -> list[Analysis]:
        with self._transaction(None) as conn:
            return [
                _analysis_from_row(row, _article_from_row(row))
                for row in conn.execute(query).mappings()
            ]

    def articles_for_ticker(self, ticker: str, *, limit: int = 50) -> list[Article]:
        """Articles linked to a ticker (any role), newest first, without raw_html."""
        query = self._newest_first(
            select(*_ARTICLE_LIST_COLUMNS)
            .join(article_companies, article_companies.c.article_id == articles.c.id)
            .where(article_companies.c.ticker == ticker.strip().upper()),
            None,
        ).limit(limit)
        with self._transaction(ticker) as conn:
            return [_article_from_row(row) for row in conn.execute(query).mappings()]

    # ── reads for the web reader and the API ──

    def page_analyses(
        self,
        *,
        ticker: str | None = None,
        sector: str | None = None,
        event_type: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> AnalysisPage:
        """Analyses newest first (like ``list_analyses``), optionally only those linked to a
        ticker, a sector or an event type, one page at a time. ``cursor`` is the
        ``next_cursor`` of the page before (opaque; ``InvalidInputError`` when malformed);
        pages follow one another without gaps or repeats as articles arrive (keyset, not
        offset). Articles come without raw_html."""
        if not 1 <= limit <= 500:
            raise InvalidInputError("limit: from 1 to 500", key=str(limit))
        values = {"ticker": ticker, "sector": sector, "event_type": event_type}
        if ticker is not None:
            values["ticker"] = ticker.strip().lstrip("$").upper()
        links = tuple(name for name in _LINKS if values[name] is not None)
        after, params = _after_params(cursor)
        params |= {name: values[name] for name in links} | {"limit": limit + 1}
        with self._transaction(None) as conn:
            rows: list[RowMapping] = []
            if links and after != "undated":
                # A filter most articles pass is answered fastest by walking the newest rows and
                # probing each (EXISTS); a rare one by collecting its few rows and sorting them
                # (IN). Neither planner knows which in time (SQLite has no statistics by
                # default; PostgreSQL's lag a bulk load): the newest rows are walked first, down
                # to the end of a window, and are the answer when they hold a whole page.
                window = max(_FILTER_WINDOW_PAGES * limit, _FILTER_WINDOW, 1)
                if self._sqlite:
                    end = conn.execute(
                        _window_end_statement(after), params | {"window_end": window - 1}
                    ).first()
                    way = "all" if end is None else "range"
                    if end is not None:
                        params |= {"end_at": end.sort_at, "end_pk": end.pk}
                else:
                    way = "window"
                    params |= {"window": window}
                probed = _analyses_page_statement(links, after, way)
                rows = list(conn.execute(probed, params).mappings())
            if len(rows) <= limit:
                collected = _analyses_page_statement(links, after, "collect")
                rows = list(conn.execute(collected, params).mappings())
        found = [_analysis_from_row(row, _article_from_row(row)) for row in rows[:limit]]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return AnalysisPage(
            analyses=found,
            next_cursor=None if last is None else _make_cursor(last["sort_at"], last["pk"]),
        )

    def get_analyses(self, article_ids: Sequence[str]) -> dict[ArticleId, Analysis]:
        """The stored analyses of these articles (those that have one), by article id.
        Articles come without raw_html."""
        found: dict[ArticleId, Analysis] = {}
        with self._transaction(None) as conn:
            for chunk in _chunks(list(dict.fromkeys(article_ids))):
                query = (
                    select(*_ARTICLE_LIST_COLUMNS, analyses.c.data, analyses.c.story_id)
                    .join(analyses, analyses.c.article_id == articles.c.id)
                    .where(articles.c.id.in_(chunk))
                )
                for row in conn.execute(query).mappings():
                    analysis = _analysis_from_row(row, _article_from_row(row))
                    found[analysis.article.id] = analysis
        return found

    def page_stories(
        self, *, ticker: str | None = None, offset: int = 0, limit: int = 20
    ) -> list[Story]:
        """Stories most recently seen first (like ``list_stories``), optionally only those with
        an article linked to ``ticker``; ``offset`` stories skipped."""
        if not 1 <= limit <= 500:
            raise InvalidInputError("limit: from 1 to 500", key=str(limit))
        if offset < 0:
            raise InvalidInputError("offset: 0 or more", key=str(offset))
        chosen = select(story_table.c.id)
        if ticker is not None:
            chosen = chosen.where(
                story_table.c.id.in_(
                    select(story_articles.c.story_id)
                    .join(
                        article_companies,
                        article_companies.c.article_id == story_articles.c.article_id,
                    )
                    .where(article_companies.c.ticker == ticker.strip().lstrip("$").upper())
                )
            )
        chosen = (
            chosen.order_by(story_table.c.last_seen_at.desc(), story_table.c.id)
            .offset(offset)
            .limit(limit)
        )
        with self._transaction(ticker) as conn:
            ids = list(conn.execute(chosen).scalars())
            if not ids:
                return []
            return self._stories(conn, [story_table.c.id.in_(ids)])

    def list_sectors(self) -> list[str]:
        """The sector names the stored analyses name, in alphabetical order."""
        with self._transaction(None) as conn:
            return [str(name) for name in conn.execute(_sectors_statement()).scalars()]

    # ── stories ──

    def save_stories(self, stories: Sequence[Story]) -> None:
        """Store stories (replacing those with the same id) and their members, in order.

        An article belongs to one story: saving it in a story takes it out of any other, and
        its analysis's ``story_id`` follows.
        """
        if not stories:
            return
        with self._transaction(stories[0].id, write=True) as conn:
            for story in stories:
                try:
                    self._save_story(conn, story)
                except IntegrityError as exc:
                    if _is_foreign_key_violation(exc):
                        raise InvalidInputError(
                            "the story names an article that is not stored", key=story.id
                        ) from exc
                    raise

    def _save_story(self, conn: Connection, story: Story) -> None:
        member_ids = list(dict.fromkeys(story.article_ids))
        described = {m.article_id: m for m in story.members}
        values = {
            "id": story.id,
            "title": story.title,
            "first_seen_at": story.first_seen_at,
            "last_seen_at": story.last_seen_at,
            "independent_sources": story.independent_sources,
        }
        _upsert(conn, story_table, values, ["id"])
        conn.execute(delete(story_articles).where(story_articles.c.story_id == story.id))
        conn.execute(update(analyses).where(analyses.c.story_id == story.id).values(story_id=None))
        for chunk in _chunks(member_ids):
            conn.execute(delete(story_articles).where(story_articles.c.article_id.in_(chunk)))
            conn.execute(
                update(analyses).where(analyses.c.article_id.in_(chunk)).values(story_id=story.id)
            )
        if member_ids:
            conn.execute(
                insert(story_articles),
                [
                    {"story_id": story.id, "article_id": article_id, "position": position}
                    | _member_values(described.get(article_id))
                    for position, article_id in enumerate(member_ids)
                ],
            )

    def delete_stories(self, story_ids: Sequence[str]) -> None:
        """Delete stories (a story merged into another); their articles are in no story after,
        unless another story holds them already."""
        if not story_ids:
            return
        with self._transaction(story_ids[0], write=True) as conn:
            for chunk in _chunks(list(story_ids)):
                conn.execute(
                    update(analyses).where(analyses.c.story_id.in_(chunk)).values(story_id=None)
                )
                conn.execute(delete(story_articles).where(story_articles.c.story_id.in_(chunk)))
                conn.execute(delete(story_table).where(story_table.c.id.in_(chunk)))

    def _stories(self, conn: Connection, where: Iterable[ColumnElement[bool]]) -> list[Story]:
        story_rows = conn.execute(
            select(story_table)
            .where(*where)
            .order_by(story_table.c.last_seen_at.desc(), story_table.c.id)
        ).mappings()
        members: dict[str, list[RowMapping]] = {}
        for row in conn.execute(
            select(story_articles)
            .join(story_table, story_table.c.id == story_articles.c.story_id)
            .where(*where)
            .order_by(story_articles.c.story_id, story_articles.c.position)
        ).mappings():
            members.setdefault(row["story_id"], []).append(row)
        return [_story_from_rows(row, members.get(row["id"], [])) for row in story_rows]

    def list_stories(self, *, since: datetime | None = None) -> list[Story]:
        """Stories seen last at or after ``since`` (all without), most recently seen first."""
        where = [] if since is None else [story_table.c.last_seen_at >= since]
        with self._transaction(None) as conn:
            return self._stories(conn, where)

    def get_story(self, story_id: str) -> Story:
        """The story with this id; ``InvalidInputError`` when there is none."""
        with self._transaction(story_id) as conn:
            found = self._stories(conn, [story_table.c.id == story_id])
        if not found:
            raise NotFoundError("no story with this id", key=story_id)
        return found[0]

    # ── readers ──

    def add_reader(
        self,
        email: str,
        name: str,
        watchlist: Watchlist,
        *,
        cadence: str = "daily",
        now: datetime,
        status: ReaderStatus = ReaderStatus.CONFIRMED,
        timezone: str = "America/New_York",
        send_time: time = time(7, 0),
        weekday: int = 0,
    ) -> Reader:
        """Add a reader; the email is stored lower-case and must be new (``InvalidInputError``)."""
        address = normalize_email(email)
        values = {
            "email": address,
            "name": name,
            "watchlist": _watchlist_json(watchlist),
            "added_at": now,
            "status": status.value,
            "confirmed_at": now if status is ReaderStatus.CONFIRMED else None,
        } | _reader_values(cadence=cadence, timezone=timezone, send_time=send_time, weekday=weekday)
        with self._transaction(address, write=True) as conn:
            try:
                new_id = conn.execute(
                    insert(readers).values(values).returning(readers.c.id)
                ).scalar_one()
            except IntegrityError as exc:
                if _is_unique_violation(exc):
                    raise InvalidInputError(
                        "a reader with this email is already there", key=address
                    ) from exc
                raise
            return _reader_from_row(self._reader_row(conn, int(new_id)))

    def update_reader(self, reader: Reader) -> Reader:
        """Save what a reader may change: name, watchlist, schedule, status (by ``reader.id``)."""
        values = {
            "name": reader.name,
            "watchlist": _watchlist_json(reader.watchlist),
            "status": ReaderStatus(reader.status).value,
            "confirmed_at": reader.confirmed_at,
        } | _reader_values(
            cadence=reader.cadence,
            timezone=reader.timezone,
            send_time=reader.send_time,
            weekday=reader.weekday,
        )
        with self._transaction(str(reader.id), write=True) as conn:
            result = conn.execute(update(readers).where(readers.c.id == reader.id).values(values))
            if result.rowcount == 0:
                raise NotFoundError("no reader with this id", key=str(reader.id))
            return _reader_from_row(self._reader_row(conn, int(reader.id)))

    def _reader_row(self, conn: Connection, key: int | str) -> RowMapping:
        if isinstance(key, int):
            row = conn.execute(select(readers).where(readers.c.id == key)).mappings().first()
        else:
            address = key.strip().lower()
            row = conn.execute(select(readers).where(readers.c.email == address)).mappings().first()
            if row is None and key.isdecimal():
                return self._reader_row(conn, int(key))
        if row is None:
            raise NotFoundError("no reader with this id or email", key=str(key))
        return row

    def get_reader(self, key: int | str) -> Reader:
        """The reader with this id or email; ``NotFoundError`` when there is none."""
        with self._transaction(str(key)) as conn:
            return _reader_from_row(self._reader_row(conn, key))

    def list_readers(self, *, status: ReaderStatus | None = None) -> list[Reader]:
        query = select(readers).order_by(readers.c.id)
        if status is not None:
            query = query.where(readers.c.status == status.value)
        with self._transaction(None) as conn:
            return [_reader_from_row(row) for row in conn.execute(query).mappings()]

    def remove_reader(self, key: int | str) -> Reader:
        """Remove a reader (their send log, sessions and bans go with them) and return it."""
        with self._transaction(str(key), write=True) as conn:
            row = self._reader_row(conn, key)
            conn.execute(delete(readers).where(readers.c.id == row["id"]))
            return _reader_from_row(row)

    def reader_data(self, key: int | str) -> dict[str, Any]:
        """Everything kept about one reader (for an export): the reader, their send log, their
        comments whatever their status (with the address hash each was posted from), and the
        bans that name them."""
        with self._transaction(str(key)) as conn:
            row = self._reader_row(conn, key)
            reader_id = row["id"]
            query = select(deliveries).where(deliveries.c.reader_id == reader_id)
            sent = conn.execute(query.order_by(deliveries.c.id)).mappings()
            query = select(comments).where(comments.c.reader_id == reader_id)
            posted = conn.execute(query.order_by(comments.c.id)).mappings()
            query = select(bans).where(bans.c.reader_id == reader_id)
            banned = conn.execute(query.order_by(bans.c.id)).mappings()
            query = select(sessions.c.created_at, sessions.c.revoked_at).where(
                sessions.c.reader_id == reader_id
            )
            signed_in = conn.execute(query.order_by(sessions.c.created_at)).mappings()
            return {
                "reader": dict(row),
                "deliveries": [dict(d) for d in sent],
                "comments": [dict(c) for c in posted],
                "bans": [dict(b) for b in banned],
                "sessions": [dict(s) for s in signed_in],  # not their ids: secrets' hashes
            }

    # ── sessions ──

    @staticmethod
    def _session_id(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def start_session(
        self,
        reader_id: int,
        *,
        now: datetime,
        max_age: timedelta,
        once_since: datetime | None = None,
    ) -> str:
        """A new session of ``reader_id`` (``NotFoundError`` when there is no such reader): the
        random secret its cookie is to carry; only its hash is kept. Sessions of any reader
        older than ``max_age`` are cleared on the way (they are over).

        ``once_since``: the session is begun by a one-time link made then — ``SpentLinkError``
        when any session of the reader began since (the link was used), checked and begun
        atomically (the reader's row is locked on PostgreSQL; SQLite writes one at a time)."""
        secret = secrets.token_urlsafe(32)
        at = as_utc(now)
        with self._transaction(str(reader_id), write=True) as conn:
            if once_since is not None:
                locked = select(readers.c.id).where(readers.c.id == reader_id).with_for_update()
                if conn.execute(locked).first() is None:
                    raise NotFoundError("no reader with this id", key=str(reader_id))
                if conn.execute(self._sessions_since(reader_id, once_since)).first() is not None:
                    raise SpentLinkError(
                        "this link has been used: ask for a new one", key=str(reader_id)
                    )
            conn.execute(delete(sessions).where(sessions.c.created_at <= at - max_age))
            values = {"id": self._session_id(secret), "reader_id": reader_id, "created_at": at}
            try:
                conn.execute(insert(sessions).values(values))
            except IntegrityError as exc:
                if _is_foreign_key_violation(exc):
                    raise NotFoundError("no reader with this id", key=str(reader_id)) from exc
                raise
        return secret

    def session_reader(self, secret: str, *, now: datetime, max_age: timedelta) -> int | None:
        """The reader of the session whose cookie carries ``secret`` while it is live (not
        revoked, younger than ``max_age``); None otherwise."""
        query = select(sessions.c.reader_id).where(
            sessions.c.id == self._session_id(secret),
            sessions.c.revoked_at.is_(None),
            sessions.c.created_at > as_utc(now) - max_age,
        )
        with self._transaction(None) as conn:
            found = conn.execute(query).scalar()
        return None if found is None else int(found)

    def end_session(self, secret: str, *, now: datetime) -> None:
        """Revoke the session of ``secret`` (a sign-out); nothing when it is unknown or over."""
        with self._transaction(None, write=True) as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == self._session_id(secret), sessions.c.revoked_at.is_(None))
                .values(revoked_at=as_utc(now))
            )

    def end_reader_sessions(self, reader_id: int, *, now: datetime) -> int:
        """Revoke every session of a reader ("sign out everywhere"); how many were live.
        ``NotFoundError`` when there is no such reader."""
        at = as_utc(now)
        with self._transaction(str(reader_id), write=True) as conn:
            self._reader_row(conn, reader_id)
            ended = conn.execute(
                update(sessions)
                .where(sessions.c.reader_id == reader_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=at)
            ).rowcount
            return int(ended)

    @staticmethod
    def _sessions_since(reader_id: int, since: datetime | None) -> Select[Any]:
        query = select(sessions.c.id).where(sessions.c.reader_id == reader_id)
        if since is not None:
            query = query.where(sessions.c.created_at >= as_utc(since))
        return query.limit(1)

    def has_sessions(self, reader_id: int, *, since: datetime | None = None) -> bool:
        """Whether any session of the reader is on record, live or revoked (begun at or after
        ``since``: whether a one-time link made then was used)."""
        with self._transaction(None) as conn:
            return conn.execute(self._sessions_since(reader_id, since)).first() is not None

    # ── the send log ──

    def claim_delivery(
        self,
        reader_id: int,
        period: str,
        *,
        due_at: datetime,
        worker: str,
        now: datetime,
        stale_after: timedelta,
    ) -> Delivery | None:
        """Take (reader, period) for sending, or None when it is not this worker's to send.

        A new period is inserted as ``claimed``; an existing one is taken over only when it is
        due for a retry, or when its claim is older than ``stale_after`` (the sender holding
        it died). One statement each, so two senders never both get the same row: a unique
        key on (reader, period) for the insert, a conditional UPDATE (a row lock on
        PostgreSQL, the write lock on SQLite) for the take-over.
        """
        values = {
            "reader_id": reader_id,
            "period": period,
            "status": DeliveryStatus.CLAIMED.value,
            "due_at": due_at,
            "attempts": 1,
            "claimed_by": worker,
            "claimed_at": now,
        }
        with self._transaction(f"{reader_id}/{period}", write=True) as conn:
            if conn.dialect.name == "postgresql":
                pg = postgresql.insert(deliveries).values(values).on_conflict_do_nothing()
                inserted = conn.execute(pg.returning(deliveries.c.id)).scalar()
            else:
                lite = sqlite.insert(deliveries).values(values).on_conflict_do_nothing()
                inserted = conn.execute(lite.returning(deliveries.c.id)).scalar()
            if inserted is None:
                taken = conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.reader_id == reader_id,
                        deliveries.c.period == period,
                        or_(
                            and_(
                                deliveries.c.status == DeliveryStatus.RETRY.value,
                                deliveries.c.next_attempt_at <= now,
                            ),
                            and_(
                                deliveries.c.status == DeliveryStatus.CLAIMED.value,
                                deliveries.c.claimed_at < now - stale_after,
                            ),
                        ),
                    )
                    .values(
                        status=DeliveryStatus.CLAIMED.value,
                        claimed_by=worker,
                        claimed_at=now,
                        attempts=deliveries.c.attempts + 1,
                    )
                )
                if taken.rowcount == 0:
                    return None
            row = (
                conn.execute(
                    select(deliveries).where(
                        deliveries.c.reader_id == reader_id, deliveries.c.period == period
                    )
                )
                .mappings()
                .one()
            )
            return _delivery_from_row(row)

    def finish_delivery(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        *,
        worker: str,
        now: datetime,
        message_id: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record how a claimed delivery ended; False when this worker no longer holds it."""
        values: dict[str, Any] = {
            "status": status.value,
            "error": error,
            "next_attempt_at": next_attempt_at,
        }
        if message_id is not None:
            values["message_id"] = message_id
        if status is DeliveryStatus.SENT:
            values["sent_at"] = now
        with self._transaction(str(delivery_id), write=True) as conn:
            result = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.claimed_by == worker,
                    deliveries.c.status == DeliveryStatus.CLAIMED.value,
                )
                .values(values)
            )
            return bool(result.rowcount)

    def skip_delivery(
        self, reader_id: int, period: str, *, due_at: datetime, now: datetime, reason: str
    ) -> bool:
        """Record (reader, period) as skipped unless it already has a row (False then)."""
        values = {
            "reader_id": reader_id,
            "period": period,
            "status": DeliveryStatus.SKIPPED.value,
            "due_at": due_at,
            "attempts": 0,
            "error": reason,
            "claimed_at": now,
        }
        with self._transaction(f"{reader_id}/{period}", write=True) as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(deliveries).values(values).on_conflict_do_nothing()
            return conn.execute(statement.returning(deliveries.c.id)).scalar() is not None

    def get_delivery(self, reader_id: int, period: str) -> Delivery | None:
        with self._transaction(f"{reader_id}/{period}") as conn:
            row = (
                conn.execute(
                    select(deliveries).where(
                        deliveries.c.reader_id == reader_id, deliveries.c.period == period
                    )
                )
                .mappings()
                .first()
            )
            return _delivery_from_row(row) if row is not None else None

    def list_deliveries(
        self, *, reader_id: int | None = None, status: DeliveryStatus | None = None
    ) -> list[Delivery]:
        query = select(deliveries).order_by(deliveries.c.id)
        if reader_id is not None:
            query = query.where(deliveries.c.reader_id == reader_id)
        if status is not None:
            query = query.where(deliveries.c.status == status.value)
        with self._transaction(None) as conn:
            return [_delivery_from_row(row) for row in conn.execute(query).mappings()]

    # ── suppressions and notices ──

    def record_bounce(self, email: str, *, now: datetime, limit: int, reason: str) -> bool:
        """Count a permanent failure for ``email``; True when it is (now) suppressed."""
        address = normalize_email(email)
        with self._transaction(address, write=True) as conn:
            _upsert(
                conn,
                suppressions,
                {"email": address, "reason": reason, "bounces": 1, "updated_at": now},
                ["email"],
                bounces=suppressions.c.bounces + 1,
            )
            conn.execute(
                update(suppressions)
                .where(suppressions.c.email == address, suppressions.c.bounces >= limit)
                .values(suppressed=1)
            )
            return bool(
                conn.execute(
                    select(suppressions.c.suppressed).where(suppressions.c.email == address)
                ).scalar()
            )

    def suppress(self, email: str, *, now: datetime, reason: str) -> None:
        """No more mail to ``email`` (a complaint, an operator's decision)."""
        address = normalize_email(email)
        with self._transaction(address, write=True) as conn:
            _upsert(
                conn,
                suppressions,
                {"email": address, "reason": reason, "suppressed": 1, "updated_at": now},
                ["email"],
            )

    def is_suppressed(self, email: str) -> bool:
        address = normalize_email(email)
        with self._transaction(address) as conn:
            return bool(
                conn.execute(
                    select(suppressions.c.suppressed).where(suppressions.c.email == address)
                ).scalar()
            )

    def note_notice(self, email: str, kind: str, *, now: datetime) -> None:
        """Record a confirmation or sign-in mail sent to ``email``."""
        address = normalize_email(email)
        with self._transaction(address, write=True) as conn:
            conn.execute(insert(notices).values(email=address, kind=kind, sent_at=now))

    def count_notices(self, email: str, *, since: datetime) -> int:
        """How many confirmation or sign-in mails ``email`` got since ``since``."""
        address = normalize_email(email)
        with self._transaction(address) as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(notices)
                    .where(notices.c.email == address, notices.c.sent_at >= since)
                ).scalar_one()
            )

    def mark_briefed(self, reader_id: int, at: datetime) -> None:
        """Record that the reader got a briefing at ``at``."""
        with self._transaction(str(reader_id), write=True) as conn:
            result = conn.execute(
                update(readers).where(readers.c.id == reader_id).values(last_briefed_at=at)
            )
            if result.rowcount == 0:
                raise NotFoundError("no reader with this id", key=str(reader_id))

    def release_delivery(self, delivery_id: int, *, worker: str, now: datetime) -> bool:
        """Hand a claim back as if it had not been made (the run stopped before sending: the
        attempt does not count): a first claim is deleted, a later one is due again now as a
        retry. False when this worker does not hold it."""
        held = and_(
            deliveries.c.id == delivery_id,
            deliveries.c.claimed_by == worker,
            deliveries.c.status == DeliveryStatus.CLAIMED.value,
        )
        with self._transaction(str(delivery_id), write=True) as conn:
            if conn.execute(delete(deliveries).where(held, deliveries.c.attempts <= 1)).rowcount:
                return True
            result = conn.execute(
                update(deliveries)
                .where(held)
                .values(
                    status=DeliveryStatus.RETRY.value,
                    attempts=deliveries.c.attempts - 1,
                    next_attempt_at=now,
                )
            )
            return bool(result.rowcount)

    def address_data(self, email: str) -> dict[str, Any]:
        """What is kept about an address apart from its reader: bounces and suppression, and
        the confirmation and sign-in mails sent to it (for an export)."""
        address = normalize_email(email)
        with self._transaction(address) as conn:
            suppression = (
                conn.execute(select(suppressions).where(suppressions.c.email == address))
                .mappings()
                .first()
            )
            sent = conn.execute(
                select(notices.c.kind, notices.c.sent_at)
                .where(notices.c.email == address)
                .order_by(notices.c.sent_at)
            ).mappings()
            return {
                "suppression": dict(suppression) if suppression is not None else None,
                "notices": [dict(n) for n in sent],
            }

    def erase_address(self, email: str) -> Reader | None:
        """Erase everything kept about ``email``: its reader, their send log, comments
        (``_erase_comments``), sessions and the bans naming them, the address's bounces and
        suppression, the notices sent to it. Returns the reader there was, if any."""
        address = normalize_email(email)
        with self._transaction(address, write=True) as conn:
            row = conn.execute(select(readers).where(readers.c.email == address)).mappings().first()
            if row is not None:
                self._erase_comments(conn, row["id"])
                conn.execute(delete(bans).where(bans.c.reader_id == row["id"]))
                conn.execute(delete(sessions).where(sessions.c.reader_id == row["id"]))
                conn.execute(delete(deliveries).where(deliveries.c.reader_id == row["id"]))
                conn.execute(delete(readers).where(readers.c.id == row["id"]))
            conn.execute(delete(suppressions).where(suppressions.c.email == address))
            conn.execute(delete(notices).where(notices.c.email == address))
            return _reader_from_row(row) if row is not None else None

    # ── comments ──

    @staticmethod
    def _erase_comments(conn: Connection, reader_id: int) -> None:
        """Erase what a reader wrote without breaking others' threads: a comment nobody
        answered goes (answers of their own first, leaves upwards); one that was answered stays
        in its place as a deleted comment with no author, text, address hash or reader."""
        mine = comments.c.reader_id == reader_id
        answer = comments.alias("answer")
        answered = select(answer.c.id).where(answer.c.parent_id == comments.c.id).exists()
        while conn.execute(delete(comments).where(mine, ~answered)).rowcount:
            pass  # each round removes the leaves the one before uncovered
        conn.execute(
            update(comments)
            .where(mine)
            .values(
                status=CommentStatus.DELETED.value,
                author_name="",
                body_markdown="",
                body_html="",
                edited_at=None,
                ip_hash=None,
                reader_id=None,
            )
        )

    @staticmethod
    def _comment_of(row: RowMapping, replies: tuple[Comment, ...] = ()) -> Comment:
        return Comment(
            id=CommentId(row["id"]),
            article_id=row["article_id"],
            parent_id=None if row["parent_id"] is None else CommentId(row["parent_id"]),
            reader_id=row["reader_id"],
            author_name=row["author_name"],
            body_markdown=row["body_markdown"],
            body_html=row["body_html"],
            status=CommentStatus(row["status"]),
            created_at=row["created_at"],
            edited_at=row["edited_at"],
            ip_hash=row["ip_hash"],
            replies=replies,
        )

    def _comment_row(self, conn: Connection, comment_id: int) -> RowMapping:
        row = conn.execute(select(comments).where(comments.c.id == comment_id)).mappings().first()
        if row is None:
            raise NotFoundError("no such comment", key=str(comment_id))
        return row

    def add_comment(
        self,
        article_id: str,
        *,
        author_name: str,
        body_markdown: str,
        body_html: str,
        status: CommentStatus,
        now: datetime,
        reader_id: int | None = None,
        parent_id: int | None = None,
        ip_hash: str | None = None,
    ) -> Comment:
        """Store a new comment on ``article_id`` (an answer to ``parent_id``, a comment on the
        same article, when given). ``body_html`` must already be sanitised."""
        with self._transaction(article_id, write=True) as conn:
            if (
                conn.execute(select(articles.c.id).where(articles.c.id == article_id)).first()
                is None
            ):
                raise NotFoundError("no such article", key=article_id)
            if parent_id is not None:
                parent = self._comment_row(conn, parent_id)
                if parent["article_id"] != article_id:
                    raise InvalidInputError(
                        "the comment answered is on another article", key=str(parent_id)
                    )
            values = {
                "article_id": article_id,
                "parent_id": parent_id,
                "reader_id": reader_id,
                "author_name": author_name,
                "body_markdown": body_markdown,
                "body_html": body_html,
                "status": status.value,
                "created_at": as_utc(now),
                "ip_hash": ip_hash,
            }
            try:
                new_id = conn.execute(
                    insert(comments).values(values).returning(comments.c.id)
                ).scalar_one()
            except IntegrityError as exc:
                if _is_foreign_key_violation(exc):
                    raise NotFoundError("no such reader", key=str(reader_id)) from exc
                raise
            return self._comment_of(self._comment_row(conn, new_id))

    def get_comment(self, comment_id: int) -> Comment:
        """One comment, whatever its status (without its replies)."""
        with self._transaction(str(comment_id)) as conn:
            return self._comment_of(self._comment_row(conn, comment_id))

    def list_comments(
        self, article_id: str, *, include_held: bool = False, require_article: bool = False
    ) -> list[Comment]:
        """The comment threads of an article: its first-level comments oldest first, each with
        its ``replies`` (oldest first, to any depth).

        Visible comments are shown, and held ones with ``include_held``; a hidden or deleted
        comment stays in the thread only when answers below it are shown, and then without its
        author, body or address hash. With ``require_article``, ``NotFoundError`` when there is
        no such article (else no article and no comments are alike: ``[]``).
        """
        shown = {CommentStatus.VISIBLE} | ({CommentStatus.HELD} if include_held else set())
        query = select(comments).where(comments.c.article_id == article_id)
        with self._transaction(article_id) as conn:
            rows = list(conn.execute(query.order_by(comments.c.id)).mappings())
            if require_article and not rows:
                known = select(articles.c.id).where(articles.c.id == article_id)
                if conn.execute(known).first() is None:
                    raise NotFoundError("no such article", key=article_id)
        # Answers have larger ids than what they answer, so walking from the newest builds every
        # comment's replies before the comment itself (no recursion, so no depth limit).
        answers: dict[int | None, list[Comment]] = {}
        for row in reversed(rows):
            replies = tuple(reversed(answers.pop(row["id"], [])))
            comment = self._comment_of(row, replies)
            if comment.status not in shown:
                if not replies:
                    continue
                comment = dataclasses.replace(
                    comment, author_name="", body_markdown="", body_html="", ip_hash=None
                )
            answers.setdefault(row["parent_id"], []).append(comment)
        return list(reversed(answers.get(None, [])))

    def count_comments(self, article_id: str) -> int:
        """How many visible comments an article has."""
        query = (
            select(func.count())
            .select_from(comments)
            .where(
                comments.c.article_id == article_id,
                comments.c.status == CommentStatus.VISIBLE.value,
            )
        )
        with self._transaction(article_id) as conn:
            return int(conn.execute(query).scalar_one())

    def list_comments_by_status(self, status: CommentStatus, *, limit: int = 100) -> list[Comment]:
        """Comments of one status on any article, oldest first (the moderation queue)."""
        query = (
            select(comments)
            .where(comments.c.status == status.value)
            .order_by(comments.c.id)
            .limit(limit)
        )
        with self._transaction(status.value) as conn:
            return [self._comment_of(row) for row in conn.execute(query).mappings()]

    def _change_own_comment(
        self,
        comment_id: int,
        *,
        reader_id: int,
        now: datetime,
        window: timedelta,
        values: dict[str, Any],
    ) -> Comment:
        """Update a visible or held comment of ``reader_id`` made less than ``window`` before
        ``now``; checked and changed in one statement, so no race passes the window."""
        editable = (CommentStatus.VISIBLE.value, CommentStatus.HELD.value)
        with self._transaction(str(comment_id), write=True) as conn:
            row = self._comment_row(conn, comment_id)
            if row["reader_id"] is None or row["reader_id"] != reader_id:
                # the same answer as for no comment at all: nothing to learn about others'
                raise NotFoundError("no such comment of yours", key=str(comment_id))
            changed = conn.execute(
                update(comments)
                .where(
                    comments.c.id == comment_id,
                    comments.c.reader_id == reader_id,
                    comments.c.status.in_(editable),
                    comments.c.created_at > as_utc(now) - window,
                )
                .values(values)
            ).rowcount
            if not changed:
                if row["status"] not in editable:
                    raise InvalidInputError("this comment was taken down", key=str(comment_id))
                raise InvalidInputError(
                    "the time to change this comment has passed", key=str(comment_id)
                )
            return self._comment_of(self._comment_row(conn, comment_id))

    def edit_comment(
        self,
        comment_id: int,
        *,
        reader_id: int,
        body_markdown: str,
        body_html: str,
        now: datetime,
        window: timedelta,
    ) -> Comment:
        """Change the text of a comment by its author within ``window`` of posting it."""
        values = {"body_markdown": body_markdown, "body_html": body_html, "edited_at": as_utc(now)}
        return self._change_own_comment(
            comment_id, reader_id=reader_id, now=now, window=window, values=values
        )

    def delete_comment(
        self, comment_id: int, *, reader_id: int, now: datetime, window: timedelta
    ) -> Comment:
        """Take down a comment by its author within ``window`` of posting it: its text is
        erased, the row stays (status deleted) so that answers keep their place."""
        values = {
            "status": CommentStatus.DELETED.value,
            "body_markdown": "",
            "body_html": "",
            "edited_at": as_utc(now),
        }
        return self._change_own_comment(
            comment_id, reader_id=reader_id, now=now, window=window, values=values
        )

    _MODERATION: Final = {
        "approve": ((CommentStatus.HELD,), CommentStatus.VISIBLE),
        "hide": ((CommentStatus.VISIBLE, CommentStatus.HELD), CommentStatus.HIDDEN),
        "restore": ((CommentStatus.HIDDEN,), CommentStatus.VISIBLE),
    }

    def moderate_comment(self, comment_id: int, action: str) -> Comment:
        """An operator's decision: "approve" a held comment, "hide" a visible or held one,
        "restore" a hidden one. Any other move is an ``InvalidInputError``."""
        if action not in self._MODERATION:
            raise InvalidInputError("not a moderation action", key=action)
        sources, target = self._MODERATION[action]
        with self._transaction(str(comment_id), write=True) as conn:
            row = self._comment_row(conn, comment_id)
            changed = conn.execute(
                update(comments)
                .where(
                    comments.c.id == comment_id,
                    comments.c.status.in_([s.value for s in sources]),
                )
                .values(status=target.value)
            ).rowcount
            if not changed:
                raise InvalidInputError(
                    f"a {row['status']} comment cannot be {action}d", key=str(comment_id)
                )
            return self._comment_of(self._comment_row(conn, comment_id))

    def has_shown_comment(self, *, reader_id: int | None, ip_hash: str | None) -> bool:
        """Whether the author (a reader; else an anonymous client's address hash) has a
        visible comment: a known author, whose comments need not be held."""
        if reader_id is not None:
            who = comments.c.reader_id == reader_id
        elif ip_hash is not None:
            who = and_(comments.c.reader_id.is_(None), comments.c.ip_hash == ip_hash)
        else:
            return False
        query = select(comments.c.id).where(who, comments.c.status == "visible").limit(1)
        with self._transaction(None) as conn:
            return conn.execute(query).first() is not None

    def recent_comment_times(
        self, *, reader_id: int | None = None, ip_hash: str | None = None, since: datetime
    ) -> list[datetime]:
        """When the reader (or else the address hash) posted since ``since``, oldest first: what
        rate limits count."""
        if reader_id is not None:
            who = comments.c.reader_id == reader_id
        elif ip_hash is not None:
            who = comments.c.ip_hash == ip_hash
        else:
            raise InvalidInputError("name a reader or an address hash", key="recent_comment_times")
        query = (
            select(comments.c.created_at)
            .where(who, comments.c.created_at > as_utc(since))
            .order_by(comments.c.created_at)
        )
        with self._transaction(None) as conn:
            return list(conn.execute(query).scalars())

    # ── bans ──

    @staticmethod
    def _ban_of(row: RowMapping) -> Ban:
        return Ban(
            id=BanId(row["id"]),
            reader_id=row["reader_id"],
            ip_hash=row["ip_hash"],
            reason=row["reason"],
            created_at=row["created_at"],
            until=row["until"],
        )

    def ban(
        self,
        *,
        reason: str,
        now: datetime,
        reader_id: int | None = None,
        ip_hash: str | None = None,
        until: datetime | None = None,
    ) -> Ban:
        """Stop a reader, or a client address hash, from commenting until ``until`` (None: for
        good)."""
        if reader_id is None and ip_hash is None:
            raise InvalidInputError("name a reader or an address hash to ban", key="ban")
        values = {
            "reader_id": reader_id,
            "ip_hash": ip_hash,
            "reason": reason,
            "created_at": as_utc(now),
            "until": None if until is None else as_utc(until),
        }
        with self._transaction(str(reader_id or ip_hash), write=True) as conn:
            try:
                new_id = conn.execute(insert(bans).values(values).returning(bans.c.id)).scalar_one()
            except IntegrityError as exc:
                if _is_foreign_key_violation(exc):
                    raise NotFoundError("no such reader", key=str(reader_id)) from exc
                raise
            row = conn.execute(select(bans).where(bans.c.id == new_id)).mappings().one()
            return self._ban_of(row)

    def unban(self, ban_id: int) -> Ban:
        """Lift a ban."""
        with self._transaction(str(ban_id), write=True) as conn:
            row = conn.execute(select(bans).where(bans.c.id == ban_id)).mappings().first()
            if row is None:
                raise NotFoundError("no such ban", key=str(ban_id))
            conn.execute(delete(bans).where(bans.c.id == ban_id))
            return self._ban_of(row)

    def _active_bans(self, now: datetime) -> ColumnElement[bool]:
        return or_(bans.c.until.is_(None), bans.c.until > as_utc(now))

    def list_bans(self, *, now: datetime) -> list[Ban]:
        """The bans in force at ``now``, newest first."""
        query = select(bans).where(self._active_bans(now)).order_by(bans.c.id.desc())
        with self._transaction(None) as conn:
            return [self._ban_of(row) for row in conn.execute(query).mappings()]

    def is_banned(self, *, reader_id: int | None, ip_hash: str | None, now: datetime) -> bool:
        """Whether a ban in force at ``now`` names the reader or the address hash."""
        who = [
            bans.c.reader_id == reader_id if reader_id is not None else None,
            bans.c.ip_hash == ip_hash if ip_hash is not None else None,
        ]
        named = [condition for condition in who if condition is not None]
        if not named:
            return False
        query = select(bans.c.id).where(or_(*named), self._active_bans(now)).limit(1)
        with self._transaction(None) as conn:
            return conn.execute(query).first() is not None

    # ── the run lock ──

    def try_run_lock(self, name: str = "run") -> RunLock | None:
        """Take the installation-wide lock ``name`` unless another process holds it (None then).

        Held until ``release()`` (or the process ends): on SQLite an exclusive ``flock`` on
        ``<database>.<name>.lock`` beside the database file; on PostgreSQL a session advisory
        lock on a connection kept for it, keyed by the schema, so installations sharing a
        database server do not block each other. An in-memory SQLite database is one
        process's own: the lock is always free.
        """
        lock = self._try_advisory_lock(name) if not self._sqlite else self._try_file_lock(name)
        if lock is not None:
            self._locks.append(lock)
        return lock

    def _try_file_lock(self, name: str) -> RunLock | None:
        database = self._engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return RunLock(lambda: None)
        path = Path(database).with_name(f"{Path(database).name}.{name}.lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StorageError(
                f"cannot open the lock file: {error.strerror}", key=str(path)
            ) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

        def release() -> None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

        return RunLock(release)

    def _try_advisory_lock(self, name: str) -> RunLock | None:
        key = f"marketbrief.{name}"
        statement = "SELECT pg_try_advisory_lock(%s, hashtext(current_schema() || %s))"
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                taken = conn.exec_driver_sql(statement, (_RUN_LOCK_CLASS, key)).scalar()
            except BaseException:
                conn.close()
                raise
        except (DBAPIError, PoolTimeoutError) as exc:
            raise _storage_error(exc, "database_url") from exc
        if not taken:
            conn.close()
            return None

        def release() -> None:
            try:
                conn.exec_driver_sql(
                    "SELECT pg_advisory_unlock(%s, hashtext(current_schema() || %s))",
                    (_RUN_LOCK_CLASS, key),
                )
            except DBAPIError:
                pass  # the connection is gone, and the lock with it
            finally:
                conn.close()

        return RunLock(release)


class RunLock:
    """A held run lock; ``release()`` once (a context manager releases it on exit)."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
