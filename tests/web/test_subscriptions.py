"""Subscriptions as a person (and a mail provider, and an attacker) uses them: subscribe, the
confirmation mail, confirm, manage, export, unsubscribe in one click, sign in by a link, delete.

Mail goes through the real ``OutboxMailer`` (no ``smtp_url``): each test reads the ``.eml``
files the app wrote and follows the links in them. Time is a clock the test moves.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from marketbrief.core import MarketBrief
from marketbrief.deliver import MAIL_POLICY
from marketbrief.deliver import links as mail_links
from marketbrief.deliver.outbox import one_line
from marketbrief.errors import NotFoundError
from marketbrief.model import Reader, ReaderStatus, Watchlist
from marketbrief.settings import load_settings
from marketbrief.web import create_app
from marketbrief.web.limits import WindowLimiter
from marketbrief.web.security import SESSION_COOKIE, Tokens
from marketbrief.web.subscriptions import HOUR, unsubscribe_url

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "';alert(String.fromCharCode(88,83,83))//",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    '<a href="javascript:alert(1)">x</a>',
    "&lt;script&gt;",
    "\u202e<b>mixed</b>\u0000\r\nBcc: x@evil.example",
)


# ── fixtures and helpers ─────────────────────────────────────────────────────────────────────


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Outbox:
    """The ``.eml`` files the app wrote; ``new()`` gives those not seen before."""

    folder: Path
    seen: set[str] = field(default_factory=set)

    def new(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []:
            if path.name not in self.seen:
                self.seen.add(path.name)
                found.append(
                    cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=MAIL_POLICY))
                )
        return found

    def count(self) -> int:
        return len(list(self.folder.glob("*.eml"))) if self.folder.is_dir() else 0


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def app(brief: MarketBrief, clock: Clock) -> FastAPI:
    return create_app(brief.settings, brief=brief, clock=clock)


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def outbox(brief: MarketBrief) -> Outbox:
    assert brief.settings.smtp_url is None
    return Outbox(brief.settings.outbox_dir)


def csrf_from(client: TestClient, path: str = "/subscribe") -> str:
    """The CSRF token of the form on ``path``, as the browser would send it back."""
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no form with a CSRF token on {path}"
    return found[1]


def link_in(message: EmailMessage, path: str) -> str:
    """The path and query of the link to ``path`` in ``message``'s text."""
    body = message.get_body(("plain",))
    assert body is not None
    for url in re.findall(r"https?://\S+", body.get_content()):
        parts = urlsplit(url)
        if parts.path.startswith(path):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link to {path} in {body.get_content()!r}")


def token_of(link: str) -> str:
    found = re.search(r"token=([^&]+)", link) or re.search(r"/signin/([^/?]+)", link)
    assert found
    return found[1]


def subscribe(
    client: TestClient, email: str, *, name: str = "Ada", tickers: str = "RTX, LMT", **extra: str
) -> Any:
    data = {"email": email, "name": name, "tickers": tickers, "csrf_token": csrf_from(client)}
    return client.post("/subscribe", data=data | extra, follow_redirects=False)


def preferences(csrf: str, **fields: Any) -> dict[str, Any]:
    """The manage form as a browser sends it: what the page holds, with ``fields`` changed."""
    return {
        "csrf_token": csrf,
        "name": "",
        "tickers": "",
        "cadence": "daily",
        "send_time": "07:00",
        "timezone": "UTC",
        "weekday": "Monday",
    } | fields


def one_click(app: FastAPI, path: str = "/unsubscribe", **params: Any) -> Any:
    """The RFC 8058 POST a mail provider sends: no cookie, no CSRF token."""
    with TestClient(app) as provider:
        return provider.post(
            path,
            params=params or None,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )


def confirmed_reader(brief: MarketBrief, email: str, **watch: Any) -> Reader:
    return brief.store.add_reader(
        email, "Bo", Watchlist(**watch), now=START, status=ReaderStatus.CONFIRMED
    )


def sign_in_as(client: TestClient, app: FastAPI, reader: Reader) -> None:
    """Sign in the way a reader does: the link of a sign-in mail, then its button."""
    token = cast(Tokens, app.state.tokens).make("signin", reader.id)
    response = client.post(
        f"/signin/{token}", data={"csrf_token": csrf_from(client)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every route of the app, those of included routers too (FastAPI keeps them in an
    included-router entry of ``app.routes``)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def db_state(brief: MarketBrief, emails: list[str]) -> Any:
    store = brief.store
    readers = [store.reader_data(r.id) for r in store.list_readers()]
    since = START - timedelta(days=1)
    notices = {e: store.count_notices(e, since=since) for e in emails}
    return json.dumps([readers, notices], default=str, sort_keys=True)


# ── the whole flow ───────────────────────────────────────────────────────────────────────────


def test_subscribe_confirm_manage_export_and_unsubscribe_in_one_click(
    web: TestClient, app: FastAPI, brief: MarketBrief, outbox: Outbox, clock: Clock
) -> None:
    home = web.get("/")
    assert 'action="/subscribe"' in home.text and 'name="email"' in home.text

    response = subscribe(web, "Ada@Example.com", tickers="rtx, $lmt rtx")
    assert response.status_code == 303
    assert response.headers["location"] == "/subscribe/sent"
    assert "Check your inbox" in web.get("/subscribe/sent").text
    reader = brief.store.get_reader("ada@example.com")
    assert reader.status is ReaderStatus.PENDING
    assert reader.watchlist.tickers == ("RTX", "LMT")
    assert reader.confirmed_at is None

    [mail] = outbox.new()
    assert mail["To"] == "ada@example.com"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "Confirm" in mail["Subject"]
    link = link_in(mail, "/confirm")

    # the link only shows a button: a mail scanner fetching it confirms nothing
    page = web.get(link)
    assert page.status_code == 200
    assert "Confirm my subscription" in page.text and "ada@example.com" in page.text
    assert brief.store.get_reader(reader.id).status is ReaderStatus.PENDING

    clock.advance(minutes=5)
    response = web.post(
        "/confirm",
        data={"token": token_of(link), "csrf_token": csrf_from(web, link)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/manage?welcome=1"
    reader = brief.store.get_reader(reader.id)
    assert reader.status is ReaderStatus.CONFIRMED
    assert reader.confirmed_at == clock.now

    manage = web.get("/manage?welcome=1")
    assert manage.status_code == 200
    assert "You are subscribed" in manage.text and "ada@example.com" in manage.text
    assert 'value="RTX, LMT"' in manage.text

    response = web.post(
        "/manage",
        data=preferences(
            csrf_from(web, "/manage"),
            name="Ada L.",
            tickers="aapl, msft",
            sectors=["Energy", "Utilities"],
            event_types=["mna", "central_bank"],
            cadence="weekly",
            send_time="06:30",
            timezone="Europe/London",
            weekday="Friday",
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/manage?saved=1"
    reader = brief.store.get_reader(reader.id)
    assert reader.name == "Ada L."
    assert reader.watchlist == Watchlist(
        tickers=("AAPL", "MSFT"),
        sectors=("Energy", "Utilities"),
        event_types=("mna", "central_bank"),
    )
    assert (reader.cadence, reader.timezone, reader.send_time, reader.weekday) == (
        "weekly",
        "Europe/London",
        time(6, 30),
        4,
    )
    saved = web.get("/manage?saved=1").text
    assert "Saved." in saved and 'value="Europe/London"' in saved

    export = web.get("/manage/export")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/json")
    assert "attachment" in export.headers["content-disposition"]
    data = export.json()
    assert data["reader"]["email"] == "ada@example.com"
    assert data["reader"]["watchlist"]["tickers"] == ["AAPL", "MSFT"]

    # the link a briefing carries (made by the sender, from the settings alone)
    sender_link = mail_links.unsubscribe_url(brief.settings, reader.id, clock=clock)
    assert sender_link == unsubscribe_url(brief.settings, app.state.tokens, reader.id)
    parts = urlsplit(sender_link)
    response = one_click(app, f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert "unsubscribed" in response.text
    assert brief.store.get_reader(reader.id).status is ReaderStatus.UNSUBSCRIBED


def test_one_click_works_as_multipart_and_the_page_form_needs_csrf(
    web: TestClient, app: FastAPI, brief: MarketBrief
) -> None:
    reader = confirmed_reader(brief, "cy@example.com")
    link = unsubscribe_url(brief.settings, app.state.tokens, reader.id)
    path = urlsplit(link).path + "?" + urlsplit(link).query

    page = web.get(path)
    assert page.status_code == 200 and 'action="/unsubscribe"' in page.text
    assert brief.store.get_reader(reader.id).status is ReaderStatus.CONFIRMED
    # the page's form without its CSRF token does nothing
    token = token_of(path)
    assert web.post("/unsubscribe", data={"token": token}).status_code == 403
    assert brief.store.get_reader(reader.id).status is ReaderStatus.CONFIRMED
    response = web.post("/unsubscribe", data={"token": token, "csrf_token": csrf_from(web, path)})
    assert response.status_code == 200
    assert brief.store.get_reader(reader.id).status is ReaderStatus.UNSUBSCRIBED
    assert "gets no briefings" in web.get(path).text

    other = confirmed_reader(brief, "di@example.com")
    link = unsubscribe_url(brief.settings, app.state.tokens, other.id)
    with TestClient(app) as provider:
        response = provider.post(
            urlsplit(link).path + "?" + urlsplit(link).query,
            files={"List-Unsubscribe": (None, "One-Click")},
        )
    assert response.status_code == 200
    assert brief.store.get_reader(other.id).status is ReaderStatus.UNSUBSCRIBED


# ── tokens ───────────────────────────────────────────────────────────────────────────────────


def test_forged_expired_and_misused_tokens_do_nothing(
    web: TestClient, app: FastAPI, brief: MarketBrief, outbox: Outbox, clock: Clock
) -> None:
    subscribe(web, "eve@example.com")
    [mail] = outbox.new()
    link = link_in(mail, "/confirm")
    token = token_of(link)
    pending = brief.store.get_reader("eve@example.com")
    tokens: Tokens = app.state.tokens
    csrf = csrf_from(web)

    forged = [
        token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        tokens.make("unsubscribe", pending.id),  # another purpose
        tokens.make("confirm", str(pending.id)),  # not an id
        tokens.make("confirm", True),
        tokens.make("confirm", 10_000),  # no such reader
        Tokens(b"another key entirely, 32 bytes..").make("confirm", pending.id),
        "",
    ]
    for bad in forged:
        assert web.get("/confirm", params={"token": bad}).status_code == 400
        response = web.post("/confirm", data={"token": bad, "csrf_token": csrf})
        assert response.status_code == 400
        assert not web.cookies.get(SESSION_COOKIE)
    assert brief.store.get_reader(pending.id).status is ReaderStatus.PENDING

    clock.advance(days=3, seconds=1)
    expired = web.get(link)
    assert expired.status_code == 400 and "expired" in expired.text
    csrf = csrf_from(web)  # form tokens expire too (a day)
    assert web.post("/confirm", data={"token": token, "csrf_token": csrf}).status_code == 400
    assert brief.store.get_reader(pending.id).status is ReaderStatus.PENDING

    reader = confirmed_reader(brief, "fay@example.com")
    for bad in (
        tokens.make("signin", reader.id),
        tokens.make("confirm", reader.id),
        tokens.make("unsubscribe", [reader.id]),
        "x" * 500,
    ):
        assert one_click(app, token=bad).status_code == 400
    assert brief.store.get_reader(reader.id).status is ReaderStatus.CONFIRMED

    signin = tokens.make("signin", reader.id)
    clock.advance(minutes=31)
    assert web.get(f"/signin/{signin}").status_code == 400
    assert web.post(f"/signin/{signin}", data={"csrf_token": csrf}).status_code == 400
    assert web.get("/manage", follow_redirects=False).headers["location"] == "/signin"

    # an unsubscribe link in a briefing keeps working for a year
    old = tokens.make("unsubscribe", reader.id)
    clock.advance(days=360)
    assert web.get("/unsubscribe", params={"token": old}).status_code == 200


@given(st.text(max_size=200))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_made_up_token_unsubscribes_anyone(app: FastAPI, brief: MarketBrief, made: str) -> None:
    try:
        reader = brief.store.get_reader("gus@example.com")
    except NotFoundError:
        reader = confirmed_reader(brief, "gus@example.com")
    assert one_click(app, token=made).status_code == 400
    assert brief.store.get_reader(reader.id).status is ReaderStatus.CONFIRMED


# ── rate limits, honeypot, CSRF ──────────────────────────────────────────────────────────────


def test_confirmation_mails_are_rate_limited_per_address(
    web: TestClient, brief: MarketBrief, outbox: Outbox, clock: Clock
) -> None:
    limit = brief.settings.confirm_rate
    responses = []
    for _ in range(limit + 1):
        responses.append(subscribe(web, "hal@example.com"))
        clock.advance(minutes=1)
    assert len(outbox.new()) == limit
    # the page says the same whether or not a mail went out
    assert {(r.status_code, r.headers["location"]) for r in responses} == {(303, "/subscribe/sent")}
    subscribe(web, "ivy@example.com")  # another address is not held back
    assert len(outbox.new()) == 1
    clock.advance(hours=1)
    subscribe(web, "hal@example.com")
    assert len(outbox.new()) == 1


def test_one_client_cannot_send_mail_to_many_addresses(
    web: TestClient, app: FastAPI, outbox: Outbox, clock: Clock
) -> None:
    app.state.mail_limiter = WindowLimiter(2, HOUR, clock=clock)
    assert subscribe(web, "a1@example.com").status_code == 303
    assert subscribe(web, "a2@example.com").status_code == 303
    refused = subscribe(web, "a3@example.com")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    signin = web.post(
        "/signin", data={"email": "a1@example.com", "csrf_token": csrf_from(web, "/signin")}
    )
    assert signin.status_code == 429
    assert len(outbox.new()) == 2
    clock.advance(hours=1, seconds=1)
    assert subscribe(web, "a3@example.com").status_code == 303
    assert len(outbox.new()) == 1


def test_the_honeypot_turns_bots_away_quietly(
    web: TestClient, brief: MarketBrief, outbox: Outbox
) -> None:
    response = subscribe(web, "bot@example.com", website="http://spam.example")
    assert response.status_code == 303 and response.headers["location"] == "/subscribe/sent"
    with pytest.raises(NotFoundError):
        brief.store.get_reader("bot@example.com")
    assert outbox.new() == []
    # people never see it: off screen, out of the tab order, hidden from screen readers
    form = web.get("/subscribe").text
    assert re.search(r'class="hp" aria-hidden="true"', form)
    assert re.search(r'name="website"[^>]*tabindex="-1"', form)


def test_every_form_post_without_its_csrf_token_is_refused(
    web: TestClient, app: FastAPI, brief: MarketBrief, outbox: Outbox
) -> None:
    reader = confirmed_reader(brief, "jo@example.com", tickers=("RTX",))
    sign_in_as(web, app, reader)
    tokens: Tokens = app.state.tokens
    before = db_state(brief, ["jo@example.com"])
    data = preferences(
        "",
        email="jo@example.com",
        tickers="AAPL",
        confirm_delete="yes",
        token=tokens.make("unsubscribe", reader.id),
    )
    del data["csrf_token"]
    posts = [
        r.path_format.replace("{token}", tokens.make("signin", reader.id))
        for r in api_routes(app.routes)
        if "POST" in r.methods
    ]
    assert {"/subscribe", "/confirm", "/unsubscribe", "/signin", "/manage"} <= set(posts)
    for path in posts:
        for csrf in (None, "forged", tokens.csrf_token("another browser's seed")):
            sent = data | ({"csrf_token": csrf} if csrf else {})
            response = web.post(path, data=sent, follow_redirects=False)
            assert response.status_code == 403, path
    assert db_state(brief, ["jo@example.com"]) == before
    assert outbox.new() == []
    assert web.get("/manage").status_code == 200  # still signed in


# ── no GET changes anything ──────────────────────────────────────────────────────────────────


def test_no_get_route_changes_state(
    web: TestClient, app: FastAPI, brief: MarketBrief, outbox: Outbox
) -> None:
    subscribe(web, "kim@example.com")
    pending = brief.store.get_reader("kim@example.com")
    reader = confirmed_reader(brief, "lou@example.com", tickers=("RTX",))
    tokens: Tokens = app.state.tokens
    urls = {
        "/confirm": f"/confirm?token={tokens.make('confirm', pending.id)}",
        "/unsubscribe": f"/unsubscribe?token={tokens.make('unsubscribe', reader.id)}",
        "/signin/{token}": f"/signin/{tokens.make('signin', reader.id)}",
        # the web reader's pages and API: nothing stored, so most answer 404
        "/articles/{article_id}": "/articles/a1",
        "/articles/{article_id}/comments": "/articles/a1/comments",
        "/comments/{comment_id}/held": "/comments/1/held",
        "/comments/{comment_id}/edit": "/comments/1/edit",
        "/stories/{story_id}": "/stories/s1",
        "/tickers/{ticker}": "/tickers/RTX",
        "/api/v1/articles/{article_id}": "/api/v1/articles/a1",
        "/api/v1/articles/{article_id}/comments": "/api/v1/articles/a1/comments",
        "/api/v1/stories/{story_id}": "/api/v1/stories/s1",
        "/api/v1/companies/{ticker}": "/api/v1/companies/RTX",
        "/feeds/tickers/{ticker}.xml": "/feeds/tickers/RTX.xml",
        "/feeds/sectors/{sector}.xml": "/feeds/sectors/Energy.xml",
        "/feeds/readers/{token}.xml": f"/feeds/readers/{tokens.make('feed', reader.id)}.xml",
        "/feeds/tickers/{ticker}.atom": "/feeds/tickers/RTX.atom",
        "/feeds/sectors/{sector}.atom": "/feeds/sectors/Energy.atom",
        "/feeds/readers/{token}.atom": f"/feeds/readers/{tokens.make('feed', reader.id)}.atom",
        "/calendar/tickers/{ticker}.ics": "/calendar/tickers/RTX.ics",
        "/calendar/readers/{token}.ics": f"/calendar/readers/{tokens.make('feed', reader.id)}.ics",
    }
    gets = [r.path_format for r in api_routes(app.routes) if "GET" in r.methods]
    missing = [p for p in gets if "{" in p and p not in urls]
    assert not missing, f"give these GET routes a URL in this test: {missing}"
    assert {"/", "/subscribe", "/confirm", "/unsubscribe", "/signin", "/manage"} <= set(gets)
    emails = ["kim@example.com", "lou@example.com"]
    anonymous = TestClient(app)
    signed_in = TestClient(app)
    sign_in_as(signed_in, app, reader)  # a POST: it begins a session
    before = db_state(brief, emails)
    mails = outbox.count()
    for client in (anonymous, signed_in):
        for path in gets:
            response = client.get(urls.get(path, path), follow_redirects=False)
            assert response.status_code < 500, path
            assert db_state(brief, emails) == before, f"GET {path} changed the database"
    assert outbox.count() == mails
    assert brief.store.get_reader(pending.id).status is ReaderStatus.PENDING
    assert brief.store.get_reader(reader.id).status is ReaderStatus.CONFIRMED


# ── addresses, sign-in ───────────────────────────────────────────────────────────────────────


def test_an_address_already_known_gets_the_same_page_and_a_fitting_mail(
    web: TestClient, brief: MarketBrief, outbox: Outbox
) -> None:
    known = confirmed_reader(brief, "max@example.com", tickers=("RTX",))
    new = subscribe(web, "new@example.com", name="New")
    again = subscribe(web, "max@example.com", name="Mallory", tickers="AAPL")
    assert (new.status_code, new.headers["location"]) == (
        again.status_code,
        again.headers["location"],
    )
    # the known reader's subscription is not changed by a stranger's form
    assert brief.store.get_reader(known.id) == known
    mails = {str(m["To"]): m for m in outbox.new()}
    assert "Confirm" in mails["new@example.com"]["Subject"]
    already = mails["max@example.com"]
    assert "already" in already["Subject"]
    assert link_in(already, "/signin/")
    # nothing a visitor typed goes into a mail
    body = already.get_body(("plain",))
    assert body is not None and "Mallory" not in body.get_content()

    # a pending address gets its confirmation again (the mail may have been lost)
    subscribe(web, "new@example.com")
    [resent] = outbox.new()
    assert "Confirm" in resent["Subject"]


def test_sign_in_by_a_link_in_email(
    web: TestClient, brief: MarketBrief, outbox: Outbox, clock: Clock
) -> None:
    reader = confirmed_reader(brief, "ned@example.com")
    subscribe(web, "pat@example.com")  # pending: never confirmed
    outbox.new()
    answers = []
    for email in ("ned@example.com", "nobody@example.com", "pat@example.com"):
        response = web.post(
            "/signin",
            data={"email": email, "csrf_token": csrf_from(web, "/signin")},
            follow_redirects=False,
        )
        answers.append((response.status_code, response.headers["location"]))
    assert set(answers) == {(303, "/signin/sent")}
    [mail] = outbox.new()
    assert mail["To"] == "ned@example.com"
    link = link_in(mail, "/signin/")

    page = web.get(link)
    assert page.status_code == 200 and "Sign in as" in page.text
    assert web.get("/manage", follow_redirects=False).headers["location"] == "/signin"
    clock.advance(minutes=10)
    response = web.post(link, data={"csrf_token": csrf_from(web, link)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/manage"
    assert "ned@example.com" in web.get("/manage").text
    assert brief.store.get_reader(reader.id) == reader  # signing in changes nothing stored

    bad = web.post("/signin", data={"email": "not an address", "csrf_token": csrf_from(web)})
    assert bad.status_code == 400
    assert 'aria-describedby="email-error"' in bad.text and 'aria-invalid="true"' in bad.text

    web.post("/signout", data={"csrf_token": csrf_from(web, "/manage")})
    assert web.get("/manage", follow_redirects=False).headers["location"] == "/signin"


def test_an_unsubscribed_reader_can_sign_in_resume_stop_and_delete(
    web: TestClient, app: FastAPI, brief: MarketBrief, clock: Clock
) -> None:
    reader = confirmed_reader(brief, "oli@example.com")
    brief.store.update_reader(replace(reader, status=ReaderStatus.UNSUBSCRIBED))
    sign_in_as(web, app, reader)
    page = web.get("/manage").text
    assert "Briefings are stopped" in page and 'action="/manage/resume"' in page
    clock.advance(days=2)
    web.post("/manage/resume", data={"csrf_token": csrf_from(web, "/manage")})
    resumed = brief.store.get_reader(reader.id)
    assert resumed.status is ReaderStatus.CONFIRMED and resumed.confirmed_at == clock.now
    web.post("/manage/stop", data={"csrf_token": csrf_from(web, "/manage")})
    assert brief.store.get_reader(reader.id).status is ReaderStatus.UNSUBSCRIBED

    refused = web.post("/manage/delete", data={"csrf_token": csrf_from(web, "/manage")})
    assert refused.status_code == 400 and "Tick the box" in refused.text
    assert brief.store.get_reader(reader.id)
    deleted = web.post(
        "/manage/delete", data={"csrf_token": csrf_from(web, "/manage"), "confirm_delete": "yes"}
    )
    assert deleted.status_code == 200 and "deleted" in deleted.text
    with pytest.raises(NotFoundError):
        brief.store.get_reader(reader.id)
    assert not web.cookies.get(SESSION_COOKIE)
    assert web.get("/manage", follow_redirects=False).headers["location"] == "/signin"


# ── manage ───────────────────────────────────────────────────────────────────────────────────


def test_manage_needs_a_session(web: TestClient, brief: MarketBrief) -> None:
    confirmed_reader(brief, "quinn@example.com")
    before = db_state(brief, [])
    csrf = csrf_from(web)
    for method, path in (
        ("GET", "/manage"),
        ("GET", "/manage/export"),
        ("POST", "/manage"),
        ("POST", "/manage/stop"),
        ("POST", "/manage/resume"),
        ("POST", "/manage/delete"),
    ):
        data = {"csrf_token": csrf, "confirm_delete": "yes"} if method == "POST" else None
        response = web.request(method, path, data=data, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/signin"), path
    assert db_state(brief, []) == before


def test_manage_says_what_is_wrong_beside_each_field(
    web: TestClient, app: FastAPI, brief: MarketBrief
) -> None:
    reader = confirmed_reader(brief, "ray@example.com", tickers=("RTX",))
    sign_in_as(web, app, reader)
    response = web.post(
        "/manage",
        data=preferences(
            csrf_from(web, "/manage"),
            name="Ray",
            tickers="AAPL, ZZZZQ, NOTATICKER",
            sectors=["Energy", "Astrology"],
            event_types=["mna", "rumour"],
            cadence="hourly",
            send_time="25:00",
            timezone="Mars/Olympus",
            weekday="Caturday",
        ),
    )
    assert response.status_code == 400
    page = response.text
    assert "Unknown tickers: ZZZZQ, NOTATICKER" in page
    for name in ("tickers", "sectors", "event_types", "cadence", "send_time", "timezone"):
        assert f'id="{name}-error"' in page, name
        assert re.search(rf'id="{name}"[^>]*aria-describedby="[^"]*{name}-error', page), name
    assert "Not a time zone" in page and "Astrology" in page
    assert 'value="AAPL, ZZZZQ, NOTATICKER"' in page  # what was typed stays in the form
    assert 'class="error-summary" role="alert"' in page
    assert brief.store.get_reader(reader.id) == reader


def test_every_input_has_a_label(web: TestClient, app: FastAPI, brief: MarketBrief) -> None:
    reader = confirmed_reader(brief, "sam@example.com")
    sign_in_as(web, app, reader)
    for path in ("/", "/subscribe", "/signin", "/manage"):
        page = Page.of(web.get(path).text)
        assert page.landmarks >= {"header", "nav", "main", "footer"}, path
        for input_id in page.inputs:
            assert input_id in page.labels, f"{path}: no label for #{input_id}"


# ── one reader never touches another ─────────────────────────────────────────────────────────


def test_a_reader_can_never_touch_another(
    web: TestClient, app: FastAPI, brief: MarketBrief
) -> None:
    a = confirmed_reader(brief, "ann@example.com", tickers=("RTX",))
    b = confirmed_reader(brief, "ben@example.com", tickers=("LMT",))
    sign_in_as(web, app, a)
    response = web.post(
        "/manage",
        data=preferences(
            csrf_from(web, "/manage"),
            reader_id=str(b.id),
            id=str(b.id),
            email="ben@example.com",
            name="changed",
            tickers="AAPL",
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert brief.store.get_reader(a.id).watchlist.tickers == ("AAPL",)
    assert brief.store.get_reader(b.id) == b
    export = web.get("/manage/export", params={"reader_id": b.id}).json()
    assert export["reader"]["email"] == "ann@example.com"
    assert "ben@example.com" not in json.dumps(export)

    # A's unsubscribe link stops A's briefings only, whatever else the request says
    token = app.state.tokens.make("unsubscribe", a.id)
    with TestClient(app) as provider:
        provider.post(
            "/unsubscribe",
            params={"token": token, "reader_id": b.id},
            data={"List-Unsubscribe": "One-Click", "reader_id": str(b.id), "token": "x"},
        )
    assert brief.store.get_reader(a.id).status is ReaderStatus.UNSUBSCRIBED
    assert brief.store.get_reader(b.id).status is ReaderStatus.CONFIRMED

    # a session cookie for B made with another key is no session at all
    other_key = Tokens(b"not this installation's key.....").make("session", b.id)
    with TestClient(app) as intruder:
        intruder.cookies.set(SESSION_COOKIE, other_key)
        assert intruder.get("/manage", follow_redirects=False).headers["location"] == "/signin"
    # nor is a token of another purpose carrying B's id
    with TestClient(app) as intruder:
        intruder.cookies.set(SESSION_COOKIE, app.state.tokens.make("unsubscribe", b.id))
        assert intruder.get("/manage", follow_redirects=False).headers["location"] == "/signin"


# ── hostile input ────────────────────────────────────────────────────────────────────────────


class Page(HTMLParser):
    """What an HTML page holds that matters here: scripts, event handlers, links, labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts = 0
        self.handlers: list[str] = []
        self.bad_links: list[str] = []
        self.inputs: list[str] = []
        self.labels: set[str] = set()
        self.landmarks: set[str] = set()

    @classmethod
    def of(cls, text: str) -> Page:
        page = cls()
        page.feed(text)
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "iframe", "object", "embed", "svg", "img"):
            self.scripts += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        for name in ("href", "src", "action", "formaction"):
            if (values.get(name) or "").strip().lower().startswith(("javascript:", "data:")):
                self.bad_links.append(values[name] or "")
        if tag in ("input", "select", "textarea") and values.get("type") not in (
            "hidden",
            "submit",
        ):
            self.inputs.append(values.get("id") or "(no id)")
        if tag == "label" and values.get("for"):
            self.labels.add(values["for"] or "")
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.add(tag)

    def inert(self) -> bool:
        return self.scripts == 0 and not self.handlers and not self.bad_links


hostile = st.one_of(
    st.sampled_from(XSS),
    st.text(max_size=120),
    st.lists(st.sampled_from((*XSS, "AAPL", ",", " ")), max_size=6).map("".join),
)


@given(name=hostile, tickers=hostile)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_hostile_names_and_tickers_render_inert(
    web: TestClient, app: FastAPI, brief: MarketBrief, name: str, tickers: str
) -> None:
    try:
        reader = brief.store.get_reader("tess@example.com")
    except NotFoundError:
        reader = confirmed_reader(brief, "tess@example.com")
    if not web.cookies.get(SESSION_COOKIE):
        sign_in_as(web, app, reader)
    answer = web.post(
        "/manage", data=preferences(csrf_from(web, "/manage"), name=name, tickers=tickers)
    )
    assert answer.status_code in (200, 400)
    for text in (answer.text, web.get("/manage").text):
        assert Page.of(text).inert(), (name, tickers)
        for typed in (name, tickers):
            if any(payload in typed for payload in XSS if "<" in payload):
                assert typed not in text
    if answer.status_code == 200:  # saved: the name shows, escaped, on one line
        assert str(escape(one_line(name))) in answer.text

    response = web.post(
        "/subscribe",
        data={"csrf_token": csrf_from(web), "email": "<x>@example.com", "name": name},
    )
    assert response.status_code == 400
    assert Page.of(response.text).inert()


# ── mail that cannot or must not go ──────────────────────────────────────────────────────────


def test_a_suppressed_address_gets_no_mail_and_the_page_says_the_same(
    web: TestClient, brief: MarketBrief, outbox: Outbox
) -> None:
    brief.store.suppress("uma@example.com", now=START, reason="complaint")
    response = subscribe(web, "uma@example.com")
    assert (response.status_code, response.headers["location"]) == (303, "/subscribe/sent")
    assert outbox.new() == []
    assert brief.store.count_notices("uma@example.com", since=START - HOUR) == 0


def test_when_the_mail_server_is_down_the_page_says_so_and_nothing_is_counted(
    brief: MarketBrief, clock: Clock
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = load_settings(smtp_url=f"smtp://127.0.0.1:{port}?starttls=never&timeout=5")
    with TestClient(create_app(down, brief=brief, clock=clock)) as client:
        response = subscribe(client, "vic@example.com")
    assert response.status_code == 503
    assert "try again" in response.text
    assert brief.store.count_notices("vic@example.com", since=START - HOUR) == 0
