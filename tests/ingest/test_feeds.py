"""parse_feed: RSS, Atom, JSON Feed and sitemaps from sample files, broken and hostile input,
and every real-world feed in ../shared/eval/feeds/real-feeds."""

from __future__ import annotations

import csv
import gzip
import html
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketbrief.errors import ParseError
from marketbrief.ingest.feeds import parse_feed, sniff_feed, sniff_root
from marketbrief.model import FeedData

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
REAL_FEEDS = SHARED / "eval" / "feeds" / "real-feeds"
NEWS = "https://news.example.com/feeds/markets.xml"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse_or_error(content: bytes, url: str) -> FeedData | ParseError:
    try:
        return parse_feed(content, url=url)
    except ParseError as error:
        return error


# ── RSS ───────────────────────────────────────────────────────────────────────────────────────


def test_rss_entries_are_absolute_dated_and_described() -> None:
    feed = parse_feed(sample("sample-rss.xml"), url=NEWS, content_type="application/rss+xml")

    assert feed.format == "rss20"
    assert feed.title == "Example Markets Wire"
    assert feed.link == "https://news.example.com/markets/"
    first = feed.entries[0]
    assert first.url == "https://news.example.com/markets/example-corp-guidance.html"
    assert first.title == "Example Corp raises full-year guidance"
    # 16:30 at -04:00 is 20:30 UTC
    assert first.published_at == datetime(2025, 6, 24, 20, 30, tzinfo=UTC)
    assert first.guid == "ex-2025-0001"
    assert first.authors == ("Jane Sample",)
    assert first.summary == "Example Corp & partners lifted their outlook."
    assert first.content_html is not None
    assert "Example Corp (NYSE: EXC) raised its outlook" in first.content_html
    # links inside content are made absolute too
    assert 'href="https://news.example.com/feeds/details.html"' in first.content_html


def test_rss_unreadable_date_is_none_not_a_crash() -> None:
    feed = parse_feed(sample("sample-rss.xml"), url=NEWS)

    second = feed.entries[1]
    assert second.url == "https://other.example.net/story/42"
    assert second.published_at is None


def test_rss_entries_without_usable_link_are_skipped_and_counted() -> None:
    feed = parse_feed(sample("sample-rss.xml"), url=NEWS)

    urls = [e.url for e in feed.entries]
    # no link, javascript: and file: (in a remote feed) are refused; a permalink guid is a link
    assert urls == [
        "https://news.example.com/markets/example-corp-guidance.html",
        "https://other.example.net/story/42",
        "https://news.example.com/markets/permalink-7",
    ]
    assert "3 entries without a usable link skipped" in feed.warnings


def test_published_at_is_aware_utc() -> None:
    feed = parse_feed(sample("sample-rss.xml"), url=NEWS)

    for entry in feed.entries:
        assert entry.published_at is None or entry.published_at.utcoffset() is not None
    assert feed.entries[2].published_at == datetime(2025, 6, 25, 8, 0, tzinfo=UTC)


# ── Atom ──────────────────────────────────────────────────────────────────────────────────────


def test_atom_picks_the_alternate_link_and_resolves_xml_base() -> None:
    feed = parse_feed(sample("sample-atom.xml"), url="https://blog.example.org/atom.xml")

    assert feed.format == "atom10"
    assert feed.title == "Sample Analyst Notes"  # an HTML title becomes text
    assert feed.link == "https://blog.example.org/notes/"
    first, second = feed.entries
    assert first.url == "https://blog.example.org/notes/rates-and-the-fed"
    assert first.title == "Rates & the Fed"
    assert first.authors == ("Ann Example", "Bob Sample")
    assert first.published_at == datetime(2025, 6, 24, 7, 15, tzinfo=UTC)
    assert first.content_html == "<p>The committee meets in July.</p>"
    assert first.summary == "Why the next meeting matters."
    # no <published>: the <updated> date stands in
    assert second.published_at == datetime(2025, 6, 20, tzinfo=UTC)
    # text content is escaped into HTML, and a text summary keeps its angle brackets
    assert (
        second.content_html
        == "<p>Plain text content.</p><p>Second paragraph &lt;not markup&gt;.</p>"
    )
    assert second.summary == "Plain text content. Second paragraph <not markup>."


# ── JSON Feed ─────────────────────────────────────────────────────────────────────────────────


def test_json_feed_1_1() -> None:
    feed = parse_feed(sample("sample-feed.json"), url="https://desk.example.com/feed.json")

    assert feed.format == "json1"
    assert feed.title == "Sample JSON Desk"
    assert feed.link == "https://desk.example.com/"
    buyback, relative, bad_date = feed.entries
    assert buyback.url == "https://desk.example.com/posts/buyback"
    assert buyback.guid == "1"
    assert buyback.content_html == "<p>A $2 billion buyback.</p>"
    assert buyback.summary == "Buyback news."
    assert buyback.authors == ("Desk Writer",)
    assert buyback.published_at == datetime(2025, 6, 24, 19, 0, tzinfo=UTC)
    # external_url when there is no url, made absolute; a numeric id becomes text
    assert relative.url == "https://desk.example.com/posts/relative-external"
    assert relative.guid == "2"
    assert relative.content_html == "<p>First line.</p><p>Second &lt;para&gt;.</p>"
    assert relative.published_at == datetime(2025, 6, 23, tzinfo=UTC)  # date_modified
    assert bad_date.published_at is None
    # the item without a link and the item that is not an object
    assert feed.warnings == ("2 entries without a usable link skipped",)


def test_json_feed_1_0_single_author() -> None:
    feed = parse_feed(sample("sample-feed-1.0.json"), url="https://old.example.com/feed.json")

    (entry,) = feed.entries
    assert entry.authors == ("Solo Author",)
    assert entry.published_at == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_json_that_is_not_a_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="JSON Feed") as caught:
        parse_feed(b'{"hello": "world"}', url="https://x.example.com/data.json")
    assert caught.value.key == "https://x.example.com/data.json"
    with pytest.raises(ParseError, match="bad JSON"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [', url=NEWS)
    with pytest.raises(ParseError, match='"items"'):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1"}', url=NEWS)


# ── sitemaps ──────────────────────────────────────────────────────────────────────────────────


def test_news_sitemap() -> None:
    feed = parse_feed(sample("sample-news-sitemap.xml"), url="https://news.example.com/sm.xml")

    assert feed.format == "sitemap"
    news, plain, relative = feed.entries
    assert news.url == "https://news.example.com/2025/06/24/example-corp-results"
    assert news.title == "Example Corp results beat estimates"
    # news:publication_date wins over lastmod
    assert news.published_at == datetime(2025, 6, 24, 16, 30, tzinfo=UTC)
    assert plain.title is None
    assert plain.published_at == datetime(2025, 6, 23, tzinfo=UTC)
    assert relative.url == "https://news.example.com/2025/06/22/relative-loc"
    assert feed.warnings == ("1 entry without a usable link skipped",)


def test_sitemap_index_lists_child_sitemaps_once() -> None:
    feed = parse_feed(sample("sample-sitemapindex.xml"), url="https://news.example.com/sm.xml")

    assert feed.format == "sitemapindex"
    assert feed.entries == ()
    assert feed.sitemaps == (
        "https://news.example.com/sitemap-news.xml",
        "https://news.example.com/sitemap-2025-06.xml.gz",
    )


def test_gzipped_sitemap_reads_like_the_plain_one() -> None:
    plain = sample("sample-news-sitemap.xml")
    url = "https://news.example.com/sitemap.xml.gz"

    assert parse_feed(gzip.compress(plain), url=url) == parse_feed(plain, url=url)
    # two gzip members back to back are one document
    half = len(plain) // 2
    two_members = gzip.compress(plain[:half]) + gzip.compress(plain[half:])
    assert parse_feed(two_members, url=url) == parse_feed(plain, url=url)


def test_gzip_bomb_and_broken_gzip_are_parse_errors() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 200_000 + b"</urlset>")
    assert len(bomb) < 1_000
    with pytest.raises(ParseError, match="inflates past 100000 bytes"):
        parse_feed(bomb, url=NEWS, max_decompressed_bytes=100_000)
    with pytest.raises(ParseError, match="truncated gzip"):
        parse_feed(gzip.compress(sample("sample-rss.xml"))[:-30], url=NEWS)
    with pytest.raises(ParseError, match="bad gzip"):
        parse_feed(b"\x1f\x8b" + b"\x00" * 40, url=NEWS)


def test_gzip_bomb_is_stopped_at_the_default_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (51 * 1024 * 1024))
    with pytest.raises(ParseError, match="inflates past"):
        parse_feed(bomb, url=NEWS)


def test_sitemap_dates_may_be_partial_or_unreadable() -> None:
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://a.example.com/1</loc><lastmod>2025-06</lastmod></url>"
        b"<url><loc>https://a.example.com/2</loc><lastmod>2024</lastmod></url>"
        b"<url><loc>https://a.example.com/3</loc><lastmod>Tue, 24 Jun 2025 10:00:00 GMT</lastmod>"
        b"</url><url><loc>https://a.example.com/4</loc><lastmod>2025-02-30</lastmod></url>"
        b"<url><loc>https://a.example.com/5</loc><lastmod>0001-01-01T00:00:00+05:00</lastmod>"
        b"</url></urlset>"
    )
    dates = [e.published_at for e in parse_feed(sitemap, url=NEWS).entries]
    assert dates == [
        datetime(2025, 6, 1, tzinfo=UTC),
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2025, 6, 24, 10, 0, tzinfo=UTC),
        None,
        None,
    ]


def test_sitemap_in_a_wrong_namespace_or_with_an_error_is_still_read() -> None:
    no_ns = b"<urlset><url><loc>https://a.example.com/1</loc></url></urlset>"
    assert [e.url for e in parse_feed(no_ns, url=NEWS).entries] == ["https://a.example.com/1"]

    broken = (
        b"<urlset><url><loc>https://a.example.com/1?a=1&b=2</loc></url>"
        b"<url><loc>https://a.example.com/2</loc></url></urlset>"
    )
    feed = parse_feed(broken, url=NEWS)
    assert "https://a.example.com/2" in [e.url for e in feed.entries]
    assert any(w.startswith("XML syntax error at line 1") for w in feed.warnings)

    with pytest.raises(ParseError, match="XML syntax error at line 2"):
        parse_feed(b"<urlset>\n<url><lo", url=NEWS)


# ── local feeds ───────────────────────────────────────────────────────────────────────────────


def test_local_feed_links_resolve_next_to_the_file() -> None:
    path = DATA / "local-feed" / "feed.xml"
    feed = parse_feed(path.read_bytes(), url=path.resolve().as_uri())

    (entry,) = feed.entries
    assert entry.url.startswith("file:///")
    target = Path(url2pathname(urlsplit(entry.url).path))
    assert target == (DATA / "local-feed" / "articles" / "local-article.html").resolve()
    assert target.is_file()


def test_a_remote_feed_cannot_point_at_local_files() -> None:
    rss = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>file:///etc/passwd</link></item>"
        b"<item><title>b</title><link>data:text/html,hi</link></item>"
        b"<item><title>c</title><link>ftp://files.example.com/x</link></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(rss, url=NEWS)
    assert feed.entries == ()
    assert feed.warnings == ("3 entries without a usable link skipped",)


# ── what is not a feed ────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty document"),
        (b"  \n\t ", "empty document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a feed: binary data"),
        (
            b"<!DOCTYPE html>\n<html><head><title>Home</title></head><body><p>Hi</body></html>",
            "not a feed: looks like an HTML page",
        ),
        (b"<html><body><a href='/feed'>feed</a>", "not a feed: looks like an HTML page"),
        (b"Just some words, no markup.", "not a feed: no XML or JSON markup found"),
        (
            b"<?xml version='1.0'?><catalog><book/></catalog>",
            "not a feed: root element <catalog> is not RSS, RDF, Atom or a sitemap",
        ),
        (
            b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel><title>Cut',
            "XML syntax error at line 3",
        ),
        (b"[1, 2, 3]", 'not a feed: JSON without a JSON Feed "version"'),
    ],
)
def test_what_is_not_a_feed_says_why(content: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(content, url=NEWS)
    assert caught.value.message.startswith(message)
    assert caught.value.key == NEWS


def test_broken_feed_with_entries_is_read_past_with_a_warning() -> None:
    feed = parse_feed(sample("sample-broken.xml"), url="https://broken.example.com/feed")

    assert [e.title for e in feed.entries] == [
        "First story",
        "Second story & an unescaped ampersand",
    ]
    assert feed.warnings == (
        "XML syntax error at line 11: not well-formed (invalid token) (read past it)",
    )


def test_blank_lines_before_the_xml_declaration_are_no_error() -> None:
    content = b"\n\n  " + sample("sample-rss.xml")
    feed = parse_feed(content, url=NEWS)
    assert len(feed.entries) == 3
    assert not any("syntax" in w for w in feed.warnings)


def test_a_valid_empty_feed_is_a_feed() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', url=NEWS)
    assert feed.entries == ()
    assert feed.title == "Quiet"
    assert feed.warnings == ()


def test_encoding_comes_from_the_header_or_the_document() -> None:
    body = '<rss version="2.0"><channel><title>Caf\u00e9 Börse</title></channel></rss>'
    latin1 = body.encode("latin-1")
    declared = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + latin1

    assert parse_feed(declared, url=NEWS).title == "Café Börse"
    assert parse_feed(body.encode("utf-8"), url=NEWS).title == "Café Börse"
    header = "application/rss+xml; charset=ISO-8859-1"
    assert parse_feed(latin1, url=NEWS, content_type=header).title == "Café Börse"
    assert parse_feed(b"\xef\xbb\xbf" + body.encode(), url=NEWS).title == "Café Börse"
    assert parse_feed(body.encode("utf-16"), url=NEWS).title == "Café Börse"
    # undeclared and not UTF-8: read anyway, with a warning that says so
    undeclared = parse_feed(latin1, url=NEWS)
    assert undeclared.title == "Café Börse"
    assert undeclared.warnings == (
        "not in its declared charset (UTF-8 if none); read as windows-1252",
    )


# ── hostile input ─────────────────────────────────────────────────────────────────────────────


def test_bytes_that_name_a_file_are_not_read_as_that_file(tmp_path: Path) -> None:
    # feedparser.parse(bytes) opens the bytes as a file name first; parse_feed must not.
    target = tmp_path / "secret-feed.xml"
    target.write_bytes(sample("sample-rss.xml"))
    with pytest.raises(ParseError, match="no XML or JSON markup"):
        parse_feed(str(target).encode(), url=NEWS)


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'.encode()
    rss = (
        b'<?xml version="1.0"?>' + doctype + b'<rss version="2.0"><channel><title>&xxe;</title>'
        b"<item><title>&xxe;</title><link>https://a.example.com/&xxe;</link></item>"
        b"</channel></rss>"
    )
    sitemap = (
        b'<?xml version="1.0"?>' + doctype + b"<urlset><url><loc>https://a.example.com/&xxe;"
        b"</loc></url></urlset>"
    )
    for content in (rss, sitemap):
        assert "TOP-SECRET-VALUE" not in repr(parse_or_error(content, NEWS))


def test_billion_laughs_does_not_expand() -> None:
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE x [<!ENTITY l0 "ha">{entities}]>'.encode()
    for root in (
        b"<urlset><url><loc>https://a.example.com/&l9;</loc></url></urlset>",
        b'<rss version="2.0"><channel><title>&l9;</title></channel></rss>',
    ):
        started = time.monotonic()
        result = parse_or_error(b'<?xml version="1.0"?>' + doctype + root, NEWS)
        assert len(repr(result)) < 10_000
        # expat would refuse it too, but only after ~2 s of work
        assert time.monotonic() - started < 0.5


def test_inline_entity_declarations_are_kept_when_plain() -> None:
    rss = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY co "Example Corp">'
        b'<!ENTITY evil SYSTEM "file:///etc/hostname">]><rss version="2.0"><channel>'
        b"<title>&co;&nbsp;wire</title><item><link>https://a.example.com/1</link></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(rss, url=NEWS)
    assert feed.title == "Example Corp wire"
    assert feed.warnings == ()  # read by the strict parser, not past an error


def test_pathological_markup_takes_no_time() -> None:
    # Each of these once made a regular expression backtrack: exponentially for the DOCTYPE
    # (26 pairs took ~12 s), quadratically for a run of "<" in an HTML summary (~15 s).
    started = time.monotonic()
    with pytest.raises(ParseError, match="no XML or JSON markup"):
        parse_feed(b"<!DOCTYPE " + b"[]" * 26, url=NEWS)
    assert time.monotonic() - started < 1.0
    rss = (
        b'<rss version="2.0"><channel><title>t</title><item><link>https://a.example.com/</link>'
        b"<description>" + b"&lt;" * 100_000 + b"</description></item></channel></rss>"
    )
    started = time.monotonic()
    (entry,) = parse_feed(rss, url=NEWS).entries
    assert entry.summary == "<" * 100_000
    assert time.monotonic() - started < 5.0


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_any_bytes_give_a_feed_or_a_parse_error(content: bytes) -> None:
    result = parse_or_error(content, NEWS)
    if isinstance(result, ParseError):
        assert result.key == NEWS
        assert result.message
    else:
        assert isinstance(result, FeedData)


_SEEDS = [
    sample(name)
    for name in (
        "sample-rss.xml",
        "sample-atom.xml",
        "sample-feed.json",
        "sample-news-sitemap.xml",
        "sample-sitemapindex.xml",
    )
]


@st.composite
def mangled_feeds(draw: st.DrawFn) -> bytes:
    """A sample feed cut, spliced and sprinkled with junk: near-misses find more than noise."""
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "insert", "delete"]))
        if action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=20) | st.sampled_from(_JUNK))
        else:
            del data[at : at + draw(st.integers(1, 50))]
    return bytes(data)


_JUNK = [b"<", b">", b"&", b"&amp;", b"]]>", b"<![CDATA[", b"\x00", b"\xff\xfe", b"{", b'"', b"\\u"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_feeds(), st.sampled_from([NEWS, "file:///tmp/feed.xml", "not a url"]))
def test_mangled_feeds_give_a_feed_or_a_parse_error(content: bytes, url: str) -> None:
    result = parse_or_error(content, url)
    if isinstance(result, ParseError):
        assert result.key == url
    else:
        for entry in result.entries:
            assert urlsplit(entry.url).scheme in ("http", "https", "file")
            assert entry.published_at is None or entry.published_at.tzinfo is not None


_ITEM_KEYS = [
    "url",
    "external_url",
    "id",
    "title",
    "content_html",
    "content_text",
    "summary",
    "date_published",
    "date_modified",
    "authors",
    "author",
    "name",
]
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["https://a.example.com/x", "/rel", "2025-06-01T00:00:00Z", "http://[::1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_ITEM_KEYS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.dictionaries(st.sampled_from(_ITEM_KEYS), _JSON_VALUES, max_size=6) | _JSON_VALUES),
    _JSON_VALUES,
)
def test_json_feed_items_of_any_shape_give_a_feed(items: list[object], title: object) -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    feed = parse_feed(json.dumps(doc).encode(), url=NEWS)
    assert len(feed.entries) <= len(items)
    for entry in feed.entries:
        assert urlsplit(entry.url).scheme in ("http", "https")
        assert entry.title is None or isinstance(entry.title, str)


def test_sniffing() -> None:
    assert (
        sniff_root('<?xml version="1.0"?>\n<!-- c --><!DOCTYPE rss [<!ENTITY a "b">]><rss>')
        == "rss"
    )
    assert sniff_root("<rdf:RDF xmlns:rdf='…'>") == "rdf"
    assert sniff_root("hello <rss>") is None
    assert sniff_feed(sample("sample-rss.xml")[:100])
    assert sniff_feed(gzip.compress(sample("sample-news-sitemap.xml")))
    assert sniff_feed(sample("sample-feed.json")[:200])
    assert not sniff_feed(b'{"version": "1.0", "items": []}')
    assert not sniff_feed(b"<!doctype html><html>")


# ── real-world feeds (../shared) ──────────────────────────────────────────────────────────────


def _real_feed_rows() -> list[dict[str, str]]:
    index = REAL_FEEDS / "index.csv"
    if not index.is_file():
        return []
    with index.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


_REAL_ROWS = _real_feed_rows()
_MISSING = pytest.param(
    None, marks=pytest.mark.skip(reason=f"{SHARED} not found: no real feeds to read")
)


@pytest.mark.shared
@pytest.mark.parametrize("row", [pytest.param(r, id=r["file"]) for r in _REAL_ROWS] or [_MISSING])
def test_real_feed_parses_or_says_why(row: dict[str, str]) -> None:
    path = REAL_FEEDS / row["file"]
    url = path.resolve().as_uri()
    feed = parse_or_error(path.read_bytes(), url)
    if isinstance(feed, ParseError):
        assert feed.key == url
        assert feed.message
        return
    for entry in feed.entries:
        assert urlsplit(entry.url).scheme in ("http", "https", "file")
        assert entry.published_at is None or entry.published_at.utcoffset() is not None


# Real feeds that are not feeds, or are broken past reading, with the reason parse_feed gives.
REAL_PARSE_ERRORS = {
    "feedjira/HREFConsideredHarmfulFirstEntry.xml": "XML syntax error",  # an HTML fragment
    "feedjira/TechCrunchFirstEntry.xml": "XML syntax error",  # an HTML fragment
    "feedjira/TechCrunchFirstEntryDescription.xml": "XML syntax error",  # an HTML fragment
    "feedjira/TenderLovemakingFirstEntry.xml": "XML syntax error",  # an HTML fragment
    "rss-parser/input/unrecognized.rss": "not a feed: looks like an HTML page",
    "feed-rs/xml/xml_iso8859.xml": "not a feed: root element <rdf>",  # no RDF namespace
    "feed-rs/xml/xml_sample_1.xml": "not a feed: root element <catalog>",
    "feed-rs/rss2/rss_2.0_invalid_1.xml": "XML syntax error at line 19",  # cut off
}


@pytest.mark.shared
def test_real_feeds_that_fail_are_exactly_the_known_non_feeds() -> None:
    if not _REAL_ROWS:
        pytest.skip(f"{SHARED} not found: no real feeds to read")
    failed: dict[str, str] = {}
    for row in _REAL_ROWS:
        path = REAL_FEEDS / row["file"]
        try:
            parse_feed(path.read_bytes(), url=path.resolve().as_uri())
        except ParseError as error:
            failed[row["file"]] = error.message
    assert set(failed) == set(REAL_PARSE_ERRORS)
    for name, message in failed.items():
        assert message.startswith(REAL_PARSE_ERRORS[name]), name


# feed-rs keeps entries without a link and reads no permalink from an RSS guid or Atom id;
# parse_feed uses those as the link, as feedparser does.
EXTRA_LINKED_ENTRIES = {"feed-rs/atom/atom_xml_base.xml": 1, "feed-rs/rss2/rss_2.0_spec_1.xml": 2}


def _expected_items(path: Path) -> list[dict[str, object]]:
    raw = path.read_bytes()
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError:  # rss-parser's encoding.json is latin-1 (SOURCE.md)
        doc = json.loads(raw.decode("latin-1"))
    if "feed" in doc:  # rss-parser
        return [
            {
                "title": i.get("title"),
                "links": [i["link"]] if i.get("link") else [],
                "date": i.get("isoDate"),
            }
            for i in doc["feed"]["items"]
        ]
    return [  # feed-rs
        {
            "title": (e.get("title") or {}).get("content"),
            "links": [link["href"] for link in e.get("links", [])],
            "date": e.get("published") or e.get("updated"),
        }
        for e in doc["entries"]
    ]


def _same_text(a: object, b: str | None) -> bool:
    if not isinstance(a, str):
        return True
    plain = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", " ", a))).strip() or None
    return plain == b


def _same_link(expected: list[str], got: str) -> bool:
    def norm(u: str) -> str:
        parts = urlsplit(u.strip())
        return f"{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"

    return any(norm(e) == norm(got) or got.endswith(e.strip().lstrip("./")) for e in expected)


@pytest.mark.shared
def test_real_feeds_match_the_expected_parse_output() -> None:
    rows = [r for r in _REAL_ROWS if r["expected_parse_output"]]
    if not rows:
        pytest.skip(f"{SHARED} not found: no expected feed outputs to compare")
    compared = {"files": 0, "titles": 0, "links": 0, "dates": 0}
    for row in rows:
        path = REAL_FEEDS / row["file"]
        feed = parse_feed(path.read_bytes(), url=path.resolve().as_uri())
        items = [
            i for i in _expected_items(REAL_FEEDS / row["expected_parse_output"]) if i["links"]
        ]
        assert len(feed.entries) == len(items) + EXTRA_LINKED_ENTRIES.get(row["file"], 0), row
        if row["file"] in EXTRA_LINKED_ENTRIES:
            continue
        compared["files"] += 1
        for item, entry in zip(items, feed.entries, strict=True):
            assert _same_text(item["title"], entry.title), (row["file"], item["title"], entry.title)
            compared["titles"] += 1
            assert isinstance(item["links"], list)
            assert _same_link(item["links"], entry.url), (row["file"], item["links"], entry.url)
            compared["links"] += 1
            if isinstance(item["date"], str):
                expected = datetime.fromisoformat(item["date"].replace("Z", "+00:00"))
                # feedparser keeps whole seconds
                assert entry.published_at == expected.replace(microsecond=0), row["file"]
                compared["dates"] += 1
    assert compared["files"] >= 55, compared
    assert compared["links"] >= 290, compared
