"""extract_article: HTML and text in, Article out, chrome left behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from marketbrief.errors import ParseError
from marketbrief.extract import decode_html, extract_article
from marketbrief.model import FeedEntry, FetchedDocument, SourceId

FETCHED_AT = datetime(2025, 6, 26, 9, 30, tzinfo=UTC)

# Sample article written for these tests, not real news.
PARAGRAPHS = (
    "Northwind Robotics said on Tuesday it would buy Harbor Sensors for 2.1 billion dollars in "
    "cash, adding lidar units to the warehouse machines it sells to retailers and parcel firms.",
    "The deal is expected to close in the fourth quarter, subject to regulatory approval, the "
    "company said. Northwind will pay for it with cash on hand and a new term loan from its banks.",
    "Harbor Sensors, founded in 2014, makes short-range lidar for forklifts and delivery robots. "
    "Its revenue grew by a third last year, to 310 million dollars, on orders from shippers.",
    "Analysts said the price was steep but that owning the sensors would protect Northwind's "
    "margins as rivals race to automate warehouses. Shares of Northwind rose four percent.",
)
TITLE = "Northwind Robotics to Buy Harbor Sensors for $2.1 Billion"


def page(
    *,
    head: str = "",
    body_extra: str = "",
    title_suffix: str = " | Example Wire",
    paragraphs: tuple[str, ...] = PARAGRAPHS,
) -> str:
    """A typical news page around the sample article: nav, article, newsletter box, lists."""
    ps = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{TITLE}{title_suffix}</title>{head}</head>
<body>
<header><nav><a href="/">Home</a> <a href="/markets">Markets</a></nav></header>
<main><article>
<h1>{TITLE}</h1>
<div class="byline">By Jane Roe</div>
{ps}
</article>
{body_extra}
</main>
<footer>Example Wire. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"""


CHROME = """
<aside class="newsletter">
  <h3>Never miss a market move</h3>
  <p>Get our morning briefing delivered to your inbox before the opening bell.</p>
  <form><input type="email" placeholder="Email address"><button>Sign up</button></form>
</aside>
<section class="related">
  <h2>Related Stories</h2>
  <ul>
    <li><a href="/a/1">Warehouse robot makers draw record venture funding this spring</a></li>
    <li><a href="/a/2">Parcel carriers test driverless forklifts at three hubs</a></li>
    <li><a href="/a/3">Lidar prices fall as carmakers scale back sensor orders</a></li>
  </ul>
</section>
<section class="comments"><h2>Comments</h2><p>No comments yet</p>
<p>Be the first to share your thoughts. Log in to leave a comment.</p></section>
"""


def html_doc(
    markup: str | bytes,
    *,
    url: str = "https://news.example.com/markets/northwind-harbor",
    charset: str | None = None,
    entry: FeedEntry | None = None,
    doc_id: str | None = None,
    content_type: str = "text/html",
) -> FetchedDocument:
    content = markup.encode("utf-8") if isinstance(markup, str) else markup
    return FetchedDocument(
        url=url,
        final_url=url,
        content=content,
        content_type=content_type,
        fetched_at=FETCHED_AT,
        charset=charset,
        entry=entry,
        id=doc_id,
        source_id=SourceId(7),
        source_name="Example Wire",
    )


# ── the reference page ────────────────────────────────────────────────────────────────────────


@pytest.mark.shared
def test_seed_article_keeps_the_nine_paragraphs_and_drops_the_chrome(shared: Path) -> None:
    fixtures = shared / "fixtures"
    raw = (fixtures / "seed-article.html").read_bytes()
    expected = (fixtures / "seed-article.txt").read_text(encoding="utf-8").split("\n")[1:10]
    article = extract_article(
        html_doc(
            raw,
            url="https://news.example.com/markets/ukraine-seeks-more-us-air-defense-systems"
            "-amid-nato-summit",
        )
    )
    assert article.text.split("\n") == expected
    for chrome in ("Stay ahead", "Latest Articles", "Comments", "No comments yet", "Subscribe"):
        assert chrome not in article.text
    assert article.title == "Ukraine Seeks More U.S. Air Defense Systems Amid NATO Summit"
    assert article.page_published_at == datetime(2025, 6, 25, 8, 12, tzinfo=UTC)
    assert article.language == "en"
    assert article.raw_html == raw
    # the byline credits the site itself ("Market News"), which is no author
    assert "Market News" not in article.authors


# ── HTML ──────────────────────────────────────────────────────────────────────────────────────


def test_html_text_is_the_paragraphs_one_per_line_without_chrome() -> None:
    article = extract_article(html_doc(page(body_extra=CHROME)))
    assert article.text == "\n".join(PARAGRAPHS)
    assert article.title == TITLE
    assert article.url == "https://news.example.com/markets/northwind-harbor"
    assert article.source == "Example Wire"
    assert article.source_id == SourceId(7)
    assert article.language == "en"


def test_title_prefers_what_the_sources_agree_on() -> None:
    head = '<meta property="og:title" content="Northwind agrees Harbor deal">'
    # og:title stands alone, h1 and the cleaned <title> agree: they win
    article = extract_article(html_doc(page(head=head, title_suffix=" - Example Wire")))
    assert article.title == TITLE


def test_title_from_og_title_when_the_page_has_no_other() -> None:
    markup = (
        '<html><head><meta property="og:title" content="Harbor Sensors weighs sale | Wire">'
        "</head><body><article>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</article></body></html>"
    )
    article = extract_article(html_doc(markup))
    assert article.title == "Harbor Sensors weighs sale"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="article:published_time" content="2025-06-24T14:05:00-04:00">',
            datetime(2025, 6, 24, 18, 5, tzinfo=UTC),
        ),
        (
            '<script type="application/ld+json">'
            + json.dumps(
                {
                    "@context": "https://schema.org",
                    "@graph": [
                        {"@type": "WebSite", "name": "Example Wire"},
                        {
                            "@type": "NewsArticle",
                            "headline": TITLE,
                            "datePublished": "2025-06-23T07:00:00Z",
                        },
                    ],
                }
            )
            + "</script>",
            datetime(2025, 6, 23, 7, 0, tzinfo=UTC),
        ),
        (
            '<meta name="date" content="2025-06-22">',
            datetime(2025, 6, 22, tzinfo=UTC),
        ),
    ],
)
def test_page_publication_date_is_aware_utc(head: str, expected: datetime) -> None:
    entry = FeedEntry(url="x", published_at=datetime(2025, 6, 20, tzinfo=UTC))
    article = extract_article(html_doc(page(head=head), entry=entry))
    assert article.page_published_at == expected
    assert article.published_at == expected
    assert article.feed_published_at == datetime(2025, 6, 20, tzinfo=UTC)


def test_page_date_after_the_fetch_is_ignored_and_the_feed_date_used() -> None:
    head = '<meta property="article:published_time" content="2031-01-01T00:00:00Z">'
    feed_at = datetime(2025, 6, 24, 12, tzinfo=UTC)
    article = extract_article(html_doc(page(head=head), entry=FeedEntry("x", published_at=feed_at)))
    assert article.page_published_at is None
    assert article.published_at == feed_at


def test_first_seen_at_and_id() -> None:
    seen = datetime(2025, 6, 26, 9, 0, tzinfo=UTC)
    given = extract_article(html_doc(page(), doc_id="rec-1"), first_seen_at=seen)
    assert given.id == "rec-1"
    assert given.first_seen_at == seen
    by_url = extract_article(html_doc(page()))
    again = extract_article(html_doc(page(body_extra=CHROME)))
    other = extract_article(html_doc(page(), url="https://news.example.com/other"))
    assert by_url.id == again.id != other.id
    no_url = extract_article(html_doc(page(), url=""))
    assert no_url.url is None
    assert no_url.id not in (by_url.id, other.id)


def test_authors_from_the_page() -> None:
    head = '<meta name="author" content="Jane Roe; Sam Poe">'
    article = extract_article(html_doc(page(head=head)))
    assert article.authors == ("Jane Roe", "Sam Poe")


@pytest.mark.parametrize(
    "markup",
    [
        "",
        "   \n  ",
        "<html><head><title>Nothing here</title></head><body></body></html>",
        "<html><body><nav><a href='/'>Home</a></nav></body></html>",
    ],
)
def test_pages_without_article_text_are_a_parse_error(markup: str) -> None:
    with pytest.raises(ParseError, match="no article text") as caught:
        extract_article(html_doc(markup, url="https://news.example.com/empty"))
    assert caught.value.key == "https://news.example.com/empty"


# ── decoding ──────────────────────────────────────────────────────────────────────────────────

WORD = "Zürich café déjà vu – “quoted”"


def test_decode_html_bom_http_charset_meta_and_fallbacks() -> None:
    assert decode_html(b"\xef\xbb\xbf<p>" + WORD.encode() + b"</p>") == f"<p>{WORD}</p>"
    assert decode_html("<p>é</p>".encode("utf-16")) == "<p>é</p>"
    # the HTTP charset beats the page's own declaration
    latin = f'<meta charset="utf-8"><p>{WORD}</p>'.encode("cp1252")
    assert decode_html(latin, "windows-1252") == f'<meta charset="utf-8"><p>{WORD}</p>'
    # <meta charset> when HTTP says nothing
    koi = '<meta charset="koi8-r"><p>Привет</p>'.encode("koi8-r")
    assert decode_html(koi) == '<meta charset="koi8-r"><p>Привет</p>'
    # no declaration: UTF-8 if it is, else windows-1252
    assert decode_html(WORD.encode()) == WORD
    assert decode_html(WORD.encode("cp1252")) == WORD
    # a stale Latin-1 label on a page that is valid UTF-8
    assert decode_html(WORD.encode(), "iso-8859-1") == WORD
    # a page's own <meta> cannot say UTF-16 (it was read as ASCII); the HTTP header can
    assert (
        decode_html('<meta charset="utf-16"><p>é</p>'.encode()) == '<meta charset="utf-16"><p>é</p>'
    )
    assert decode_html("<p>é</p>".encode("utf-16-le"), "utf-16le") == "<p>é</p>"
    # labels that are no text encoding are ignored
    assert decode_html(WORD.encode(), "rot13") == WORD
    assert decode_html(b'<meta charset="base64"><p>ok</p>') == '<meta charset="base64"><p>ok</p>'


def test_http_charset_from_the_content_type() -> None:
    markup = page().replace("Northwind", "Nörthwind").encode("cp1252")
    doc = html_doc(markup, content_type="text/html; charset=windows-1252")
    assert "Nörthwind Robotics" in extract_article(doc).text


# ── plain text ────────────────────────────────────────────────────────────────────────────────


def test_plain_text_is_kept_exactly() -> None:
    text = "  First line.\r\n\r\nSecond   line with <b>no</b> markup.\n\n\n"
    entry = FeedEntry(url="x", title="A title", published_at=datetime(2025, 6, 24, tzinfo=UTC))
    doc = html_doc(text.encode(), content_type="text/plain", entry=entry, doc_id="t1")
    article = extract_article(doc)
    assert article.text == text
    assert article.title == "A title"
    assert article.published_at == datetime(2025, 6, 24, tzinfo=UTC)
    assert article.raw_html is None
    assert article.id == "t1"


def test_plain_text_bom_is_stripped_and_title_not_invented() -> None:
    doc = html_doc(b"\xef\xbb\xbf" + WORD.encode(), content_type="text/plain")
    article = extract_article(doc)
    assert article.text == WORD
    assert article.title is None
    assert article.published_at is None


def test_empty_plain_text_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        extract_article(html_doc(b" \n", content_type="text/plain"))


def test_unknown_content_type_is_sniffed() -> None:
    as_html = extract_article(html_doc(page(), content_type="application/octet-stream"))
    assert as_html.text == "\n".join(PARAGRAPHS)
    as_text = extract_article(html_doc(b"Just words.", content_type=""))
    assert as_text.text == "Just words."
