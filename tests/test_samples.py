"""The bundled demo samples hang together: feeds, pages, manifest and sample reader."""

from __future__ import annotations

import json
import tomllib
from calendar import timegm
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest

from marketbrief.model import EVENT_TYPES
from marketbrief.samples import FEED_FILES, list_feed_files, samples_dir

NOTICE = "Sample article written for the marketbrief demo — not real news."
FIRST_DAY, LAST_DAY = date(2025, 6, 20), date(2025, 6, 27)
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


# ── reading ───────────────────────────────────────────────────────────────────────────────────


class PageReader(HTMLParser):
    """Collects what the tests ask of a page, and whether its tags are balanced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.meta: dict[str, list[str]] = {}
        self.title = ""
        self.h1 = ""
        self.counts: dict[str, int] = {}
        self.body_paragraphs: list[str] = []  # <p> text inside <article>
        self.times: list[str] = []  # datetime= of <time> inside <article>
        self.footer_text = ""
        self._p: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "meta":
            key = a.get("name") or a.get("property")
            if key:
                self.meta.setdefault(key, []).append(a.get("content", ""))
        if tag == "time" and "article" in self.stack:
            self.times.append(a.get("datetime", ""))
        if tag == "p" and "article" in self.stack:
            self._p = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            return
        self.stack.pop()
        if tag == "p" and self._p is not None:
            self.body_paragraphs.append("".join(self._p))
            self._p = None

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "title":
            self.title += data
        if "h1" in self.stack:
            self.h1 += data
        if "footer" in self.stack:
            self.footer_text += data
        if self._p is not None:
            self._p.append(data)


def read_page(path: Path) -> PageReader:
    reader = PageReader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return reader


def parse_instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert instant.tzinfo is not None, text
    return instant.astimezone(UTC)


def read_feed_entries(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """The feed's format and its entries as {"id", "link", "published_at", "title"}."""
    raw = path.read_bytes()
    if path.suffix == ".json":
        doc = json.loads(raw.decode("utf-8"))
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        entries = [
            {
                "id": item["id"],
                "link": item["url"],
                "published_at": parse_instant(item["date_published"]),
                "title": item["title"],
                "has_content": bool(item.get("content_text") or item.get("content_html")),
            }
            for item in doc["items"]
        ]
        return "json1", entries
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.get("bozo_exception")
    entries = [
        {
            "id": e.get("id"),
            "link": e.link,
            "published_at": datetime.fromtimestamp(timegm(e.published_parsed), tz=UTC),
            "title": e.title,
            "has_content": bool(e.get("summary")),
        }
        for e in parsed.entries
    ]
    return parsed.version, entries


def resolve_link(feed_path: Path, link: str) -> Path:
    """An entry link resolved against the feed file's own location, as a path."""
    url = urljoin(feed_path.resolve().as_uri(), link)
    parts = urlsplit(url)
    assert parts.scheme == "file", f"{link!r} does not resolve to a local file"
    return Path(unquote(parts.path))


# ── fixtures ──────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def root() -> Path:
    return samples_dir()


@pytest.fixture(scope="module")
def manifest(root: Path) -> dict[str, Any]:
    with (root / "manifest.toml").open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def articles(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = manifest["article"]
    return result


def iter_pages(root: Path, articles: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Path]]:
    for article in articles:
        yield article, root / article["path"]


# ── feeds ─────────────────────────────────────────────────────────────────────────────────────


def test_three_feeds_in_three_formats(root: Path, manifest: dict[str, Any]) -> None:
    formats = {}
    for path in list_feed_files():
        fmt, entries = read_feed_entries(path)
        formats[path.relative_to(root).as_posix()] = fmt
        assert entries, path
    assert set(formats) == set(FEED_FILES)
    assert sorted(formats.values()) == ["atom10", "json1", "rss20"]
    assert {f["path"]: f["format"] for f in manifest["feed"]} == formats


def test_every_entry_link_resolves_to_its_page(root: Path, articles: list[dict[str, Any]]) -> None:
    by_path = {a["path"]: a for a in articles}
    seen: set[str] = set()
    for feed_path in list_feed_files():
        _, entries = read_feed_entries(feed_path)
        for entry in entries:
            assert not urlsplit(entry["link"]).scheme, "entry links are relative"
            page = resolve_link(feed_path, entry["link"])
            assert page.is_file(), f"{feed_path.name}: {entry['link']} -> {page}"
            rel = page.relative_to(root.resolve()).as_posix()
            assert rel in by_path, f"{rel} is not in manifest.toml"
            assert rel not in seen, f"{rel} is linked twice"
            seen.add(rel)
            article = by_path[rel]
            assert entry["id"], rel
            assert entry["has_content"], rel
            assert entry["title"] == article["title"]
            assert entry["published_at"] == parse_instant(article["feed_published_at"])
            assert FIRST_DAY <= entry["published_at"].date() <= LAST_DAY
            assert feed_path.name.startswith(article["feed"])
    assert seen == set(by_path), "every page is reached from a feed"


def test_every_page_file_is_in_the_manifest(root: Path, articles: list[dict[str, Any]]) -> None:
    on_disk = {p.relative_to(root).as_posix() for p in (root / "articles").rglob("*.html")}
    assert on_disk == {a["path"] for a in articles}
    assert len(on_disk) >= 14


# ── pages ─────────────────────────────────────────────────────────────────────────────────────


def test_every_page_is_a_marked_well_formed_article(
    root: Path, manifest: dict[str, Any], articles: list[dict[str, Any]]
) -> None:
    sites = {f["name"]: f["title"] for f in manifest["feed"]}
    for article, path in iter_pages(root, articles):
        page = read_page(path)
        where = article["path"]
        assert not page.errors, (where, page.errors)
        assert not page.stack, (where, page.stack)
        assert page.meta.get("marketbrief-sample") == ["true"], where
        assert NOTICE in page.footer_text, where
        assert page.counts.get("article") == 1, where
        assert page.counts.get("h1") == 1, where
        assert page.h1.strip() == article["title"], where
        assert unescape(page.title) == f"{article['title']} | {sites[article['feed']]}", where
        assert page.meta.get("og:title") == [article["title"]], where
        assert 4 <= len([p for p in page.body_paragraphs if len(p) > 80]) <= 9, where


def test_page_dates_match_the_manifest(root: Path, articles: list[dict[str, Any]]) -> None:
    undated = 0
    differs = 0
    for article, path in iter_pages(root, articles):
        page = read_page(path)
        meta = page.meta.get("article:published_time", [])
        if "page_published_at" not in article:
            undated += 1
            assert not meta, article["path"]
            assert not page.times, article["path"]
            assert article["published_at"] == article["feed_published_at"]
            continue
        expected = parse_instant(article["page_published_at"])
        assert [parse_instant(m) for m in meta] == [expected], article["path"]
        assert parse_instant(page.times[0]) == expected, article["path"]
        assert article["published_at"] == article["page_published_at"]
        assert FIRST_DAY <= expected.date() <= LAST_DAY
        if abs(expected - parse_instant(article["feed_published_at"])) >= timedelta(hours=1):
            differs += 1
    assert undated >= 1, "one page carries no date of its own"
    assert differs >= 1, "one page's date differs from its feed's by hours"


def test_manifest_texts_occur_in_the_article_body(
    root: Path, manifest: dict[str, Any], articles: list[dict[str, Any]]
) -> None:
    for article, path in iter_pages(root, articles):
        body = "\n".join(read_page(path).body_paragraphs)
        texts = [e for c in article["companies"] for e in c["evidence"]]
        texts += [n["text"] for n in article["not_companies"]]
        texts += [k["text"] for k in article["key_dates"]]
        for text in texts:
            assert text in body, (article["path"], text)
        page_text = unescape(path.read_text(encoding="utf-8"))
        for chrome in manifest["chrome"]:
            assert chrome in page_text, (article["path"], chrome)
            if len(chrome.split()) > 3:  # whole chrome sentences never sit in the paragraphs
                assert chrome not in body, (article["path"], chrome)


# ── what the samples cover ────────────────────────────────────────────────────────────────────


def test_stories_appear_in_two_feeds(
    manifest: dict[str, Any], articles: list[dict[str, Any]]
) -> None:
    feed_of = {a["path"]: a["feed"] for a in articles}
    story_of = {a["path"]: a["story"] for a in articles}
    kinds = set()
    for story in manifest["story"]:
        assert len({feed_of[p] for p in story["articles"]}) >= 2, story["id"]
        assert all(story_of[p] == story["id"] for p in story["articles"]), story["id"]
        kinds.add(story["kind"])
    assert kinds == {"duplicate", "rewrite"}
    shared = {s for s in story_of.values() if list(story_of.values()).count(s) > 1}
    assert shared == {s["id"] for s in manifest["story"]}


def test_manifest_labels_are_known_and_varied(articles: list[dict[str, Any]]) -> None:
    events = {e for a in articles for e in a["events"]}
    assert events <= set(EVENT_TYPES)
    assert len(events) >= 12
    assert {a["sentiment"] for a in articles} == {"positive", "negative", "neutral"}
    roles = {c["role"] for a in articles for c in a["companies"]}
    assert roles == {"primary", "mentioned", "indirect"}
    assert sum(bool(a["not_companies"]) for a in articles) >= 5
    assert {a["feed"] for a in articles} == {"wire", "street", "desk"}


def test_sample_reader_watches_what_the_samples_cover(
    root: Path, articles: list[dict[str, Any]]
) -> None:
    with (root / "readers.toml").open("rb") as f:
        readers = tomllib.load(f)["reader"]
    assert readers
    tickers = {c["ticker"] for a in articles for c in a["companies"]}
    sectors = {s for a in articles for s in a["sectors"]}
    for reader in readers:
        assert reader["email"].endswith("@example.com")
        assert reader["cadence"] in {"daily", "weekly"}
        watch = reader["watchlist"]
        assert watch["tickers"]
        assert set(watch["tickers"]) <= tickers
        assert set(watch["sectors"]) <= sectors
        assert set(watch["event_types"]) <= set(EVENT_TYPES)
