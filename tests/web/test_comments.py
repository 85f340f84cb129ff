"""Comments on the web: posting, threads, sanitising, moderation, limits, windows, CSRF."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from session_support import session_cookie

from marketbrief.core import MarketBrief
from marketbrief.model import Article, ArticleId, CommentStatus, Reader, Watchlist
from marketbrief.web import create_app
from marketbrief.web.clients import address_hash, client_address
from marketbrief.web.comments import (
    ALLOWED_TAGS,
    MAX_LINKS,
    render_markdown,
)
from marketbrief.web.comments import (
    router as comment_routes,
)
from marketbrief.web.security import SESSION_COOKIE, Tokens

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
OPERATOR = "op@example.com"
PEER = "203.0.113.9"
PROXY = "10.0.0.2"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def article(brief: MarketBrief) -> str:
    for article_id in ("a1", "a2"):
        brief.store.upsert_article(
            Article(
                id=ArticleId(article_id),
                url=f"https://news.example.com/{article_id}",
                title=f"Title of {article_id}",
                text="Body.",
                language="en",
                published_at=START,
            )
        )
    return "a1"


class Site:
    """An app with some settings, and browsers that reach it from chosen addresses."""

    def __init__(self, brief: MarketBrief, clock: Clock, **overrides: Any) -> None:
        values = {"operator_emails": [OPERATOR]} | overrides
        self.brief = brief
        self.app: FastAPI = create_app(
            brief.settings.model_copy(update=values), brief=brief, clock=clock
        )
        self._clients: list[TestClient] = []

    def browser(self, peer: str = PEER, reader: Reader | None = None) -> TestClient:
        client = TestClient(self.app, client=(peer, 50000))
        client.__enter__()
        self._clients.append(client)
        if reader is not None:
            client.cookies.set(SESSION_COOKIE, session_cookie(self.app, reader.id))
        return client

    def close(self) -> None:
        for client in self._clients:
            client.__exit__(None, None, None)


@pytest.fixture
def make_site(brief: MarketBrief, clock: Clock) -> Iterator[Any]:
    sites: list[Site] = []

    def make(**overrides: Any) -> Site:
        sites.append(Site(brief, clock, **overrides))
        return sites[-1]

    yield make
    for site in sites:
        site.close()


@pytest.fixture
def site(make_site: Any) -> Site:
    return cast(Site, make_site())


def reader(brief: MarketBrief, email: str, name: str = "Ada") -> Reader:
    return brief.store.add_reader(email, name, Watchlist(), now=START)


def csrf_from(client: TestClient, path: str = "/signin") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no form with a CSRF token on {path}"
    return found[1]


def post(client: TestClient, text: str, article_id: str = "a1", **fields: str) -> Any:
    data = {"body": text, "csrf_token": csrf_from(client)} | fields
    return client.post(f"/articles/{article_id}/comments", data=data, follow_redirects=False)


def comment_id_of(response: Any) -> int:
    location = response.headers["location"]
    found = re.search(r"/comments/(\d+)/held|#comment-(\d+)", location)
    assert found, location
    return int(found[1] or found[2])


def shown(client: TestClient, article_id: str = "a1") -> str:
    return client.get(f"/articles/{article_id}/comments").text


def approve(site: Site, comment_id: int) -> None:
    if site.brief.store.get_comment(comment_id).status is CommentStatus.HELD:
        site.brief.store.moderate_comment(comment_id, "approve")


# ── sanitising ──

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    '[x](https://ok.example "title" onmouseover=alert(1))',
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[a]: javascript:alert(1)\n\n[a]",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>*{display:none}</style>",
    "<form action=https://evil.example><input name=x></form>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<meta http-equiv=refresh content="0;url=https://evil.example">',
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "<!-- --><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<base href=https://evil.example/>",
    '<a href="https://ok.example" target=_blank onclick=alert(1)>x</a>',
]
SAFE_SCHEMES = ("http", "https", "mailto")


class Inspector(HTMLParser):
    """Every tag and attribute of a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    for tag, attrs in inspector.tags:
        assert tag in ALLOWED_TAGS, html
        for name, value in attrs:
            assert (tag, name) in {("a", "href"), ("a", "rel")}, html
            if name == "href":
                assert value is not None
                assert urlsplit(value).scheme.lower() in SAFE_SCHEMES, html
            if name == "rel":
                assert value == "nofollow ugc noopener", html


@pytest.mark.parametrize("payload", XSS)
def test_the_xss_corpus_renders_inert(payload: str) -> None:
    html, _ = render_markdown(payload)
    assert_inert(html)


@given(
    st.text(
        alphabet=st.sampled_from(list("<>/\"'=&#;:()[]!`* \nascriptjvhrefonload.x"))
        | st.characters(),
        max_size=200,
    )
)
@settings(max_examples=300, deadline=None)
def test_any_text_renders_inert(text: str) -> None:
    html, links = render_markdown(text)
    assert_inert(html)
    assert links >= 0


def test_the_safe_subset_is_kept() -> None:
    html, links = render_markdown(
        "*em* **strong** `code`\n\n> quoted\n\n- one\n- two\n\n1. first\n\n"
        "[site](https://example.com/a?b=1) [mail](mailto:a@example.com)\n\n```\npre\n```"
    )
    for tag in ("<em>", "<strong>", "<code>", "<blockquote>", "<ul>", "<ol>", "<li>", "<pre>"):
        assert tag in html
    assert '<a href="https://example.com/a?b=1" rel="nofollow ugc noopener">site</a>' in html
    assert links == 2
    assert render_markdown("see www.spam.example and http://x.example")[1] == 2


def test_a_hostile_comment_is_inert_in_the_page(
    site: Site, brief: MarketBrief, article: str
) -> None:
    ada = reader(brief, "ada@example.com")
    web = site.browser(reader=ada)
    for payload in XSS:
        response = post(web, payload)
        assert response.status_code == 303, (payload, response.text)
        approve(site, comment_id_of(response))
        site.app.state.clock.advance(hours=1)  # under the rate limits
    page = shown(site.browser("198.51.100.7"))
    inspector = Inspector()
    inspector.feed(page)
    for tag, attrs in inspector.tags:
        assert tag not in {"script", "svg", "img", "iframe", "object", "style", "math", "base"}
        assert tag != "meta" or ("charset", "utf-8") in attrs or attrs[0][0] == "name", attrs
        for name, value in attrs:
            assert not name.startswith("on"), (tag, attrs)
            if name in ("href", "src", "action"):
                assert urlsplit(value or "").scheme in ("", *SAFE_SCHEMES), (tag, attrs)
        if tag == "form":
            assert not dict(attrs).get("action", "/").startswith("http"), attrs
    assert page.count("comment depth-") == len(XSS)


# ── posting, threads, moderation ──


def test_only_signed_in_readers_comment_unless_the_operator_allows(
    make_site: Any, brief: MarketBrief, article: str
) -> None:
    closed = make_site()
    visitor = closed.browser()
    assert "Sign in" in shown(visitor)
    assert post(visitor, "hello", name="Vi").status_code == 403
    open_site = make_site(comments_anonymous=True)
    visitor = open_site.browser()
    assert post(visitor, "hello").status_code == 400  # a name is needed
    response = post(visitor, "hello", name="Vi")
    assert response.headers["location"].endswith("/held")
    approve(open_site, comment_id_of(response))
    again = post(visitor, "again", name="Vi")
    assert "#comment-" in again.headers["location"]  # a known address now
    page = shown(open_site.browser("198.51.100.7"))
    assert "hello" in page and "again" in page and "Vi" in page


def test_first_comments_wait_and_links_are_counted(
    site: Site, brief: MarketBrief, article: str
) -> None:
    ada = reader(brief, "ada@example.com")
    web = site.browser(reader=ada)
    first = post(web, "my *first*")
    assert first.status_code == 303 and first.headers["location"].endswith("/held")
    stranger = site.browser("198.51.100.7")
    assert "my <em>first</em>" not in shown(stranger)
    own = shown(web)
    assert "my <em>first</em>" in own and "waiting for a moderator" in own
    approve(site, comment_id_of(first))
    assert "my <em>first</em>" in shown(stranger)
    second = post(web, "second")
    assert "#comment-" in second.headers["location"]
    spammy = " ".join(f"[l{i}](https://x{i}.example)" for i in range(MAX_LINKS + 1))
    assert post(web, spammy).headers["location"].endswith("/held")
    assert "x0.example" not in shown(stranger)


def test_threads_nest_answers(site: Site, brief: MarketBrief, article: str) -> None:
    ada = reader(brief, "ada@example.com")
    web = site.browser(reader=ada)
    top = comment_id_of(post(web, "top"))
    approve(site, top)
    answer = comment_id_of(post(web, "answer", parent=str(top)))
    deeper = comment_id_of(post(web, "deeper", parent=str(answer)))
    page = shown(site.browser("198.51.100.7"))
    assert page.index(f'id="comment-{top}"') < page.index(f'id="comment-{answer}"')
    assert f'id="comment-{answer}" class="comment depth-1"' in page
    assert f'id="comment-{deeper}" class="comment depth-2"' in page
    assert f'href="#comment-{top}"' in page
    other = comment_id_of(post(web, "elsewhere", article_id="a2"))
    assert post(web, "cross", parent=str(other)).status_code == 400
    assert post(web, "nowhere", article_id="missing").status_code == 404


def test_the_honeypot_turns_bots_away(site: Site, brief: MarketBrief, article: str) -> None:
    web = site.browser(reader=reader(brief, "ada@example.com"))
    response = post(web, "buy now", website="http://spam.example")
    assert response.status_code == 303
    assert brief.store.list_comments("a1", include_held=True) == []


# ── rate limits and addresses ──


def test_rate_limit_per_address(site: Site, brief: MarketBrief, article: str, clock: Clock) -> None:
    readers = [reader(brief, f"r{i}@example.com") for i in range(6)]
    for one in readers[:5]:
        assert post(site.browser(reader=one), "hi").status_code == 303
    refused = post(site.browser(reader=readers[5]), "hi")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 600
    clock.advance(minutes=10)
    assert post(site.browser(reader=readers[5]), "hi").status_code == 303


def test_rate_limit_per_reader_whatever_the_address(
    site: Site, brief: MarketBrief, article: str
) -> None:
    ada = reader(brief, "ada@example.com")
    for i in range(5):
        assert post(site.browser(f"198.51.100.{i}", reader=ada), "hi").status_code == 303
    refused = post(site.browser("198.51.100.99", reader=ada), "hi")
    assert refused.status_code == 429
    assert "retry-after" in refused.headers


def test_a_spoofed_forwarded_for_does_not_bypass_the_limit(
    site: Site, brief: MarketBrief, article: str
) -> None:
    for i in range(6):
        one = reader(brief, f"r{i}@example.com")
        web = site.browser(reader=one)
        web.headers["x-forwarded-for"] = f"192.0.2.{i}"
        response = post(web, "hi")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_counts(
    make_site: Any, brief: MarketBrief, article: str
) -> None:
    site = make_site(trusted_proxies=["10.0.0.0/8"])
    people = [reader(brief, f"r{i}@example.com") for i in range(12)]

    def via_proxy(one: Reader, forwarded: str) -> int:
        web = site.browser(PROXY, reader=one)
        web.headers["x-forwarded-for"] = forwarded
        return int(post(web, "hi").status_code)

    # one client behind the proxy, who also prepends made-up hops: still one client
    statuses = [via_proxy(people[i], f"192.0.2.{i}, 198.51.100.1") for i in range(6)]
    assert statuses == [303] * 5 + [429]
    # another client behind the same proxy is not limited by the first
    assert via_proxy(people[6], "198.51.100.2") == 303


def test_client_address() -> None:
    import ipaddress

    trusted = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]
    assert client_address("203.0.113.9", ["1.2.3.4"], trusted) == "203.0.113.9"
    assert client_address("10.0.0.2", ["1.2.3.4, 5.6.7.8"], trusted) == "5.6.7.8"
    assert client_address("10.0.0.2", ["1.2.3.4", "5.6.7.8, 10.1.1.1"], trusted) == "5.6.7.8"
    assert client_address("10.0.0.2", ["10.0.0.3, 10.0.0.4"], trusted) == "10.0.0.3"
    assert client_address("10.0.0.2", ["junk, 10.0.0.4"], trusted) == "10.0.0.4"
    assert client_address("10.0.0.2", [], trusted) == "10.0.0.2"
    assert client_address("127.0.0.1", ["2001:db8::1"], trusted) == "2001:db8::1"
    assert client_address("testclient", ["1.2.3.4"], trusted) == "testclient"
    key = b"k" * 32
    assert address_hash(key, "2001:db8::1") == address_hash(key, "2001:db8::ffff")
    assert address_hash(key, "2001:db8::1") != address_hash(key, "2001:db8:0:1::1")
    assert address_hash(key, "1.2.3.4") != address_hash(key, "1.2.3.5")
    assert address_hash(key, "::ffff:1.2.3.4") == address_hash(key, "1.2.3.4")
    assert "1.2.3.4" not in address_hash(key, "1.2.3.4")


# ── the author's edits ──


def test_the_author_edits_and_deletes_within_the_window(
    site: Site, brief: MarketBrief, article: str, clock: Clock
) -> None:
    ada = reader(brief, "ada@example.com")
    web = site.browser(reader=ada)
    cid = comment_id_of(post(web, "typo"))
    approve(site, cid)
    assert f'href="/comments/{cid}/edit"' in shown(web)
    form = web.get(f"/comments/{cid}/edit")
    assert form.status_code == 200 and "typo" in form.text
    csrf = csrf_from(web)
    edited = web.post(
        f"/comments/{cid}/edit", data={"body": "fixed", "csrf_token": csrf}, follow_redirects=False
    )
    assert edited.status_code == 303
    assert "fixed" in shown(web) and "edited" in shown(web)
    clock.advance(seconds=brief.settings.comments_edit_window)
    assert web.get(f"/comments/{cid}/edit").status_code == 403
    late = web.post(f"/comments/{cid}/edit", data={"body": "late", "csrf_token": csrf})
    assert late.status_code == 403
    assert web.post(f"/comments/{cid}/delete", data={"csrf_token": csrf}).status_code == 403
    assert f'href="/comments/{cid}/edit"' not in shown(web)
    assert brief.store.get_comment(cid).body_markdown == "fixed"


def test_a_reader_deletes_their_comment(site: Site, brief: MarketBrief, article: str) -> None:
    ada = reader(brief, "ada@example.com")
    web = site.browser(reader=ada)
    cid = comment_id_of(post(web, "oops"))
    response = web.post(
        f"/comments/{cid}/delete", data={"csrf_token": csrf_from(web)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert brief.store.get_comment(cid).status is CommentStatus.DELETED
    assert "oops" not in shown(web)


def test_readers_never_touch_another_readers_comments(
    site: Site, brief: MarketBrief, article: str
) -> None:
    ada = reader(brief, "ada@example.com")
    bob = reader(brief, "bob@example.com", "Bob")
    hers = comment_id_of(post(site.browser(reader=ada), "hers"))
    approve(site, hers)
    before = brief.store.get_comment(hers)
    for web in (site.browser(reader=bob), site.browser()):
        assert f'href="/comments/{hers}/edit"' not in shown(web)
        assert web.get(f"/comments/{hers}/edit").status_code == 404
        csrf = csrf_from(web)
        assert (
            web.post(f"/comments/{hers}/edit", data={"body": "x", "csrf_token": csrf}).status_code
            == 404
        )
        assert web.post(f"/comments/{hers}/delete", data={"csrf_token": csrf}).status_code == 404
        for action in ("approve", "hide", "restore"):
            response = web.post(f"/moderation/comments/{hers}/{action}", data={"csrf_token": csrf})
            assert response.status_code == 404
        response = web.post(
            f"/moderation/comments/{hers}/ban", data={"csrf_token": csrf, "days": "1"}
        )
        assert response.status_code == 404
        assert web.get("/moderation").status_code == 404
    assert brief.store.get_comment(hers) == before
    assert brief.store.list_bans(now=START) == []


def test_a_readers_comments_are_in_their_export_and_erased_with_them(
    site: Site, brief: MarketBrief, article: str
) -> None:
    ada = reader(brief, "ada@example.com", "Adaline")
    bob = reader(brief, "bob@example.com", "Bob")
    web = site.browser(reader=ada)
    answered = comment_id_of(post(web, "Adaline's words, answered"))
    approve(site, answered)
    alone = comment_id_of(post(web, "Adaline's words, alone"))
    held = comment_id_of(post(web, "Adaline's words, " + "[l](https://x.example) " * 3))
    answer = comment_id_of(
        post(site.browser("198.51.100.7", bob), "Bob answers", parent=str(answered))
    )
    approve(site, answer)

    export = web.get("/manage/export").json()
    assert [(c["id"], c["status"]) for c in export["comments"]] == [
        (answered, "visible"),
        (alone, "visible"),
        (held, "held"),
    ]
    assert "Bob answers" not in json.dumps(export)

    response = web.post(
        "/manage/delete", data={"csrf_token": csrf_from(web, "/manage"), "confirm_delete": "yes"}
    )
    assert response.status_code == 200 and "comments are erased" in response.text
    page = shown(site.browser("192.0.2.44"))
    assert "Adaline" not in page
    assert "This comment was removed." in page and "Bob answers" in page
    api = site.browser("192.0.2.44").get("/api/v1/articles/a1/comments").json()["items"]
    assert [(c["id"], c["removed"], c["author"]) for c in api] == [
        (answered, True, None),
        (answer, False, "Bob"),
    ]
    left = brief.store.get_comment(answered)
    assert (left.reader_id, left.ip_hash, left.author_name, left.body_markdown) == (
        None,
        None,
        "",
        "",
    )
    assert brief.store.list_comments_by_status(CommentStatus.HELD) == []


# ── operators ──


def test_operators_approve_hide_restore_and_ban(
    site: Site, brief: MarketBrief, article: str
) -> None:
    operator = site.browser(reader=reader(brief, OPERATOR, "Op"))
    ada = reader(brief, "ada@example.com")
    web = site.browser("198.51.100.50", reader=ada)
    cid = comment_id_of(post(web, "please *approve*"))
    queue = operator.get("/moderation")
    assert queue.status_code == 200 and "please *approve*" in queue.text
    csrf = csrf_from(operator, "/moderation")

    def act(path: str, **data: str) -> int:
        response = operator.post(path, data={"csrf_token": csrf} | data, follow_redirects=False)
        return int(response.status_code)

    assert act(f"/moderation/comments/{cid}/approve") == 303
    assert "please <em>approve</em>" in shown(web)
    assert act(f"/moderation/comments/{cid}/hide") == 303
    assert "please <em>approve</em>" not in shown(web)
    assert act(f"/moderation/comments/{cid}/approve") == 400  # not held
    assert act(f"/moderation/comments/{cid}/restore") == 303
    assert "please <em>approve</em>" in shown(web)
    assert act(f"/moderation/comments/{cid}/ban", days="7", reason="spam") == 303
    assert brief.store.get_comment(cid).status is CommentStatus.HIDDEN
    assert post(web, "still here?").status_code == 403
    [ban] = brief.store.list_bans(now=START)
    assert ban.reader_id == ada.id and ban.until == START + timedelta(days=7)
    assert act(f"/moderation/bans/{ban.id}/lift") == 303
    assert post(web, "back").status_code == 303
    # banning by address stops a new account from the same address too
    assert act(f"/moderation/comments/{cid}/ban", days="0", scope="address") == 303
    eve = reader(brief, "eve@example.com", "Eve")
    assert post(site.browser("198.51.100.50", reader=eve), "new me").status_code == 403
    assert post(site.browser("198.51.100.51", reader=eve), "elsewhere").status_code == 303


# ── CSRF ──


def test_every_comment_post_needs_its_csrf_token(
    site: Site, brief: MarketBrief, article: str
) -> None:
    operator = site.browser(reader=reader(brief, OPERATOR, "Op"))
    ada = reader(brief, "ada@example.com")
    cid = comment_id_of(post(site.browser(reader=ada), "held one"))
    ban = brief.store.ban(reader_id=ada.id, reason="x", now=START)
    tokens = cast(Tokens, site.app.state.tokens)
    before = (brief.store.list_comments("a1", include_held=True), brief.store.list_bans(now=START))
    paths = sorted(
        route.path_format
        for route in comment_routes.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    )
    assert len(paths) == 6
    for path in paths:
        concrete = (
            path.replace("{article_id}", "a1")
            .replace("{comment_id}", str(cid))
            .replace("{ban_id}", str(ban.id))
            .replace("{action}", "approve")
        )
        for browser in (operator, site.browser(reader=ada)):
            for csrf in (None, "forged", tokens.csrf_token("another browser's seed")):
                data = {"body": "changed", "days": "1"} | ({"csrf_token": csrf} if csrf else {})
                response = browser.post(concrete, data=data, follow_redirects=False)
                assert response.status_code == 403, (concrete, csrf)
    after = (brief.store.list_comments("a1", include_held=True), brief.store.list_bans(now=START))
    assert after == before
