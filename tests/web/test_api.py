"""The JSON API as a client uses it: pages, filters, the contract's shapes, the OpenAPI schema,
and one error shape over every route."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from news_support import HOSTILE, NOW, seed_news

from marketbrief.core import MarketBrief
from marketbrief.model import Comment, CommentStatus, Watchlist
from marketbrief.web.api_models import (
    ArticleDetail,
    ArticleList,
    CommentList,
    ErrorResponse,
    StoryDetail,
)
from marketbrief.web.comments import render_markdown


@pytest.fixture
def news(brief: MarketBrief) -> MarketBrief:
    seed_news(brief)
    return brief


class Tags(HTMLParser):
    """The elements of an HTML fragment, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[tuple[str, tuple[tuple[str, str | None], ...]]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.add((tag, tuple(attrs)))


def comment(
    brief: MarketBrief,
    text: str,
    *,
    article_id: str = "n0",
    status: CommentStatus = CommentStatus.VISIBLE,
    **fields: Any,
) -> Comment:
    """A comment stored as the web form stores one (its HTML made by the form's renderer)."""
    html, _ = render_markdown(text)
    values: dict[str, Any] = {"author_name": "Ada", "ip_hash": "iphash-secret", "now": NOW}
    return brief.store.add_comment(
        article_id,
        body_markdown=text,
        body_html=html,
        status=status,
        **(values | fields),
    )


def routes(entries: Iterable[Any]) -> Iterator[APIRoute]:
    """Every route, those of included routers too (FastAPI 0.165 nests them)."""
    for route in entries:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from routes(inner.routes)


def api_paths(app: FastAPI) -> list[str]:
    return sorted({r.path_format for r in routes(app.routes) if r.path_format.startswith("/api/")})


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    ErrorResponse.model_validate(body)  # exactly the shape, nothing more
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    return dict(body["error"])


def test_articles_page_through_with_cursors(client: TestClient, news: MarketBrief) -> None:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/articles", params=params).json()
        page = ArticleList.model_validate(body)
        assert len(page.items) <= 7
        ids += [a.id for a in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert ids == [f"n{i}" for i in range(31)] + ["evil"]


def test_articles_filters(client: TestClient, news: MarketBrief) -> None:
    body = client.get("/api/v1/articles?ticker=LMT&event_type=mna&limit=100").json()
    assert [a["id"] for a in body["items"]] == [f"n{i}" for i in range(31) if i % 3 == 2]
    assert all(a["tickers"] == ["LMT"] and a["sectors"] == ["Energy"] for a in body["items"])
    assert client.get("/api/v1/articles?sector=Nope").json() == {"items": [], "next_cursor": None}


def test_article_detail(client: TestClient, news: MarketBrief) -> None:
    body = client.get("/api/v1/articles/n1").json()
    article = ArticleDetail.model_validate(body)
    assert article.story_id == "s1"
    assert article.page_url.endswith("/articles/n1")
    assert article.companies[0].why == "named in the text"
    assert article.event_links[0].direction == "up"
    assert article.key_dates[0].first_day is not None
    assert "raw_html" not in body and "pk" not in body


def test_stories(client: TestClient, news: MarketBrief) -> None:
    first = client.get("/api/v1/stories?limit=1").json()
    assert [s["id"] for s in first["items"]] == ["s1"]
    second = client.get("/api/v1/stories", params={"limit": 1, "cursor": first["next_cursor"]})
    assert [s["id"] for s in second.json()["items"]] == ["evil-story"]
    assert second.json()["next_cursor"] is None
    story = StoryDetail.model_validate(client.get("/api/v1/stories/s1").json())
    assert [m.article_id for m in story.members] == ["n2", "n1", "n0"]
    assert story.members[1].added == ["12%"] and story.independent_sources == 3
    assert [s["id"] for s in client.get("/api/v1/stories?ticker=LMT").json()["items"]] == ["s1"]


def test_company(client: TestClient, news: MarketBrief) -> None:
    body = client.get("/api/v1/companies/rtx").json()
    assert body["ticker"] == "RTX" and body["name"]
    assert "Patriot" in body["aliases"]
    assert body["latest_articles"][0]["id"] == "n0"


def test_key_dates(client: TestClient, news: MarketBrief) -> None:
    body = client.get("/api/v1/key-dates?from=2026-03-02&days=60").json()
    assert body["first_day"] == "2026-03-02" and body["last_day"] == "2026-05-01"
    kinds = {d["kind"] for d in body["items"]}
    assert {"fomc_meeting", "market_holiday"} <= kinds  # FOMC mid-March, Good Friday in April
    assert all("2026-03-02" <= d["day"] <= "2026-05-01" for d in body["items"])


def test_hostile_text_is_only_data(client: TestClient, news: MarketBrief) -> None:
    response = client.get("/api/v1/articles/evil")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    assert body["title"] == HOSTILE  # kept exactly, as data
    assert json.loads(response.text)["companies"][0]["why"] == HOSTILE


# ── comments ──


def test_comments_come_threaded_as_on_the_page(client: TestClient, news: MarketBrief) -> None:
    reader = news.store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    first = comment(news, "*first*", reader_id=reader.id)
    answer = comment(news, "an answer", parent_id=first.id, author_name="Ben")
    deeper = comment(news, "deeper", parent_id=answer.id)
    second = comment(news, "second")
    comment(news, "after second", parent_id=second.id)
    # held: neither it nor what answers it is shown to anyone
    held = comment(news, "held text", status=CommentStatus.HELD)
    comment(news, "answer to held", parent_id=held.id)
    # hidden, and answered: a blank placeholder keeps the answer's place
    hidden = comment(news, "hidden text")
    kept = comment(news, "answer to hidden", parent_id=hidden.id)
    news.store.moderate_comment(hidden.id, "hide")
    # hidden and unanswered, or answered only by what is not shown: not there at all
    alone = comment(news, "hidden alone")
    news.store.moderate_comment(alone.id, "hide")
    over = comment(news, "hidden over held")
    comment(news, "held below", parent_id=over.id, status=CommentStatus.HELD)
    news.store.moderate_comment(over.id, "hide")
    comment(news, "on another article", article_id="n1")

    response = client.get("/api/v1/articles/n0/comments")
    assert response.status_code == 200
    page = CommentList.model_validate(response.json())
    assert page.article_id == "n0" and page.next_cursor is None
    shape = [(c.id, c.parent_id, c.depth, c.removed) for c in page.items]
    assert shape == [
        (first.id, None, 0, False),
        (answer.id, first.id, 1, False),
        (deeper.id, answer.id, 2, False),
        (second.id, None, 0, False),
        (second.id + 1, second.id, 1, False),
        (hidden.id, None, 0, True),
        (kept.id, hidden.id, 1, False),
    ]
    top = page.items[0]
    assert (top.author, top.body_markdown, top.body_html) == (
        "Ada",
        "*first*",
        "<p><em>first</em></p>",
    )
    assert top.page_url.endswith(f"/articles/n0#comment-{first.id}")
    placeholder = page.items[5]
    assert placeholder.author is None and placeholder.body_html is None
    assert placeholder.body_markdown is None and placeholder.edited_at is None
    text = response.text
    for secret in ("held", "hidden text", "hidden alone", "iphash-secret", "ada@example.com"):
        assert secret not in text, secret
    assert "reader_id" not in text and "ip_hash" not in text and "status" not in text


def test_comments_page_by_whole_threads(client: TestClient, news: MarketBrief) -> None:
    roots = [comment(news, f"thread {i}") for i in range(5)]
    answers = {root.id: comment(news, "answer", parent_id=root.id).id for root in roots}
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = CommentList.model_validate(
            client.get("/api/v1/articles/n0/comments", params=params).json()
        )
        pages += 1
        assert sum(c.parent_id is None for c in page.items) <= 2
        if pages == 1:  # a thread started meanwhile comes last, and shifts nothing
            late = comment(news, "late thread")
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [n for root in roots for n in (root.id, answers[root.id])] + [late.id]
    empty = client.get("/api/v1/articles/n1/comments").json()
    assert empty == {"article_id": "n1", "items": [], "next_cursor": None}


def test_hostile_comments_are_sanitised_html_and_plain_data(
    client: TestClient, news: MarketBrief
) -> None:
    stored = comment(news, HOSTILE + "\n\n[x](javascript:alert(1)) <b>raw</b>")
    # a body stored before the allowlist was what it is now is cleaned on the way out too
    legacy = news.store.add_comment(
        "n0",
        author_name=HOSTILE,
        body_markdown="old",
        body_html='<p onclick="alert(1)">old<script>alert(2)</script><img src=x></p>',
        status=CommentStatus.VISIBLE,
        now=NOW,
    )
    response = client.get("/api/v1/articles/n0/comments")
    assert response.headers["content-type"] == "application/json"
    items = {c["id"]: c for c in response.json()["items"]}
    tags = Tags()
    tags.feed(items[stored.id]["body_html"] + items[legacy.id]["body_html"])
    assert tags.found and tags.found <= {("p", ())}  # text, all of it: no live markup
    assert items[stored.id]["body_markdown"].startswith(HOSTILE)  # as written, as data
    assert items[legacy.id]["author"] == HOSTILE
    assert items[legacy.id]["body_html"] == "<p>old</p>"


def test_comments_of_an_unknown_article_are_not_found(
    client: TestClient, news: MarketBrief
) -> None:
    error = assert_error(client.get("/api/v1/articles/nope/comments"), 404)
    assert error["code"] == "not_found"
    assert_error(client.get("/api/v1/articles/n0/comments?cursor=abc"), 422)
    assert_error(client.get("/api/v1/articles/n0/comments?cursor=%C2%B2"), 422)  # "²" is a digit
    assert_error(client.get("/api/v1/stories?cursor=%C2%B2"), 400)  # to Python, not to int()
    assert_error(client.post("/api/v1/articles/n0/comments", data={"body": "x"}), 405)


def test_openapi_describes_the_api_only(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/articles/{article_id}/comments",
        "/api/v1/stories",
        "/api/v1/stories/{story_id}",
        "/api/v1/companies/{ticker}",
        "/api/v1/key-dates",
    }
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404


# ── one error shape over every route ──

BAD_PARAMS = {"limit": "abc", "days": "-1", "from": "not-a-date"}


def test_every_api_route_has_the_one_error_shape(client: TestClient, news: MarketBrief) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    paths = api_paths(app)
    assert len(paths) >= 7
    invalid = 0
    for path in paths:
        route = next(r for r in routes(app.routes) if r.path_format == path)
        concrete = path.replace("{article_id}", "nope").replace("{story_id}", "nope")
        concrete = concrete.replace("{ticker}", "NOPEX")
        if "{" in path:
            assert_error(client.get(concrete), 404)
        names = {p.alias for p in route.dependant.query_params}
        for name, bad in BAD_PARAMS.items():
            if name in names:
                error = assert_error(client.get(path, params={name: bad}), 422)
                assert error["code"] == "invalid" and name in error["message"]
                invalid += 1
        for method in ("post", "put", "delete"):
            assert_error(client.request(method, concrete), 405)
    assert invalid >= 5  # limit on four lists, days and from on key dates
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.get("/api/v1/articles?cursor=x.y"), 400)
    assert_error(client.get("/api/v1/stories?cursor=-1"), 400)
    assert_error(client.get("/api/v1/key-dates?from=1850-01-01"), 400)
    assert_error(client.get("/api/v1/key-dates?from=2026-02-30"), 400)
    assert_error(client.get("/api/v1/key-dates?from=0.0"), 422)  # not seconds since 1970
    assert_error(client.get("/api/v1/articles?limit=101"), 422)


def test_html_pages_keep_html_errors(client: TestClient) -> None:
    response = client.get("/articles?cursor=x.y")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
