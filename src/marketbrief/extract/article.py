"""Turn one fetched document into an Article: the text without the site's chrome, and metadata.

Pure: bytes in, record out. HTML goes through trafilatura for the main content (comments off),
then through our own chrome filter (``chrome.py``) for the newsletter boxes, calls to action
and headline lists trafilatura lets through. trafilatura runs in its balanced mode, not
``favor_precision``: measured on the development sets (evals/README.md), precision mode loses
more article text than it saves chrome, and the filter removes the chrome it would have
caught. Title, publication date and
site metadata come from the page's own declarations (Open Graph, JSON-LD, ``<time>``), with
trafilatura's metadata as the fallback. Plain text is kept exactly as given.

Every input gives an Article or a ``ParseError``; nothing else escapes.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from marketbrief.errors import ParseError
from marketbrief.extract.chrome import Block, BlockKind, find_chrome
from marketbrief.extract.language import detect_language
from marketbrief.model import Article, ArticleId, FetchedDocument

__all__ = ["decode_html", "extract_article"]

_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml", "text/xml"})

# ── decoding ──────────────────────────────────────────────────────────────────────────────────

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,500}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.\-]+)", re.I)
# WHATWG: these labels mean windows-1252 on the web, and a page cannot declare UTF-16 in itself.
_WEB_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "x-user-defined": "cp1252",
}


def _text_codec(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when it names no text encoding."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _WEB_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # codecs.lookup also knows transforms (rot13, base64, zlib) that are not text encodings
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _strip_bom(content: bytes) -> tuple[bytes, str | None]:
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :], codec
    return content, None


def decode_html(content: bytes, charset: str | None = None) -> str:
    """Bytes of a web page as text: BOM, then the HTTP charset, then ``<meta charset>``, then
    UTF-8, then windows-1252. Never fails; undecodable bytes become U+FFFD.

    A page labelled with a single-byte Western charset that is in fact valid UTF-8 is read as
    UTF-8: servers often send a stale default label.
    """
    body, bom_codec = _strip_bom(content)
    if bom_codec:
        return body.decode(bom_codec, "replace")
    declared = _text_codec(charset)
    if declared is None:
        match = _META_CHARSET.search(body[:4096]) or _META_CHARSET.search(body[:65536])
        declared = _text_codec(match.group(1).decode("ascii")) if match else None
    if declared in (None, "utf-8", "cp1252", "iso8859-15"):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return body.decode(declared or "cp1252", "replace")


def _decode_plain(content: bytes, charset: str | None) -> str:
    body, bom_codec = _strip_bom(content)
    if bom_codec:
        return body.decode(bom_codec, "replace")
    declared = _text_codec(charset)
    if declared and declared != "utf-8":
        return body.decode(declared, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


# ── page metadata ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class _PageMeta:
    """What the page declares about itself, read before extraction."""

    og_title: str | None
    twitter_title: str | None
    headline: str | None  # JSON-LD headline
    h1: str | None
    html_title: str | None
    site_name: str | None
    published_at: datetime | None
    lang: str | None  # <html lang>, primary subtag


_SPACES = re.compile(r"\s+")
_PUBLISHED_META = frozenset(
    {
        "article:published_time",
        "og:article:published_time",
        "og:published_time",
        "datepublished",
        "pubdate",
        "publishdate",
        "publish-date",
        "publish_date",
        "publication_date",
        "parsely-pub-date",
        "sailthru.date",
        "dc.date.issued",
        "dcterms.issued",
        "dc.date",
        "dcterms.date",
        "date",
        "article.published",
        "article_date_original",
        "original-publish-date",
    }
)
_ARTICLE_TYPES = re.compile(r"article|posting|report|newsarticle|webpage", re.I)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = _SPACES.sub(" ", text).strip()
    return text or None


def _element_text(element: HtmlElement) -> str | None:
    try:
        return _clean(element.text_content())
    except (ValueError, TypeError):
        return None


def parse_instant(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 date or date-time as aware UTC; naive values are taken as UTC.

    ``None`` for anything unreadable, before 1990, or more than a day after ``now``.
    """
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > 10 and text[10] == " ":
        text = text[:10] + "T" + text[11:]
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # fromisoformat takes at most microseconds
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if at.year < 1990:
        return None
    if now is not None and at > now + timedelta(days=1):
        return None
    return at


def _iter_json_ld(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, nested ones included."""
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        raw = script.text or ""
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                yield item
                stack.extend(v for v in item.values() if isinstance(v, dict | list))
            elif isinstance(item, list):
                stack.extend(item)


def _read_page_meta(tree: HtmlElement, now: datetime | None) -> _PageMeta:
    og_title = twitter_title = site_name = None
    published: list[datetime] = []
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = meta.get("content")
        if not key or content is None:
            continue
        if key == "og:title" and og_title is None:
            og_title = _clean(content)
        elif key == "twitter:title" and twitter_title is None:
            twitter_title = _clean(content)
        elif key == "og:site_name" and site_name is None:
            site_name = _clean(content)
        elif key in _PUBLISHED_META:
            at = parse_instant(content, now=now)
            if at is not None:
                published.append(at)
    headline = None
    ld_published: list[datetime] = []
    for item in _iter_json_ld(tree):
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds):
            continue
        if headline is None and isinstance(item.get("headline"), str):
            headline = _clean(item["headline"])
        if isinstance(item.get("datePublished"), str):
            at = parse_instant(item["datePublished"], now=now)
            if at is not None:
                ld_published.append(at)
    for time in tree.iterfind(".//time[@datetime]"):
        if time.get("itemprop") == "datePublished" or "pubdate" in time.attrib:
            at = parse_instant(time.get("datetime"), now=now)
            if at is not None:
                published.append(at)
    h1 = None
    for heading in tree.iterfind(".//h1"):
        h1 = _element_text(heading)
        if h1:
            break
    title_element = tree.find(".//title")
    html_title = _element_text(title_element) if title_element is not None else None
    lang = (
        tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    ).strip()
    # JSON-LD names the article's own date; page-wide metas sometimes carry the site's
    candidates = ld_published or published
    return _PageMeta(
        og_title=og_title,
        twitter_title=twitter_title,
        headline=headline,
        h1=h1,
        html_title=html_title,
        site_name=site_name,
        published_at=min(candidates) if candidates else None,
        lang=lang.split("-")[0].lower() if re.fullmatch(r"[A-Za-z]{2,3}(-[\w-]+)?", lang) else None,
    )


# ── titles ────────────────────────────────────────────────────────────────────────────────────

_TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|·|::|»|•)\s+")


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def clean_title(title: str, site_name: str | None = None) -> str:
    """A page title without the site's name around it: "Headline | Site" → "Headline"."""
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) == 1:
        return title
    site = _norm(site_name) if site_name else None
    if site:
        kept = [p for p in parts if _norm(p) != site]
        if kept and len(kept) < len(parts):
            return " - ".join(kept) if len(kept) > 1 else kept[0]
    # The headline is the longest part; the rest is site name, section or slogan.
    longest = max(parts, key=len)
    if len(longest.split()) >= 3:
        return longest
    return title


def _pick_title(meta: _PageMeta, extracted: str | None) -> str | None:
    """The title most sources agree on; Open Graph first, then h1, JSON-LD, ``<title>``."""
    site = meta.site_name
    candidates = [
        clean_title(t, site)
        for t in (meta.og_title, meta.h1, meta.headline, meta.html_title, meta.twitter_title)
        if t and len(t) <= 400
    ]
    if extracted:
        candidates.append(clean_title(extracted, site))
    candidates = [c for c in candidates if len(c.split()) >= 2 or c == extracted]
    if not candidates:
        return extracted
    keys = [_norm(c) for c in candidates]

    def support(i: int) -> int:
        return sum(1 for j, k in enumerate(keys) if j != i and k == keys[i])

    best = max(range(len(candidates)), key=lambda i: (support(i), -i))
    return candidates[best]


# ── the article ───────────────────────────────────────────────────────────────────────────────

_BLOCK_KINDS = {
    "head": BlockKind.HEADING,
    "p": BlockKind.PARAGRAPH,
    "item": BlockKind.ITEM,
    "quote": BlockKind.QUOTE,
    "table": BlockKind.TABLE,
    "code": BlockKind.CODE,
}


def _is_html(doc: FetchedDocument) -> bool:
    media = doc.content_type.split(";")[0].strip().lower()
    if media in _TEXT_TYPES:
        return False
    if media in _HTML_TYPES:
        return True
    # Unknown or missing type: sniff for markup near the start.
    head = doc.content[:1024].lstrip().lower()
    return head.startswith(b"<") or b"<html" in head or b"<body" in head


def _charset(doc: FetchedDocument) -> str | None:
    if doc.charset:
        return doc.charset
    match = _CONTENT_TYPE_CHARSET.search(doc.content_type)
    return match.group(1) if match else None


def _article_id(doc: FetchedDocument, text: str) -> ArticleId:
    if doc.id:
        return ArticleId(doc.id)
    basis = f"url:{doc.url}" if doc.url else f"text:{text}"
    return ArticleId(hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:20])


def _anchor_texts(tree: HtmlElement) -> frozenset[str]:
    """The text of every link to another page, to tell a headline list from prose.

    Links within the page (``#section``) are a table of contents, which is the article's own.
    """
    return link_texts(
        (anchor.get("href") or "", _element_text(anchor)) for anchor in tree.iterfind(".//a")
    )


def link_texts(links: Iterable[tuple[str, str | None]]) -> frozenset[str]:
    """The texts of ``(href, text)`` links that lead off the page."""
    return frozenset(
        text for href, text in links if text and not href.strip().startswith(("#", "javascript:"))
    )


def _blocks(body: etree._Element, anchors: frozenset[str]) -> list[tuple[etree._Element, Block]]:
    """The body's blocks in order; a list's items are blocks of their own."""
    out: list[tuple[etree._Element, Block]] = []
    for child in body:
        members = list(child) if child.tag == "list" else [child]
        for element in members:
            text = _SPACES.sub(" ", "".join(element.itertext())).strip()
            if not text:
                continue
            kind = _BLOCK_KINDS.get(str(element.tag), BlockKind.OTHER)
            out.append((element, Block(kind, text, linked=text in anchors)))
    return out


def _remove(element: etree._Element) -> None:
    """Remove an element from its tree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
    if parent.tag == "list" and len(parent) == 0 and parent.getparent() is not None:
        _remove(parent)


def _tidy(text: str) -> str:
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _authors(byline: str | None, meta: _PageMeta, site_name: str | None) -> tuple[str, ...]:
    """The page's authors, without the site's own name (bylines often credit the site)."""
    sites = {_norm(s) for s in (meta.site_name, site_name) if s}
    if meta.html_title:
        sites.update(_norm(part) for part in _TITLE_SEPARATOR.split(meta.html_title)[1:])
    names = (name.strip() for name in (byline or "").split(";"))
    return tuple(dict.fromkeys(n for n in names if n and _norm(n) not in sites))


def _extract_html(doc: FetchedDocument, first_seen_at: datetime | None) -> Article:
    key = doc.url or doc.id or "document"
    html = decode_html(doc.content, _charset(doc))
    if not html.strip():
        raise ParseError("no article text found in the page", key=key)
    try:
        tree = load_html(html)
        if tree is None:
            raise ParseError("no article text found in the page", key=key)
        meta = _read_page_meta(tree, doc.fetched_at)
        anchors = _anchor_texts(tree)
        result = trafilatura.bare_extraction(
            tree,
            url=doc.final_url or doc.url or None,
            include_comments=False,
            with_metadata=True,
        )
    except ParseError:
        raise
    except Exception as exc:  # a third-party parser on arbitrary bytes: any failure is bad input
        raise ParseError(f"the page could not be parsed: {exc}", key=key) from exc
    if not isinstance(result, Document) or result.body is None:
        raise ParseError("no article text found in the page", key=key)
    extracted_title = _clean(result.title)
    title = _pick_title(meta, extracted_title)
    body = result.body
    blocks = _blocks(body, anchors)
    for index in sorted(find_chrome([b for _, b in blocks], title=title), reverse=True):
        _remove(blocks[index][0])
    text = _tidy(xmltotxt(body, False))
    if not text:
        raise ParseError("no article text found in the page", key=key)
    page_published_at = meta.published_at
    if page_published_at is None and result.date:
        page_published_at = parse_instant(result.date, now=doc.fetched_at)
    feed_published_at = doc.entry.published_at if doc.entry else None
    authors = _authors(result.author, meta, result.sitename)
    return Article(
        id=_article_id(doc, text),
        url=doc.url or None,
        title=title or (doc.entry.title if doc.entry else None),
        text=text,
        language=detect_language(text) or meta.lang,
        published_at=page_published_at or feed_published_at,
        page_published_at=page_published_at,
        feed_published_at=feed_published_at,
        first_seen_at=first_seen_at,
        authors=authors,
        source=doc.source_name,
        source_id=doc.source_id,
        raw_html=doc.content,
    )


def _extract_plain(doc: FetchedDocument, first_seen_at: datetime | None) -> Article:
    text = _decode_plain(doc.content, _charset(doc))
    if not text.strip():
        raise ParseError("the text is empty", key=doc.url or doc.id or "document")
    feed_published_at = doc.entry.published_at if doc.entry else None
    return Article(
        id=_article_id(doc, text),
        url=doc.url or None,
        title=doc.entry.title if doc.entry else None,
        text=text,
        language=detect_language(text),
        published_at=feed_published_at,
        feed_published_at=feed_published_at,
        first_seen_at=first_seen_at,
        authors=doc.entry.authors if doc.entry else (),
        source=doc.source_name,
        source_id=doc.source_id,
    )


def extract_article(doc: FetchedDocument, *, first_seen_at: datetime | None = None) -> Article:
    """The article in a fetched document.

    HTML: the main text without the site's chrome (one paragraph per line), the title, the
    page's publication date (``published_at`` falls back to the feed's), authors and language.
    Plain text (``text/plain``, ``text/markdown``): the text exactly as decoded, the title and
    date from the feed entry if any. The id is ``doc.id``, else a hash of ``doc.url``, else of
    the text.

    Raises ``ParseError`` (key: the URL) when no article text can be found.
    """
    if _is_html(doc):
        return _extract_html(doc, first_seen_at)
    return _extract_plain(doc, first_seen_at)
