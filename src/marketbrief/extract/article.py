"""Turn one fetched document into an Article: the text without the site's chrome, and metadata.

Pure: bytes in, record out. HTML is decoded (BOM, HTTP charset, ``<meta charset>``, UTF-8,
windows-1252), parsed once, and read twice: ``metadata.py`` takes the page's own declarations
(title, date, authors), trafilatura the main content (comments off), which then goes through
our chrome filter (``chrome.py``) for the newsletter boxes, calls to action and headline lists
trafilatura lets through.

trafilatura runs in its balanced mode, not ``favor_precision``: measured on the development
sets (evals/README.md), precision mode loses more article text than it saves chrome, and the
filter removes the chrome it would have caught. Its own metadata pass is skipped (it costs a
third of the time and ``metadata.py`` reads the same declarations).

Plain text is kept exactly as given. Every input gives an Article or a ``ParseError``; nothing
else escapes.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from marketbrief.errors import ParseError
from marketbrief.extract.chrome import Block, BlockKind, find_chrome
from marketbrief.extract.language import detect_language
from marketbrief.extract.metadata import pick_title, read_page_meta
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
_LABEL = re.compile(r"[a-z0-9_:.\-]{1,40}")
_CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.\-]+)", re.I)
# WHATWG: these labels mean windows-1252 on the web.
_WEB_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "x-user-defined": "cp1252",
}
# A page that could read its own <meta> as ASCII is not UTF-16, whatever the tag says.
_META_ALIASES = {"utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8"}


def _text_codec(label: str | None, *, in_page: bool = False) -> str | None:
    """The Python codec for a charset label, or None when it names no text encoding.

    ``in_page``: the label comes from the page's own ``<meta>``.
    """
    label = (label or "").strip().strip("\"'").lower()
    if not _LABEL.fullmatch(label):
        return None
    label = _WEB_ALIASES.get(label, label)
    if in_page:
        label = _META_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # codecs.lookup also knows transforms (rot13, base64, zlib) that are not text encodings
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode(body: bytes, codec: str) -> str:
    try:
        return body.decode(codec, "replace")
    except (UnicodeError, LookupError, ValueError, TypeError):
        # Python codecs that are no web encoding ("undefined", "idna") refuse some bytes
        return body.decode("cp1252", "replace")


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
        match = _META_CHARSET.search(body[:32768])
        declared = _text_codec(match.group(1).decode("ascii"), in_page=True) if match else None
    if declared in (None, "utf-8", "cp1252", "iso8859-15"):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return _decode(body, declared or "cp1252")


def _decode_plain(content: bytes, charset: str | None) -> str:
    body, bom_codec = _strip_bom(content)
    if bom_codec:
        return body.decode(bom_codec, "replace")
    declared = _text_codec(charset)
    if declared and declared != "utf-8":
        return _decode(body, declared)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


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


def article_url(doc: FetchedDocument) -> str | None:
    """Where the article lives: the feed entry's or input record's link, else the fetched URL.

    A local input's own key (``file:…`` path, ``#record``, ``stdin``) is not an address: an
    article read from a file without a link has no URL.
    """
    if doc.entry is not None and doc.entry.url:
        return doc.entry.url
    return doc.url if doc.url.startswith(("http://", "https://")) else None


def _article_id(doc: FetchedDocument, text: str) -> ArticleId:
    """The input's id, else a hash of the article's URL, else of its text (the contract)."""
    if doc.id:
        return ArticleId(doc.id)
    url = article_url(doc)
    basis = f"url:{url}" if url else f"text:{text}"
    return ArticleId(hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:20])


_HEADLINE_MAX = 200


def headline_of(text: str) -> str | None:
    """The first line of a plain text when it reads as a headline, else None.

    A headline: one line of 3 to 30 words, at most 200 characters, not ending like a sentence
    (. , ; : …), followed by more text. The text itself is never changed.
    """
    first, newline, rest = text.lstrip().partition("\n")
    line = first.strip()
    if not newline or not rest.strip() or len(line) > _HEADLINE_MAX:
        return None
    if not 3 <= len(line.split()) <= 30 or line[-1] in ".,;:…":
        return None
    return line


def _anchor_texts(tree: HtmlElement) -> frozenset[str]:
    """The text of every link to another page, to tell a headline list from prose.

    Links within the page (``#section``) are a table of contents, which is the article's own.
    """
    return link_texts((a.get("href") or "", a.text_content()) for a in tree.iterfind(".//a"))


def link_texts(links: Iterable[tuple[str, str | None]]) -> frozenset[str]:
    """The whitespace-normalised texts of ``(href, text)`` links that lead off the page."""
    texts = set()
    for href, text in links:
        if text and not href.lstrip().startswith(("#", "javascript:")):
            texts.add(" ".join(text.split()))
    texts.discard("")
    return frozenset(texts)


def _has_loose_text(element: etree._Element) -> bool:
    """Text directly in the element (or after its children), not inside a child block."""
    if element.text and element.text.strip():
        return True
    return any(child.tail and child.tail.strip() for child in element)


def _blocks(root: etree._Element, anchors: frozenset[str]) -> list[tuple[etree._Element, Block]]:
    """The extracted tree's blocks in reading order; a list's items are blocks of their own.

    trafilatura's tree is mostly a flat run of ``p``, ``head``, ``list``, ``quote``, ``table``
    under the root, but may nest them in containers or hold loose text: a container with loose
    text is one block.
    """
    out: list[tuple[etree._Element, Block]] = []
    stack = [root]
    while stack:
        element = stack.pop()
        tag = str(element.tag)
        kind = _BLOCK_KINDS.get(tag)
        if kind is None and len(element) and not _has_loose_text(element):
            stack.extend(reversed(list(element)))  # a container: its children, in order
            continue
        text = " ".join("".join(element.itertext()).split())
        if text:
            out.append((element, Block(kind or BlockKind.OTHER, text, linked=text in anchors)))
    return out


def _remove(element: etree._Element) -> None:
    """Remove an element from its tree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:  # the whole extraction is chrome
        element.clear()
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
    if len(parent) == 0 and not _has_loose_text(parent):
        _remove(parent)  # a list or container left empty


def _tidy(text: str) -> str:
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _extract_html(doc: FetchedDocument, first_seen_at: datetime | None) -> Article:
    key = doc.url or doc.id or "document"
    html = decode_html(doc.content, _charset(doc))
    if not html.strip():
        raise ParseError("no article text found in the page", key=key)
    try:
        tree = load_html(html)
        if tree is None:
            raise ParseError("no article text found in the page", key=key)
        meta = read_page_meta(tree, doc.fetched_at)
        anchors = _anchor_texts(tree)
        result = trafilatura.bare_extraction(
            tree, url=doc.final_url or doc.url or None, include_comments=False
        )
    except ParseError:
        raise
    except Exception as exc:  # a third-party parser on arbitrary bytes: any failure is bad input
        raise ParseError(f"the page could not be parsed: {exc}", key=key) from exc
    if not isinstance(result, Document) or result.body is None:
        raise ParseError("no article text found in the page", key=key)
    title = pick_title(meta)
    blocks = _blocks(result.body, anchors)
    for index in sorted(find_chrome([b for _, b in blocks], title=title), reverse=True):
        _remove(blocks[index][0])
    text = _tidy(xmltotxt(result.body, False))
    if not text:
        raise ParseError("no article text found in the page", key=key)
    feed_published_at = doc.entry.published_at if doc.entry else None
    return Article(
        id=_article_id(doc, text),
        url=article_url(doc),
        title=title or (doc.entry.title if doc.entry else None),
        text=text,
        language=detect_language(text) or meta.lang,
        published_at=meta.published_at or feed_published_at,
        page_published_at=meta.published_at,
        feed_published_at=feed_published_at,
        first_seen_at=first_seen_at,
        authors=meta.authors or (doc.entry.authors if doc.entry else ()),
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
        url=article_url(doc),
        title=(doc.entry.title if doc.entry else None) or headline_of(text),
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
