"""Sessions as readers use them, and as someone holding a copy of a cookie would: sign-out ends
a session for good, "sign out everywhere" ends all of a reader's, deletion ends them with the
reader; one reader's sessions never touch another's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marketbrief.core import MarketBrief
from marketbrief.model import Reader, ReaderStatus, Watchlist
from marketbrief.web import create_app
from marketbrief.web.security import SESSION_COOKIE, SESSION_MAX_AGE, Tokens

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def app(brief: MarketBrief, clock: Clock) -> FastAPI:
    return create_app(brief.settings, brief=brief, clock=clock)


@pytest.fixture
def browsers(app: FastAPI) -> Iterator[list[TestClient]]:
    opened: list[TestClient] = []
    yield opened
    for browser in opened:
        browser.__exit__(None, None, None)


def browser(app: FastAPI, browsers: list[TestClient], cookie: str | None = None) -> TestClient:
    """A new browser; with ``cookie``, one that holds a copy of that session cookie."""
    client = TestClient(app)
    client.__enter__()
    browsers.append(client)
    if cookie is not None:
        client.cookies.set(SESSION_COOKIE, cookie)
    return client


def csrf_from(client: TestClient, path: str = "/signin") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no form with a CSRF token on {path}"
    return found[1]


def sign_in(client: TestClient, app: FastAPI, reader: Reader) -> str:
    """Sign in by the mailed link's button, a new link asked for a second later (a link is
    spent by any sign-in since it was made); the session cookie it set."""
    app.state.clock.now += timedelta(seconds=1)
    token = cast(Tokens, app.state.tokens).make("signin", reader.id)
    response = client.post(
        f"/signin/{token}", data={"csrf_token": csrf_from(client)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


def signed_in(client: TestClient) -> bool:
    """Whether ``/manage`` shows the reader's page (else it sends the browser to sign in)."""
    response = client.get("/manage", follow_redirects=False)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def reader(brief: MarketBrief, email: str) -> Reader:
    return brief.store.add_reader(email, "Ada", Watchlist(), now=START)


def test_a_copied_cookie_stops_working_when_its_session_signs_out(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    ada = reader(brief, "ada@example.com")
    mine = browser(app, browsers)
    cookie = sign_in(mine, app, ada)
    copy = browser(app, browsers, cookie)
    elsewhere = browser(app, browsers)
    sign_in(elsewhere, app, ada)  # Ada on another device: another session
    assert signed_in(mine) and signed_in(copy) and signed_in(elsewhere)

    response = mine.post(
        "/signout", data={"csrf_token": csrf_from(mine, "/manage")}, follow_redirects=False
    )
    assert response.status_code == 303
    assert not mine.cookies.get(SESSION_COOKIE)
    assert not signed_in(mine)
    assert not signed_in(copy)  # the copy of the cookie is worth nothing now
    assert not signed_in(browser(app, browsers, cookie))
    assert signed_in(elsewhere)  # one sign-out ends one session
    assert "Sign in" in copy.get("/").text


def test_sign_out_everywhere_ends_every_session_of_the_reader_only(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient], clock: Clock
) -> None:
    ada = reader(brief, "ada@example.com")
    bob = reader(brief, "bob@example.com")
    phone, laptop, bobs = browser(app, browsers), browser(app, browsers), browser(app, browsers)
    cookies = [sign_in(phone, app, ada), sign_in(laptop, app, ada)]
    sign_in(bobs, app, bob)
    page = laptop.get("/manage").text
    assert 'action="/manage/signout-everywhere"' in page

    response = laptop.post(
        "/manage/signout-everywhere",
        data={"csrf_token": csrf_from(laptop, "/manage")},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/signin?everywhere=1")
    assert "signed out in every browser" in laptop.get("/signin?everywhere=1").text
    assert not signed_in(phone) and not signed_in(laptop)
    for cookie in cookies:
        assert not signed_in(browser(app, browsers, cookie))
    assert signed_in(bobs)  # another reader's sessions are theirs
    assert brief.store.get_reader(ada.id) == ada  # only the sessions ended

    clock.now += timedelta(minutes=1)
    sign_in(phone, app, ada)  # a sign-in afterwards begins a session that works
    assert signed_in(phone)


def test_another_readers_sign_out_touches_no_one_else(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    ada = reader(brief, "ada@example.com")
    bob = reader(brief, "bob@example.com")
    hers, his = browser(app, browsers), browser(app, browsers)
    sign_in(hers, app, ada)
    sign_in(his, app, bob)
    his.post("/signout", data={"csrf_token": csrf_from(his)})
    his_cookie = sign_in(his, app, bob)
    his.post("/manage/signout-everywhere", data={"csrf_token": csrf_from(his, "/manage")})
    assert signed_in(hers) and not signed_in(his)
    # Bob's ended cookie, sent with Ada's name in the form, is still nobody's session
    intruder = browser(app, browsers, his_cookie)
    data = {"csrf_token": csrf_from(intruder), "reader_id": str(ada.id)}
    response = intruder.post("/manage/signout-everywhere", data=data, follow_redirects=False)
    assert response.headers["location"] == "/signin"
    assert signed_in(hers)


def test_deleting_the_reader_ends_every_session(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    ada = reader(brief, "ada@example.com")
    mine, other = browser(app, browsers), browser(app, browsers)
    cookie = sign_in(mine, app, ada)
    sign_in(other, app, ada)
    deleted = mine.post(
        "/manage/delete", data={"csrf_token": csrf_from(mine, "/manage"), "confirm_delete": "yes"}
    )
    assert deleted.status_code == 200 and "signed out everywhere" in deleted.text
    assert not mine.cookies.get(SESSION_COOKIE)
    assert not signed_in(other) and not signed_in(browser(app, browsers, cookie))
    # a new reader of the same address inherits nothing
    again = reader(brief, "ada@example.com")
    assert brief.store.session_reader(cookie, now=START, max_age=timedelta(days=1)) is None
    assert not brief.store.has_sessions(again.id)
    assert not signed_in(browser(app, browsers, cookie))


def test_a_sign_in_ends_the_session_the_browser_had(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    ada = reader(brief, "ada@example.com")
    bob = reader(brief, "bob@example.com")
    shared = browser(app, browsers)
    before = sign_in(shared, app, ada)
    after = sign_in(shared, app, bob)  # someone else signs in on the same browser
    assert before != after
    assert not signed_in(browser(app, browsers, before))
    assert "bob@example.com" in shared.get("/manage").text


def test_unsubscribing_keeps_the_reader_signed_in(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    """Stopping the briefings is not signing out: the reader may resume, export or delete."""
    ada = reader(brief, "ada@example.com")
    mine = browser(app, browsers)
    sign_in(mine, app, ada)
    mine.post("/manage/stop", data={"csrf_token": csrf_from(mine, "/manage")})
    token = cast(Tokens, app.state.tokens).make("unsubscribe", ada.id)
    one_click = browser(app, browsers)
    one_click.post(
        f"/unsubscribe?token={token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert signed_in(mine)


def test_a_session_lasts_its_age_and_no_longer(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient], clock: Clock
) -> None:
    ada = reader(brief, "ada@example.com")
    mine = browser(app, browsers)
    cookie = sign_in(mine, app, ada)
    clock.now += timedelta(seconds=SESSION_MAX_AGE - 60)
    assert signed_in(browser(app, browsers, cookie))
    clock.now += timedelta(seconds=61)
    assert not signed_in(browser(app, browsers, cookie))


def test_a_signed_value_that_is_no_session_secret_signs_no_one_in(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    """A cookie signed with the installation's key but carrying no live session's secret — a
    reader id, as a forged or pre-session cookie would — is no session."""
    tokens = cast(Tokens, app.state.tokens)
    ada = reader(brief, "ada@example.com")
    for value in (ada.id, str(ada.id), True, None, [ada.id], {"reader": ada.id}, 1.5):
        assert not signed_in(browser(app, browsers, tokens.make("session", value)))
    assert signed_in(browser(app, browsers, sign_in(browser(app, browsers), app, ada)))


def test_a_sign_in_link_signs_in_once(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    ada = reader(brief, "ada@example.com")
    link = f"/signin/{cast(Tokens, app.state.tokens).make('signin', ada.id)}"
    mine = browser(app, browsers)
    mine.post(link, data={"csrf_token": csrf_from(mine)}, follow_redirects=False)
    assert signed_in(mine)
    # the same link later, in another browser (a forwarded mail, a shared screen): spent
    other = browser(app, browsers)
    page = other.get(link)
    assert page.status_code == 400 and "has been used" in page.text
    used = other.post(link, data={"csrf_token": csrf_from(other)}, follow_redirects=False)
    assert used.status_code == 400 and "Ask for a new sign-in link" in used.text
    assert not signed_in(other)
    assert signed_in(mine)  # the session it began is untouched


def test_a_confirmation_link_signs_in_once(
    app: FastAPI, brief: MarketBrief, browsers: list[TestClient]
) -> None:
    pending = brief.store.add_reader(
        "cy@example.com", "Cy", Watchlist(), now=START, status=ReaderStatus.PENDING
    )
    token = cast(Tokens, app.state.tokens).make("confirm", pending.id)
    first = browser(app, browsers)
    form = {"token": token, "csrf_token": csrf_from(first, f"/confirm?token={token}")}
    assert first.post("/confirm", data=form, follow_redirects=False).status_code == 303
    assert brief.store.get_reader(pending.id).status is ReaderStatus.CONFIRMED
    again = browser(app, browsers)
    assert again.get(f"/confirm?token={token}").status_code == 400
    form["csrf_token"] = csrf_from(again)
    response = again.post("/confirm", data=form, follow_redirects=False)
    assert response.status_code == 400 and "Sign in instead" in response.text
    assert not signed_in(again)
