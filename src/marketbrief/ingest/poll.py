"""Poll one source: fetch it politely, read its entries, fetch their pages, report the outcome.

A poll never raises for a bad feed, page or file: the outcome carries the source's new state
(health, validators, next poll), the documents fetched, and the errors met on the way, so the
caller stores what worked and shows what did not.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from marketbrief.errors import FetchError, InvalidInputError, MarketBriefError, ParseError
from marketbrief.ingest.feeds import parse_feed
from marketbrief.ingest.files import looks_like_feed, read_path
from marketbrief.ingest.http import HttpResponse, PoliteClient
from marketbrief.ingest.schedule import after_failure, after_success
from marketbrief.model import FeedData, FeedEntry, FetchedDocument, Source, SourceKind
from marketbrief.settings import Settings

MAX_CHILD_SITEMAPS = 5
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".json", ".gz"})
MIN_FEED_CONTENT = 400  # characters of entry HTML worth using when the page cannot be fetched
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one source gave."""

    source: Source  # the source's new state, to be saved
    documents: tuple[FetchedDocument, ...]
    item_errors: tuple[MarketBriefError, ...] = ()  # entries that failed; the source is fine
    error: MarketBriefError | None = None  # the source itself failed
    not_modified: bool = False


def path_of(location: str) -> Path:
    """A local source's path from its ``file://`` URL or plain path."""
    if location.startswith("file:"):
        return Path(unquote(urlsplit(location).path))
    return Path(location)


def is_local(location: str) -> bool:
    return location.startswith("file:") or "://" not in location


def media_type_of(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed in ("text/html", "application/xhtml+xml"):
        return "text/html"
    return guessed or "text/plain"


def document_from(
    response: HttpResponse,
    *,
    source: Source | None = None,
    entry: FeedEntry | None = None,
    source_name: str | None = None,
) -> FetchedDocument:
    """The fetched page as a document; ``url`` is the asked URL, the key it is stored under."""
    return FetchedDocument(
        url=response.url,
        final_url=response.final_url,
        content=response.content,
        content_type=response.content_type or "text/html",
        fetched_at=response.fetched_at,
        source_id=None if source is None else source.id,
        entry=entry,
        charset=response.charset,
        source_name=source_name,
    )


class SourcePoller:
    """Polls sources with one polite HTTP client; safe to share across concurrent polls."""

    def __init__(self, client: PoliteClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def poll(
        self, source: Source, *, now: datetime, is_known: Callable[[str], bool]
    ) -> PollOutcome:
        try:
            if is_local(source.url):
                return self._poll_local(source, now=now, is_known=is_known)
            if source.kind is SourceKind.PAGE:
                return await self._poll_page(source, now=now)
            return await self._poll_feed(source, now=now, is_known=is_known)
        except MarketBriefError as error:
            return PollOutcome(
                after_failure(source, error, self.settings, now=now), (), error=error
            )

    # ── remote ──────────────────────────────────────────────────────────────────────────────

    def _polled(
        self, source: Source, response: HttpResponse, *, now: datetime, title: str | None = None
    ) -> Source:
        """The source's state after a poll the server answered (2xx or 304)."""
        return after_success(
            source,
            self.settings,
            now=now,
            etag=response.etag,
            last_modified=response.last_modified,
            max_age=response.max_age,
            new_url=response.permanent_redirect,
            title=title,
        )

    async def _poll_page(self, source: Source, *, now: datetime) -> PollOutcome:
        response = await self.client.fetch(
            source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            check_robots=self.settings.respect_robots,
        )
        state = self._polled(source, response, now=now)
        if response.status_code == 304:
            return PollOutcome(state, (), not_modified=True)
        document = document_from(response, source=source, source_name=source.title)
        return PollOutcome(state, (document,))

    async def _poll_feed(
        self, source: Source, *, now: datetime, is_known: Callable[[str], bool]
    ) -> PollOutcome:
        response = await self.client.fetch(
            source.url, etag=source.etag, last_modified=source.last_modified, accept=FEED_ACCEPT
        )
        if response.status_code == 304:  # the client echoes the validators we sent
            return PollOutcome(self._polled(source, response, now=now), (), not_modified=True)
        feed = parse_feed(
            response.content, url=response.final_url, content_type=response.content_type
        )
        entries = list(feed.entries)
        errors: list[MarketBriefError] = []
        for child in feed.sitemaps[:MAX_CHILD_SITEMAPS]:
            try:
                child_response = await self.client.fetch(child, accept=FEED_ACCEPT)
                entries += parse_feed(
                    child_response.content, url=child, content_type=child_response.content_type
                ).entries
            except MarketBriefError as error:
                errors.append(error)
        state = self._polled(source, response, now=now, title=feed.title)
        fresh = self._fresh_entries(entries, is_known)
        results = await asyncio.gather(*(self._fetch_entry(source, feed, e) for e in fresh))
        documents = [r for r in results if isinstance(r, FetchedDocument)]
        errors += [r for r in results if isinstance(r, MarketBriefError)]
        return PollOutcome(state, tuple(documents), tuple(errors))

    def _fresh_entries(
        self, entries: Sequence[FeedEntry], is_known: Callable[[str], bool]
    ) -> list[FeedEntry]:
        seen: set[str] = set()
        fresh = []
        for entry in entries:
            if entry.url in seen or is_known(entry.url):
                continue
            seen.add(entry.url)
            fresh.append(entry)
        return fresh[: self.settings.max_entries_per_poll]

    async def _fetch_entry(
        self, source: Source, feed: FeedData, entry: FeedEntry
    ) -> FetchedDocument | MarketBriefError:
        try:
            response = await self.client.fetch(entry.url, check_robots=self.settings.respect_robots)
            return document_from(
                response, source=source, entry=entry, source_name=feed.title or source.title
            )
        except FetchError as error:
            # The feed may carry the whole article: better that than nothing.
            if entry.content_html and len(entry.content_html) >= MIN_FEED_CONTENT:
                return FetchedDocument(
                    url=entry.url,
                    final_url=entry.url,
                    content=entry.content_html.encode("utf-8"),
                    content_type="text/html",
                    fetched_at=datetime.now(tz=UTC),
                    source_id=source.id,
                    entry=entry,
                    charset="utf-8",
                    source_name=feed.title or source.title,
                )
            return error

    # ── local files ─────────────────────────────────────────────────────────────────────────

    def _poll_local(
        self, source: Source, *, now: datetime, is_known: Callable[[str], bool]
    ) -> PollOutcome:
        path = path_of(source.url)
        if not path.exists():
            raise InvalidInputError(f"no such file or folder: {path}", key=source.url)
        stamp = str(path.stat().st_mtime_ns)
        if stamp == source.last_modified and path.is_file():
            state = after_success(source, self.settings, now=now, etag=None, last_modified=stamp)
            return PollOutcome(state, (), not_modified=True)
        documents: list[FetchedDocument] = []
        errors: list[MarketBriefError] = []
        title = source.title
        if path.is_file() and (looks_like_feed(path) or path.suffix.lower() in FEED_SUFFIXES):
            # A feed-named file that does not parse is reported as a broken feed, not as an
            # unsupported article file.
            feed = parse_feed(path.read_bytes(), url=path.as_uri())
            title = feed.title or title
            for entry in self._fresh_entries(feed.entries, is_known):
                result = self._read_local_entry(source, feed, entry, now=now)
                if isinstance(result, FetchedDocument):
                    documents.append(result)
                else:
                    errors.append(result)
        else:
            for item in read_path(path, now=now):
                if isinstance(item, ParseError):
                    errors.append(item)
                elif not is_known(item.url):
                    documents.append(replace(item, source_id=source.id))
        state = after_success(
            source, self.settings, now=now, etag=None, last_modified=stamp, title=title
        )
        return PollOutcome(state, tuple(documents), tuple(errors))

    def _read_local_entry(
        self, source: Source, feed: FeedData, entry: FeedEntry, *, now: datetime
    ) -> FetchedDocument | MarketBriefError:
        if not is_local(entry.url):
            return FetchError("a local feed may only point at local files", key=entry.url)
        path = path_of(entry.url)
        try:
            content = path.read_bytes()
        except OSError as error:
            return ParseError(f"cannot read {path}: {error.strerror}", key=entry.url)
        return FetchedDocument(
            url=entry.url,
            final_url=entry.url,
            content=content,
            content_type=media_type_of(path),
            fetched_at=now,
            source_id=source.id,
            entry=entry,
            source_name=feed.title or source.title,
        )
