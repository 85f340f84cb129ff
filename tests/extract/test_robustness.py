"""Any bytes in: an Article or a ParseError, never another exception."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketbrief.errors import ParseError
from marketbrief.extract import decode_html, extract_article
from marketbrief.model import FetchedDocument

FETCHED_AT = datetime(2025, 6, 26, tzinfo=UTC)

# Markup fragments to build hostile pages from: unclosed and misnested tags, entities, scripts,
# JSON-LD, metas, encodings declared wrongly.
FRAGMENTS = [
    "<html>",
    "</html>",
    "<head>",
    "<body>",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<article>",
    "<h1>",
    "</h1>",
    "<ul><li>",
    "</li>",
    "<a href='/x'>",
    "</a>",
    "<table><tr><td>",
    "<br>",
    "<script>var x = '<p>';</script>",
    "<style>p{}</style>",
    "<!-- c -->",
    "<![CDATA[ x ]]>",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&nosuch;",
    "\x00",
    "\ufeff",
    "\ud800",
    '<meta charset="utf-16">',
    '<meta charset="rot13">',
    '<meta charset="x">',
    '<meta property="og:title" content="">',
    '<meta property="article:published_time" content="9999-99-99">',
    '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":[1,{}],'
    '"author":{"name":7}}</script>',
    '<script type="application/ld+json">[[[[[[[[[[</script>',
    "<?xml version='1.0' encoding='latin-1'?>",
    "<time datetime='2025-13-45' pubdate>",
    "Sign up for our newsletter",
    "Comments",
    "Oil prices fell on Wednesday as inventories grew more than analysts had expected. ",
]

documents = st.builds(
    lambda content, ctype, charset: FetchedDocument(
        url="https://news.example.com/a",
        final_url="https://news.example.com/a",
        content=content,
        content_type=ctype,
        fetched_at=FETCHED_AT,
        charset=charset,
    ),
    st.one_of(
        st.binary(max_size=2000),
        st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=40), max_size=60).map(
            lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
        ),
    ),
    st.sampled_from(
        ["text/html", "text/plain", "", "application/xhtml+xml", "text/html; charset=x"]
    ),
    st.none() | st.sampled_from(["utf-8", "latin-1", "utf-16", "bogus", "rot13", "shift_jis"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_gives_an_article_or_a_parse_error(doc: FetchedDocument) -> None:
    try:
        article = extract_article(doc)
    except ParseError as exc:
        failed_on = exc.key
    else:
        failed_on = None
    if failed_on is not None:
        assert failed_on == doc.url
        return
    assert article.text.strip()
    assert article.published_at is None or article.published_at.tzinfo is not None
    if doc.content_type in ("text/html", "application/xhtml+xml"):
        assert article.raw_html == doc.content


@given(st.binary(max_size=3000), st.none() | st.text(max_size=20))
def test_decode_html_never_fails(content: bytes, charset: str | None) -> None:
    assert isinstance(decode_html(content, charset), str)
