"""The web app's safety net: headers on every response, tokens, sessions and CSRF."""

from __future__ import annotations

import html
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import Depends, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from news_support import HOSTILE, LIVE, NOW, XSS, make_analysis, seed_news

from marketbrief.core import MarketBrief, make_marketbrief
from marketbrief.errors import ConfigError
from marketbrief.model import Watchlist
from marketbrief.settings import load_settings
from marketbrief.web import create_app
from marketbrief.web.app import require_csrf, sign_in, signed_in_reader
from marketbrief.web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    InvalidToken,
    Tokens,
    load_secret_key,
)


def csrf_of(client: TestClient, brief: MarketBrief) -> str:
    """The token a form on a page of this browser would carry (pages with forms embed it)."""
    seed = client.cookies.get(CSRF_COOKIE)
    assert seed, "no CSRF cookie was set"
    return Tokens(load_secret_key(brief.settings)).csrf_token(seed)


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/healthz", "/no-such-page", "/static/site.css"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers  # plain http here


def test_hsts_when_the_public_address_is_https(brief: MarketBrief) -> None:
    settings = load_settings(public_url="https://news.example.org")
    with TestClient(create_app(settings, brief=brief)) as client:
        response = client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_pages_are_html_with_landmarks_and_errors_are_pages(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    for landmark in ("<header", "<nav", "<main", "<footer", 'lang="en"'):
        assert landmark in home.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "<main" in missing.text
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404
    assert api.json() == {"error": {"status": 404, "code": "not_found", "message": "Not Found"}}


def test_the_secret_key_is_made_once_private_and_kept(workspace: Path) -> None:
    settings = load_settings()
    first = load_secret_key(settings)
    assert load_secret_key(settings) == first
    mode = stat.S_IMODE(settings.secret_key_file.stat().st_mode)
    assert mode == 0o600
    assert load_secret_key(load_settings(secret_key="x" * 20)) == b"x" * 20
    with pytest.raises(ConfigError):
        load_secret_key(load_settings(secret_key="short"))


def test_tokens_are_bound_to_their_purpose_and_age() -> None:
    tokens = Tokens(b"k" * 32)
    token = tokens.make("confirm", {"reader": 7})
    assert tokens.read("confirm", token, max_age=60) == {"reader": 7}
    with pytest.raises(InvalidToken):
        tokens.read("unsubscribe", token, max_age=60)
    with pytest.raises(InvalidToken):
        Tokens(b"other key, 32 bytes long........").read("confirm", token, max_age=60)
    with pytest.raises(InvalidToken, match="expired"):
        tokens.read("confirm", token, max_age=-1)


@given(st.text(max_size=80))
def test_no_forged_token_passes(forged: str) -> None:
    tokens = Tokens(b"k" * 32)
    with pytest.raises(InvalidToken):
        tokens.read("unsubscribe", forged, max_age=3600)


def app_with_a_form(brief: MarketBrief) -> TestClient:
    app = create_app(brief.settings, brief=brief)

    @app.post("/test/change", dependencies=[Depends(require_csrf)])
    def change() -> PlainTextResponse:
        return PlainTextResponse("changed")

    @app.post("/test/sign-in/{reader_id}", dependencies=[Depends(require_csrf)])
    def log_in(request: Request, reader_id: int) -> PlainTextResponse:
        response = PlainTextResponse("in")
        sign_in(request, response, reader_id)
        return response

    @app.get("/test/who")
    def who(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(signed_in_reader(request)))

    return TestClient(app)


def test_a_state_changing_form_needs_its_csrf_token(brief: MarketBrief) -> None:
    with app_with_a_form(brief) as client:
        page = client.get("/")
        cookie = client.cookies.get(CSRF_COOKIE)
        assert cookie
        set_cookie = page.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie
        token = csrf_of(client, brief)
        assert client.post("/test/change", data={"csrf_token": token}).text == "changed"
        assert client.post("/test/change", data={}).status_code == 403
        assert client.post("/test/change", data={"csrf_token": "forged"}).status_code == 403
        # a token made for another browser's cookie does not pass here
        client.cookies.clear()
        client.cookies.set(CSRF_COOKIE, "someone-else")
        assert client.post("/test/change", data={"csrf_token": token}).status_code == 403


def test_the_session_cookie_is_signed(brief: MarketBrief) -> None:
    reader = brief.store.add_reader("ada@example.com", "Ada", Watchlist(), now=NOW)
    with app_with_a_form(brief) as client:
        client.get("/")
        token = csrf_of(client, brief)
        assert client.get("/test/who").text == "None"
        assert client.post("/test/sign-in/999", data={"csrf_token": token}).status_code == 404
        signed = client.post(f"/test/sign-in/{reader.id}", data={"csrf_token": token})
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=" in cookie
        assert client.get("/test/who").text == str(reader.id)
        forged = client.cookies[SESSION_COOKIE][:-2] + "xx"
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, forged)
        assert client.get("/test/who").text == "None"


# ── hostile news in the calendar page and the Atom feeds ─────────────────────────────────────


@pytest.fixture
def hostile_news(workspace: Path) -> Iterator[TestClient]:
    """The seeded news (with its hostile article) and a hostile date ahead, on a clock at NOW."""
    with make_marketbrief(load_settings(), clock=lambda: NOW) as brief:
        seed_news(brief)
        text = f"{XSS[0]} {XSS[2]} {XSS[4]} buyback\nMore."
        brief.store.save_analysis(
            make_analysis(
                "evil-date",
                published_at=NOW - timedelta(hours=1, minutes=30),
                title=HOSTILE,
                event="buyback",
                text=text,
            )
        )
        with TestClient(create_app(brief.settings, brief=brief, clock=lambda: NOW)) as client:
            yield client


@pytest.mark.parametrize(
    "url",
    [
        "/calendar?days=120",
        "/calendar?ticker=RTX&days=120",
        "/feeds/tickers/RTX.atom",
        "/feeds/sectors/Aerospace%20%26%20Defense.atom",
    ],
)
def test_hostile_news_stays_inert_in_the_calendar_and_atom(
    hostile_news: TestClient, url: str
) -> None:
    response = hostile_news.get(url)
    assert response.status_code == 200
    lowered = response.text.lower()
    page = url.startswith("/calendar")
    # In XML, a quote inside text is plain text: there only tags would be live.
    for live in LIVE if page else [x for x in LIVE if x.startswith("<")]:
        assert live not in lowered, live
    if page:
        assert "<script" not in lowered  # the CSP forbids scripts; none comes from the news
        shown = html.unescape(response.text)
        assert HOSTILE in shown  # the hostile article's title, as text
        assert f"{XSS[0]} {XSS[2]} {XSS[4]} buyback" in shown  # the date's detail, as text
    else:
        root = ET.fromstring(response.content)
        atom = "{http://www.w3.org/2005/Atom}"
        titles = [e.findtext(f"{atom}title") for e in root.iter(f"{atom}entry")]
        assert HOSTILE.replace("\r\n", "\n").replace("\r", "\n") in titles
