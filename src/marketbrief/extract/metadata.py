"""Read what a page declares about itself: title candidates, publication date, authors, site.

Open Graph and other ``<meta>`` tags, JSON-LD, ``<time>`` elements, ``<h1>`` and ``<title>``;
then pick the title most of them agree on, cleaned of the site's name. The body text is never
searched for dates ("founded in 2014" is not a publication date); htmldate's quick search of
the markup is the last resort.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import htmldate
from lxml.html import HtmlElement

__all__ = ["PageMeta", "clean_title", "parse_instant", "pick_title", "read_page_meta"]


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a page declares about itself."""

    og_title: str | None = None
    twitter_title: str | None = None
    headline: str | None = None  # JSON-LD headline
    h1: str | None = None
    html_title: str | None = None  # <title>, as is
    site_name: str | None = None
    published_at: datetime | None = None
    authors: tuple[str, ...] = ()
    lang: str | None = None  # <html lang>, primary subtag


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
_AUTHOR_META = frozenset(
    {
        "author",
        "article:author",
        "parsely-author",
        "sailthru.author",
        "dc.creator",
        "dcterms.creator",
        "byl",
    }
)
_ARTICLE_TYPES = re.compile(r"article|posting|report|webpage", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:;|\||,|&|\band\b|\bund\b|\bet\b|\by\b)\s*")
_BY = re.compile(r"^(?:by|von|par|por|di|door)\s+", re.IGNORECASE)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = _SPACES.sub(" ", text).strip()
    return text or None


def element_text(element: HtmlElement) -> str | None:
    """The element's text, whitespace-normalised; ``None`` when empty or unreadable."""
    try:
        return _clean(element.text_content())
    except (ValueError, TypeError):
        return None


def parse_instant(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 date or date-time as aware UTC; naive values are taken as UTC.

    ``None`` for anything unreadable, before 1990, or more than a day after ``now``.
    """
    text = (value or "").strip()
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
    if at.year < 1990 or (now is not None and at > now + timedelta(days=1)):
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


def _names(value: Any) -> list[str]:
    """Person names from a JSON-LD ``author`` or a meta tag's content."""
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if not isinstance(value, str) or "://" in value or "@" in value:
        return []  # a profile URL or an address, not a name
    text = _BY.sub("", _clean(value) or "")
    return [n for n in _NAME_SPLIT.split(text) if n and len(n) <= 80 and not n.isdigit()]


def _is_article(item: dict[str, Any]) -> bool:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds)


def _fallback_date(tree: HtmlElement, now: datetime | None) -> datetime | None:
    """htmldate's quick look at the markup (URL, meta, time elements; no text search)."""
    try:
        found = htmldate.find_date(
            tree,
            extensive_search=False,
            original_date=True,
            max_date=(now or datetime.now(UTC)).strftime("%Y-%m-%d"),
        )
    except (ValueError, TypeError, OverflowError):
        return None
    return parse_instant(found, now=now) if isinstance(found, str) else None


def read_page_meta(tree: HtmlElement, now: datetime | None = None) -> PageMeta:
    """What the page declares: titles, site name, publication date, authors, language.

    ``now`` bounds the dates: a page date more than a day after it is taken as wrong.
    """
    og_title = twitter_title = site_name = None
    published: list[datetime] = []
    meta_authors: list[str] = []
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
        elif key in _AUTHOR_META:
            meta_authors.extend(_names(content))
        elif key in _PUBLISHED_META:
            at = parse_instant(content, now=now)
            if at is not None:
                published.append(at)
    headline = None
    ld_published: list[datetime] = []
    ld_authors: list[str] = []
    for item in _iter_json_ld(tree):
        if not _is_article(item):
            continue
        if headline is None and isinstance(item.get("headline"), str):
            headline = _clean(item["headline"])
        if isinstance(item.get("datePublished"), str):
            at = parse_instant(item["datePublished"], now=now)
            if at is not None:
                ld_published.append(at)
        ld_authors.extend(_names(item.get("author")))
    for time in tree.iterfind(".//time[@datetime]"):
        if time.get("itemprop") == "datePublished" or "pubdate" in time.attrib:
            at = parse_instant(time.get("datetime"), now=now)
            if at is not None:
                published.append(at)
    h1 = None
    for heading in tree.iterfind(".//h1"):
        h1 = element_text(heading)
        if h1:
            break
    title_element = tree.find(".//title")
    html_title = element_text(title_element) if title_element is not None else None
    lang = (
        tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    ).strip()
    # JSON-LD names the article's own date; page-wide metas sometimes carry the site's.
    dates = ld_published or published
    published_at = min(dates) if dates else _fallback_date(tree, now)
    sites = {_norm(s) for s in (site_name,) if s}
    if html_title:
        sites.update(_norm(part) for part in _TITLE_SEPARATOR.split(html_title)[1:])
    authors = tuple(
        dict.fromkeys(a for a in (ld_authors or meta_authors) if _norm(a) and _norm(a) not in sites)
    )
    return PageMeta(
        og_title=og_title,
        twitter_title=twitter_title,
        headline=headline,
        h1=h1,
        html_title=html_title,
        site_name=site_name,
        published_at=published_at,
        authors=authors,
        lang=lang.split("-")[0].lower() if re.fullmatch(r"[A-Za-z]{2,3}(-[\w-]+)?", lang) else None,
    )


# ── titles ────────────────────────────────────────────────────────────────────────────────────

_TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|·|::|»|•|\*)\s+")
# lower-case words a name may hold: "Bank of England", "The Times and Sunday Times"
_NAME_SMALL_WORDS = frozenset(
    ("of", "the", "and", "&", "by", "de", "du", "des", "la", "le", "les", "di", "der", "die")
)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _looks_like_site(part: str, site: str | None) -> bool:
    """A title segment that names the site or its section: "Example Wire", "news.example.com"."""
    if site and _norm(part) == site:
        return True
    words = part.split()
    if not words or len(words) > 5:
        return False
    if re.search(r"\w\.(?:com|net|org|co|io|news|de|fr|uk)\b", part, re.IGNORECASE):
        return True
    return all(
        w.lower() in _NAME_SMALL_WORDS or not w[0].isalpha() or any(c.isupper() for c in w)
        for w in words
    )


def clean_title(title: str, site_name: str | None = None) -> str:
    """A page title without the site's name around it: "Headline | Site" → "Headline".

    Only trailing segments that look like a name (the site's name, a domain, or a few
    capitalised words) go, and at least three words of headline stay: a dash inside a
    headline ("Stocks slide - here's why") is kept.
    """
    parts = _TITLE_SEPARATOR.split(title)
    count = len(parts)
    site = _norm(site_name) if site_name else None
    if site and count > 1 and _norm(parts[0]) == site:
        parts = parts[1:]
    while len(parts) > 1 and _looks_like_site(parts[-1], site):
        if sum(len(p.split()) for p in parts[:-1]) < 3:
            break
        parts = parts[:-1]
    if len(parts) == count:
        return title
    start = title.index(parts[0])
    end = start
    for part in parts:  # rejoin what is left with its own separators
        end = title.index(part, end) + len(part)
    return title[start:end]


def pick_title(meta: PageMeta) -> str | None:
    """The title most of the page's declarations agree on, cleaned of the site's name.

    On a tie: Open Graph, then ``<h1>``, JSON-LD, ``<title>``, Twitter.
    """
    site = meta.site_name
    candidates = [
        clean_title(t, site)
        for t in (meta.og_title, meta.h1, meta.headline, meta.html_title, meta.twitter_title)
        if t and len(t) <= 400
    ]
    if not candidates:
        return None
    # a one-word <h1> is usually the site's logo; keep it only when nothing else is there
    candidates = [c for c in candidates if len(c.split()) >= 2] or candidates
    keys = [_norm(c) for c in candidates]

    def support(i: int) -> int:
        return sum(1 for j, k in enumerate(keys) if j != i and k == keys[i])

    best = max(range(len(candidates)), key=lambda i: (support(i), -i))
    return candidates[best]
