"""Parse the bytes of a feed or sitemap into a ``FeedData``.

Formats: RSS 0.9x/1.0/2.0, RDF and Atom 0.3/1.0 (through feedparser), JSON Feed 1.0/1.1, XML
sitemaps, Google News sitemaps and sitemap indexes (through a hardened lxml parser), any of them
gzipped. Nothing here touches the network or the file system: the caller fetches the bytes
(ingest/http.py, or a local file) and passes them in with the URL they came from.

The one promise: ``parse_feed`` returns a ``FeedData`` or raises ``ParseError`` — never any other
exception, whatever the bytes.
"""

from __future__ import annotations

import calendar
import codecs
import html
import io
import json
import re
import time
import xml.sax
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from marketbrief.errors import ParseError
from marketbrief.model import FeedData, FeedEntry

# The sitemaps protocol caps an uncompressed sitemap at 50 MB; a gzip body that inflates past
# this is a bomb, not a sitemap.
MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"

# Root elements (local names, lower-cased) of the XML documents parse_feed reads.
FEED_ROOTS = frozenset({"rss", "rdf", "feed"})
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_HTML_ROOTS = frozenset({"html", "head", "body"})

_SNIFF_BYTES = 64 * 1024
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# What may come before the root element: XML declaration, processing instructions, comments and
# a DOCTYPE (with an internal subset in brackets). Every repeat here matches one way only, so
# hostile input cannot make it backtrack without end ("<!DOCTYPE [][][]…" did, with ".*?").
_PROLOG_RE = re.compile(
    r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[[^\]]*\][^\[>]*)*>)", re.S | re.I
)
_ROOT_RE = re.compile(r"\s*<([A-Za-z_][\w.:-]*)")
_DOCTYPE_SUBSET_RE = re.compile(r"(<!DOCTYPE[^\[>]*)\[([^\]]*)\]([^\[>]*>)", re.I)
# An entity whose value is plain text or one character reference, as feeds use for &nbsp;.
_SAFE_ENTITY_RE = re.compile(r'<!ENTITY\s+[\w.:-]+\s+"(?:&#\w+;|[^&%"<]*)"\s*>')
# JSON may escape the slashes of the version URL ("https:\/\/jsonfeed.org\/version\/1.1").
_JSON_FEED_RE = re.compile(r'"version"\s*:\s*"https?:(?:\\?/){2}jsonfeed\.org(?:\\?/)version')
_PARTIAL_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2}))?")
# "[^<>]", not "[^>]": a run of "<" without ">" would otherwise be rescanned from each "<".
_TAG_RE = re.compile(r"<[^<>]*>")
_SPACE_RE = re.compile(r"\s+")


def parse_feed(
    content: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES,
) -> FeedData:
    """Parse a feed or sitemap; entry links come back absolute, resolved against ``url``.

    ``content_type`` is the server's Content-Type header when known (it may carry the charset).
    Entries without a usable http(s) link are skipped and counted in ``warnings``; a ``file:``
    link is usable only in a feed that is itself a ``file:`` URL. What was wrong but could be
    read past is in ``warnings``. Raises ``ParseError(key=url)`` when nothing usable is there:
    empty, binary, HTML, not a feed, or XML too broken to yield an entry.
    """
    data = content
    if data[:2] == GZIP_MAGIC:
        data = _gunzip(data, url=url, max_bytes=max_decompressed_bytes)
    if not data or data.isspace():
        raise ParseError("empty document", key=url)
    data = _strip_leading_space(data)
    head = _decode_head(data)
    if head is None:
        raise ParseError("not a feed: binary data", key=url)
    if head.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):
        return _parse_json_feed(data, url=url)
    root = sniff_root(head)
    if root in SITEMAP_ROOTS:
        return _parse_sitemap(data, url=url)
    return _parse_xml_feed(data, url=url, content_type=content_type, root=root)


def sniff_feed(head: bytes) -> bool:
    """Whether the first bytes of a document begin a feed or sitemap (gzipped or not).

    A cheap look at the start only (64 kB are plenty): for routing a local file to
    ``parse_feed`` instead of article extraction.
    """
    if head[:2] == GZIP_MAGIC:
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _SNIFF_BYTES)
        except zlib.error:
            return False
    text = _decode_head(head)
    if text is None:
        return False
    if text.lstrip("\ufeff \t\r\n")[:1] == "{":
        return _JSON_FEED_RE.search(text) is not None
    return sniff_root(text) in FEED_ROOTS | SITEMAP_ROOTS


def sniff_root(head: str) -> str | None:
    """The lower-cased local name of the document's root element, or None when the text does
    not begin with markup. Skips the XML declaration, comments, PIs and a DOCTYPE."""
    text = head.lstrip("\ufeff")
    pos = 0
    while (prolog := _PROLOG_RE.match(text, pos)) is not None:
        pos = prolog.end()
    match = _ROOT_RE.match(text, pos)
    if match is None:
        return None
    return match.group(1).rsplit(":", 1)[-1].lower()


# ── bytes ─────────────────────────────────────────────────────────────────────────────────────


def _gunzip(data: bytes, *, url: str, max_bytes: int) -> bytes:
    out = bytearray()
    rest = data
    # A gzip file may hold several members back to back; inflate them all, under one cap.
    while rest[:2] == GZIP_MAGIC:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except zlib.error as error:
            raise ParseError(f"bad gzip data: {error}", key=url) from None
        if len(out) > max_bytes:
            raise ParseError(f"gzip body inflates past {max_bytes} bytes", key=url)
        if not inflater.eof:
            raise ParseError("truncated gzip data", key=url)
        rest = inflater.unused_data
    return bytes(out)


def _strip_leading_space(data: bytes) -> bytes:
    """Drop blank lines before the XML declaration (a common server-side slip), which would
    otherwise make the document ill-formed. UTF-16 is left alone: its spaces are two bytes."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4]:
        return data
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return bom + data[len(bom) :].lstrip(b" \t\r\n")


def _decode_head(data: bytes) -> str | None:
    """The start of the document as text good enough to find its first markup, or None when it
    is binary. Names looked for are ASCII, so latin-1 serves every ASCII-compatible charset."""
    head = data[:_SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, b"<\x00")):
        return head.decode("utf-16-le", "replace")
    if head.startswith((codecs.BOM_UTF16_BE, b"\x00<")):
        return head.decode("utf-16-be", "replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    if b"\x00" in head:
        return None
    return head.decode("latin-1")


# ── RSS, RDF, Atom ────────────────────────────────────────────────────────────────────────────


def _parse_xml_feed(
    data: bytes, *, url: str, content_type: str | None, root: str | None
) -> FeedData:
    data = _defuse_doctype(data)
    is_file = _scheme(url) == "file"
    # Without a Content-Type feedparser falls back to HTTP's ISO-8859-1; "application/xml" makes
    # it follow XML's own rules instead (BOM, declaration, else UTF-8).
    headers = {"content-type": content_type or "application/xml"}
    if not is_file:
        # feedparser resolves xml:base and relative links in content against this; it mangles
        # file: URLs, so local feeds are resolved here instead (_usable_link).
        headers["content-location"] = url
    try:
        # A stream, never the bytes themselves: given bytes, feedparser first tries them as a
        # file name and would read a local file.
        result = feedparser.parse(
            io.BytesIO(data),
            response_headers=headers,
            resolve_relative_uris=not is_file,
            sanitize_html=True,
        )
    except Exception as error:  # a crash inside the parser is this document's fault
        raise ParseError(f"feed parser failed: {type(error).__name__}: {error}", key=url) from error

    version = _text(result.get("version")) or ""
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    raw_entries = [e for e in result.get("entries") or () if isinstance(e, dict)]
    if not version:
        raise ParseError(_why_not_a_feed(root, bozo), key=url)
    if isinstance(bozo, xml.sax.SAXException) and not raw_entries:
        raise ParseError(_describe_bozo(bozo), key=url)

    warnings: list[str] = []
    if content_type is None and isinstance(bozo, feedparser.CharacterEncodingOverride):
        # The "declared" charset feedparser names is our stand-in header's, not the document's.
        encoding = _text(result.get("encoding")) or "another charset"
        warnings.append(f"not in its declared charset (UTF-8 if none); read as {encoding}")
    elif bozo is not None:
        warnings.append(f"{_describe_bozo(bozo)} (read past it)")
    entries: list[FeedEntry] = []
    skipped = 0
    for raw in raw_entries:
        entry = _entry_from_feedparser(raw, url)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    if skipped:
        warnings.append(_skipped_text(skipped))
    feed = result.get("feed")
    feed = feed if isinstance(feed, dict) else {}
    return FeedData(
        url=url,
        format=version,
        title=_plain(feed.get("title"), _detail_type(feed.get("title_detail"))),
        link=_usable_link(feed.get("link"), url),
        entries=tuple(entries),
        warnings=tuple(warnings),
    )


def _defuse_doctype(data: bytes) -> bytes:
    """Keep only plain entity definitions in a DOCTYPE's internal subset.

    Entities built from other entities (billion laughs), parameter and external entities are
    dropped before feedparser's expat sees them: expat refuses the first only after seconds of
    work, and feedparser's own DOCTYPE filter misses subsets with ">" inside.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4]:
        return data
    # latin-1 maps bytes to characters one to one, so offsets in the text are offsets in data.
    text = data[:_SNIFF_BYTES].decode("latin-1")
    pos = 0
    while (item := _PROLOG_RE.match(text, pos)) is not None:
        doctype = _DOCTYPE_SUBSET_RE.fullmatch(item.group().strip())
        if doctype is not None:
            before, subset, after = doctype.groups()
            # The DOCTYPE on a line of its own and one declaration a line: the only layout
            # feedparser's own DOCTYPE filter reads.
            safe = "".join(f"\n{m.group()}" for m in _SAFE_ENTITY_RE.finditer(subset))
            cleaned = f"\n{before}[{safe}\n]{after}" if safe else f"{before.rstrip()}{after}"
            start = item.end() - len(item.group().lstrip())
            return data[:start] + cleaned.encode("latin-1") + data[item.end() :]
        pos = item.end()
    return data


def _entry_from_feedparser(raw: dict[str, Any], feed_url: str) -> FeedEntry | None:
    link = _usable_link(raw.get("link"), feed_url)
    if link is None:
        for candidate in raw.get("links") or ():
            if isinstance(candidate, dict) and candidate.get("rel") in (None, "alternate"):
                link = _usable_link(candidate.get("href"), feed_url)
                if link is not None:
                    break
    if link is None:
        return None
    # dict.get, not FeedParserDict.get: the latter maps a missing "updated" to "published" with
    # a DeprecationWarning.
    published_at = _from_struct(dict.get(raw, "published_parsed")) or _from_struct(
        dict.get(raw, "updated_parsed")
    )
    return FeedEntry(
        url=link,
        title=_plain(raw.get("title"), _detail_type(raw.get("title_detail"))),
        published_at=published_at,
        summary=_plain(raw.get("summary"), _detail_type(raw.get("summary_detail"))),
        guid=_text(raw.get("id")),
        authors=_feedparser_authors(raw),
        content_html=_feedparser_content(raw.get("content")),
    )


def _feedparser_authors(raw: dict[str, Any]) -> tuple[str, ...]:
    names = [
        _plain(author.get("name"), "text/plain")
        for author in raw.get("authors") or ()
        if isinstance(author, dict)
    ]
    if not any(names):
        names = [_plain(raw.get("author"), "text/plain")]
    return _unique(names)


def _feedparser_content(content: object) -> str | None:
    if not isinstance(content, list):
        return None
    parts = [c for c in content if isinstance(c, dict) and _text(c.get("value"))]
    for part in parts:
        if _detail_type(part) in _HTML_TYPES:
            return _text(part.get("value"))
    for part in parts:
        value = _text(part.get("value"))
        if value:
            return _text_to_html(value)
    return None


def _why_not_a_feed(root: str | None, bozo: object) -> str:
    if root in _HTML_ROOTS:
        return "not a feed: looks like an HTML page"
    if root is None:
        return "not a feed: no XML or JSON markup found"
    if root == "entry":
        return "not a feed: a lone Atom <entry>, not a feed"
    if isinstance(bozo, xml.sax.SAXException):
        return _describe_bozo(bozo)
    return f"not a feed: root element <{root}> is not RSS, RDF, Atom or a sitemap"


def _describe_bozo(bozo: object) -> str:
    if isinstance(bozo, xml.sax.SAXParseException):
        return f"XML syntax error at line {bozo.getLineNumber()}: {bozo.getMessage()}"
    return f"{type(bozo).__name__}: {bozo}"


def _detail_type(detail: object) -> str:
    if isinstance(detail, dict):
        return _text(detail.get("type")) or "text/plain"
    return "text/plain"


def _from_struct(value: object) -> datetime | None:
    """feedparser's ``*_parsed`` values are UTC ``struct_time``s."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


# ── JSON Feed ─────────────────────────────────────────────────────────────────────────────────


def _parse_json_feed(data: bytes, *, url: str) -> FeedData:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise ParseError(f"not a feed: bad JSON: {error}", key=url) from None
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(version, str):
        raise ParseError('not a feed: JSON without a JSON Feed "version"', key=url)
    if not re.match(r"https?://jsonfeed\.org/version/", version):
        raise ParseError(f"not a feed: JSON Feed version {version!r} is not known", key=url)
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError('JSON Feed without an "items" list', key=url)

    entries: list[FeedEntry] = []
    skipped = 0
    for item in items:
        entry = _entry_from_json(item, url) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    return FeedData(
        url=url,
        format="json1",
        title=_plain(doc.get("title"), "text/plain"),
        link=_usable_link(doc.get("home_page_url"), url),
        entries=tuple(entries),
        warnings=(_skipped_text(skipped),) if skipped else (),
    )


def _entry_from_json(item: dict[str, Any], feed_url: str) -> FeedEntry | None:
    link = _usable_link(item.get("url"), feed_url) or _usable_link(
        item.get("external_url"), feed_url
    )
    if link is None:
        return None
    guid = item.get("id")
    # JSON Feed 1.1 has "authors"; 1.0 had one "author".
    authors = item.get("authors")
    if not isinstance(authors, list):
        authors = [item.get("author")]
    content_html = _text(item.get("content_html"))
    if content_html is None and (content_text := _text(item.get("content_text"))):
        content_html = _text_to_html(content_text)
    return FeedEntry(
        url=link,
        title=_plain(item.get("title"), "text/plain"),
        published_at=_parse_instant(item.get("date_published"))
        or _parse_instant(item.get("date_modified")),
        summary=_plain(item.get("summary"), "text/plain"),
        guid=str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None,
        authors=_unique(
            _plain(a.get("name"), "text/plain") for a in authors if isinstance(a, dict)
        ),
        content_html=content_html,
    )


# ── sitemaps ──────────────────────────────────────────────────────────────────────────────────


def _make_xml_parser(*, recover: bool) -> Any:
    # No DTD, no entity expansion, no network, no huge trees: a sitemap from anywhere cannot
    # make us fetch, read files, or blow up memory (billion laughs, external entities).
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def _parse_sitemap(data: bytes, *, url: str) -> FeedData:
    warnings: list[str] = []
    syntax_error = None
    try:
        root = etree.fromstring(data, parser=_make_xml_parser(recover=False))
    except (etree.LxmlError, ValueError) as error:
        # Read what a forgiving parse can save (a stray "&" in one URL is common); it must then
        # yield something, or the error is the answer.
        syntax_error = _describe_lxml_error(error)
        try:
            root = etree.fromstring(data, parser=_make_xml_parser(recover=True))
        except (etree.LxmlError, ValueError):
            root = None
        if root is None:
            raise ParseError(syntax_error, key=url) from None
        warnings.append(f"{syntax_error} (read past it)")

    kind = _local_name(root.tag)
    if kind == "sitemapindex":
        locs = (_child_text(child, "loc") for child in _children(root, "sitemap"))
        sitemaps = _unique(_usable_link(loc, url) for loc in locs)
        if syntax_error is not None and not sitemaps:
            raise ParseError(syntax_error, key=url)
        return FeedData(url, "sitemapindex", None, None, (), sitemaps, tuple(warnings))
    if kind != "urlset":
        raise ParseError(f"not a sitemap: root element <{kind}>", key=url)

    entries: list[FeedEntry] = []
    skipped = 0
    for node in _children(root, "url"):
        link = _usable_link(_child_text(node, "loc"), url)
        if link is None:
            skipped += 1
            continue
        news = next(_children(node, "news"), None)
        title = published = None
        if news is not None:
            title = _plain(_child_text(news, "title"), "text/plain")
            published = _parse_instant(_child_text(news, "publication_date"))
        entries.append(
            FeedEntry(
                url=link,
                title=title,
                published_at=published or _parse_instant(_child_text(node, "lastmod")),
            )
        )
    if syntax_error is not None and not entries:
        raise ParseError(syntax_error, key=url)
    if skipped:
        warnings.append(_skipped_text(skipped))
    return FeedData(url, "sitemap", None, None, tuple(entries), (), tuple(warnings))


def _describe_lxml_error(error: Exception) -> str:
    if isinstance(error, etree.XMLSyntaxError):
        return f"XML syntax error at line {error.lineno}: {error.msg}"
    return f"XML error: {error}"


def _local_name(tag: object) -> str:
    # Comments, PIs and unexpanded entities have a function, not a string, as their tag.
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _children(node: Any, name: str) -> Iterator[Any]:
    """Child elements by local name, whatever their namespace: many sitemaps get it wrong."""
    return (child for child in node if _local_name(child.tag) == name)


def _child_text(node: Any, name: str) -> str | None:
    child = next(iter(_children(node, name)), None)
    if child is None:
        return None
    return "".join(t for t in child.itertext() if isinstance(t, str)).strip() or None


# ── shared helpers ────────────────────────────────────────────────────────────────────────────


def _usable_link(value: object, base: str) -> str | None:
    """``value`` made absolute against ``base`` when it is a link we may follow: http(s) with a
    host, or ``file:`` when the base is itself local (a remote feed must not point at files)."""
    href = _text(value)
    if href is None:
        return None
    try:
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname:
        return absolute
    if scheme == "file" and _scheme(base) == "file":
        return absolute
    return None


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return ""


def _parse_instant(value: object) -> datetime | None:
    """An ISO 8601 / W3C or RFC 822 date as aware UTC; None when it cannot be read."""
    text = _text(value)
    if text is None:
        return None
    if partial := _PARTIAL_DATE_RE.fullmatch(text):
        # W3C datetime allows "2025" and "2025-06": the first day of that span.
        text = f"{partial.group(1)}-{partial.group(2) or '01'}-01"
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _text(value: object) -> str | None:
    """A non-blank string, stripped; anything else is None."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _plain(value: object, content_type: str) -> str | None:
    """Display text: markup dropped when the value is HTML, whitespace collapsed."""
    text = _text(value)
    if text is None:
        return None
    if content_type in _HTML_TYPES:
        text = html.unescape(_TAG_RE.sub(" ", text))
    return _SPACE_RE.sub(" ", text).strip() or None


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _skipped_text(count: int) -> str:
    noun = "entry" if count == 1 else "entries"
    return f"{count} {noun} without a usable link skipped"
