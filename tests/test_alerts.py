"""Alerts sent against a real SMTP server on loopback from a real store (SQLite here; PostgreSQL
too when MARKETBRIEF_TEST_DATABASE_URL is set): one alert per reader and story, only for the
watchlist, never before confirmation, within the daily limit, suppression honoured."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from deliver.loopback_smtp import SmtpServer
from marketbrief.core import MarketBrief
from marketbrief.deliver import briefing_message_id
from marketbrief.model import (
    Analysis,
    Article,
    ArticleId,
    CompanyLink,
    CompanyRole,
    DeliveryStatus,
    Event,
    Reader,
    ReaderStatus,
    SectorLink,
    Sentiment,
    Span,
    Story,
    StoryId,
    StoryMember,
    Watchlist,
)
from marketbrief.stories import story_id_for
from send_support import Clock, make_facade, recipients, start_timed_server

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
FRESH = timedelta(hours=3)  # how long a story may alert, in these tests (the default is 6 h)
WEB = "https://news.example.org"
COMPANIES = {"RTX": "RTX Corporation", "LMT": "Lockheed Martin", "XOM": "Exxon Mobil"}


DATABASE_URL_ENV = "MARKETBRIEF_TEST_DATABASE_URL"
BACKENDS = [pytest.param("sqlite", id="sqlite")] + (
    [pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]
    if os.environ.get(DATABASE_URL_ENV)
    else []
)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (the workspace's SQLite file), or a new schema of its own on the test PostgreSQL
    server (dropped after)."""
    if request.param == "sqlite":
        yield None
        return
    url = os.environ[DATABASE_URL_ENV]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    admin = create_engine(make_url(url), poolclass=NullPool)
    schema = f"test_alerts_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield admin.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    started = start_timed_server(tmp_path)
    yield started
    started.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW - timedelta(hours=1))  # readers are added an hour before the news


@pytest.fixture
def facade(
    tmp_path: Path, server: SmtpServer, clock: Clock, database_url: str | None
) -> Iterator[MarketBrief]:
    with make_facade(
        tmp_path / "home",
        clock,
        smtp_url=server.url(),
        database_url=database_url,
        send_retries=2,
        alerts_per_day=4,  # not the defaults: the settings are what the sender reads
        alert_fresh_for=FRESH.total_seconds(),
    ) as brief:
        yield brief


def add(
    brief: MarketBrief, email: str, *, cadence: str = "alerts", **watch: tuple[str, ...]
) -> Reader:
    watchlist = Watchlist(**watch) if watch else Watchlist(("RTX",))
    return brief.add_reader(email, email.split("@")[0].title(), watchlist, cadence=cadence)


def article(
    brief: MarketBrief,
    article_id: str,
    at: datetime,
    *,
    ticker: str = "RTX",
    role: CompanyRole = CompanyRole.PRIMARY,
    event: str = "contract_award",
    importance: float = 0.4,
    sector: str | None = None,
    title: str | None = None,
) -> Analysis:
    """Store a (sample) article and its analysis, published and first seen at ``at``."""
    title = title or f"{COMPANIES[ticker]} wins a sample order ({article_id})"
    text = f"{title}. The company said the order runs for five years."
    stored = Article(
        id=ArticleId(article_id),
        url=f"https://wire.example/{article_id}",
        title=title,
        text=text,
        language="en",
        published_at=at,
        first_seen_at=at,
        source="Sample Wire",
    )
    analysis = Analysis(
        article=stored,
        summary=f"{COMPANIES[ticker]} said the order runs for five years.",
        companies=(
            CompanyLink(ticker, COMPANIES[ticker], "NYSE", role, 0.9, f"named as {ticker}"),
        ),
        sectors=(SectorLink(sector, 0.8, "its business"),) if sector else (),
        events=(Event(event, 0.9, Span(0, 4, text[:4])),),
        sentiment=Sentiment("positive", 0.5),
        importance=importance,
    )
    brief.store.save_analysis(analysis)
    return analysis


def story(brief: MarketBrief, *analyses: Analysis, story_id: str | None = None) -> Story:
    """Store the story of ``analyses`` (the first one starts it), as the story stage would."""
    times = [a.article.published_at or NOW for a in analyses]
    made = Story(
        id=StoryId(story_id) if story_id else story_id_for(analyses[0].article.id),
        article_ids=tuple(a.article.id for a in analyses),
        title=analyses[0].article.title or "",
        first_seen_at=min(times),
        last_seen_at=max(times),
        members=tuple(
            StoryMember(a.article.id, t, a.article.source)
            for a, t in zip(analyses, times, strict=True)
        ),
        sources=("Sample Wire",),
    )
    brief.store.save_stories([made])
    return made


def news(brief: MarketBrief, article_id: str, at: datetime, **options: object) -> Story:
    return story(brief, article(brief, article_id, at, **options))  # type: ignore[arg-type]


def alert_periods(brief: MarketBrief) -> list[tuple[str, str, DeliveryStatus]]:
    emails = {r.id: r.email for r in brief.list_readers()}
    return [(emails[d.reader_id], d.period, d.status) for d in brief.store.list_deliveries()]


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_a_new_watchlist_story_alerts_once_with_the_briefings_headers(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    ada = add(facade, "ada@example.com")
    clock.now = NOW
    rtx = news(facade, "rtx-1", NOW - timedelta(minutes=10))
    report = facade.send_due()
    assert [(o.reader.email, o.period, o.status) for o in report.outcomes] == [
        ("ada@example.com", f"alert/{rtx.id}", DeliveryStatus.SENT)
    ]
    [received] = server.wait_for(1)
    message = received.message()
    assert received.rcpt_tos == ("ada@example.com",)
    assert message["Subject"] == (
        "RTX Corporation (RTX): contract award — RTX Corporation wins a sample order (rtx-1)"
    )
    assert message["Message-ID"] == briefing_message_id(
        ada, f"alert/{rtx.id}", domain="news.example.org"
    )
    assert message["List-Id"] == "marketbrief alerts <alerts.news.example.org>"
    assert message["List-Unsubscribe"].startswith(f"<{WEB}/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    for part in (text, html.replace("&amp;", "&")):
        assert "About your RTX · contract award · positive" in part  # the insight line
        assert f"{WEB}/stories/{rtx.id}" in part
        assert "https://wire.example/rtx-1" in part
        assert f"{WEB}/manage" in part
        assert unsubscribe in part
    assert text.splitlines()[0] == "RTX Corporation (RTX): contract award"
    # later runs, and a later article of the same story, do not alert again
    clock.advance(minutes=5)
    assert facade.send_due().outcomes == ()
    clock.advance(minutes=30)
    story(
        facade,
        article(facade, "rtx-1", NOW - timedelta(minutes=10)),
        article(facade, "rtx-2", clock.now - timedelta(minutes=1), title="RTX order: more detail"),
    )
    assert facade.send_due().outcomes == ()
    assert recipients(server) == {"ada@example.com": 1}
    assert alert_periods(facade) == [("ada@example.com", f"alert/{rtx.id}", DeliveryStatus.SENT)]


def test_only_stories_that_matter_to_the_reader_alert(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "ada@example.com")  # watches RTX
    add(facade, "eve@example.com", sectors=("Energy",), event_types=("mna",))
    clock.now = NOW
    minute = timedelta(minutes=1)
    news(facade, "lmt", NOW - minute, ticker="LMT")  # another company
    news(facade, "indirect", NOW - minute, role=CompanyRole.INDIRECT)  # RTX through a product
    news(facade, "minor", NOW - minute, importance=0.1)  # about RTX, but a minor note
    news(facade, "oil-small", NOW - minute, ticker="XOM", sector="Energy", importance=0.3)
    oil = news(facade, "oil-big", NOW - minute, ticker="XOM", sector="Energy", importance=0.6)
    deal = news(facade, "deal", NOW - minute, ticker="LMT", event="mna", importance=0.5)
    got = {(o.reader.email, o.period) for o in facade.send_due().outcomes}
    assert got == {("eve@example.com", f"alert/{oil.id}"), ("eve@example.com", f"alert/{deal.id}")}
    server.wait_for(2)
    subjects = sorted(str(r.message()["Subject"]) for r in server.received)
    assert subjects[0].startswith("Exxon Mobil (XOM): contract award — ")
    assert subjects[1].startswith("Lockheed Martin (LMT): M&A — ")


def test_no_alert_for_news_before_confirmation_or_past_the_freshness_window(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    pending = add(facade, "ada@example.com")
    pending = facade.store.update_reader(replace(pending, status=ReaderStatus.PENDING))
    clock.now = NOW
    before = news(facade, "early", NOW - timedelta(minutes=20))
    assert facade.send_due().outcomes == ()  # pending: nothing
    with pytest.raises(ValueError, match="pending"):
        facade.send_due(reader="ada@example.com")
    clock.advance(minutes=1)
    confirmed_at = clock.now
    facade.store.update_reader(
        replace(pending, status=ReaderStatus.CONFIRMED, confirmed_at=confirmed_at)
    )
    assert facade.send_due().outcomes == ()  # the story began before she confirmed
    stale = news(facade, "stale", confirmed_at + timedelta(minutes=1))
    clock.now = stale.first_seen_at + FRESH + timedelta(seconds=1)  # a sender that was down
    assert facade.send_due().outcomes == ()
    fresh = news(facade, "fresh", clock.now - timedelta(minutes=2))
    assert [o.period for o in facade.send_due().outcomes] == [f"alert/{fresh.id}"]
    assert before.id != fresh.id and recipients(server) == {"ada@example.com": 1}


def test_the_daily_limit_holds_and_the_rest_is_skipped_not_sent_later(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "ada@example.com")
    clock.now = NOW
    limit = facade.settings.alerts_per_day
    for n in range(limit + 2):  # a busy hour: two more stories than the limit
        news(facade, f"rtx-{n:02d}", NOW - timedelta(minutes=30), importance=0.3 + n / 100)
    report = facade.send_due()
    assert report.count(DeliveryStatus.SENT) == limit
    skipped = [o for o in report.outcomes if o.status is DeliveryStatus.SKIPPED]
    assert len(skipped) == 2 and all("daily alert limit" in (o.error or "") for o in skipped)
    # the most important ones were sent: the two least important were skipped
    assert {o.period for o in skipped} == {
        f"alert/{story_id_for(ArticleId(f'rtx-{n:02d}'))}" for n in (0, 1)
    }
    clock.advance(hours=2)
    news(facade, "rtx-later", clock.now - timedelta(minutes=1))
    assert facade.send_due().outcomes[0].status is DeliveryStatus.SKIPPED  # still the same day
    clock.now = NOW + timedelta(hours=24, seconds=1)  # the first ones are a day old
    news(facade, "rtx-next-day", clock.now - timedelta(minutes=1))
    assert [o.status for o in facade.send_due().outcomes] == [DeliveryStatus.SENT]
    assert recipients(server) == {"ada@example.com": limit + 1}


def test_daily_readers_get_no_alerts_and_alert_readers_no_briefing(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "daily@example.com", cadence="daily")  # 07:00 New York: 12:00 UTC, past
    add(facade, "alert@example.com")
    clock.now = NOW
    rtx = news(facade, "rtx", NOW - timedelta(minutes=5))
    assert sorted(o.period for o in facade.send_due().outcomes) == [
        "2026-11-25",
        f"alert/{rtx.id}",
    ]
    server.wait_for(2)
    by_reader = {r.rcpt_tos[0]: str(r.message()["Subject"]) for r in server.received}
    assert by_reader["daily@example.com"].startswith("Your market briefing")
    assert by_reader["alert@example.com"].startswith("RTX Corporation (RTX)")


def test_a_suppressed_address_gets_no_alert(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "gone@example.com")
    add(facade, "ada@example.com")
    facade.store.suppress("gone@example.com", now=NOW, reason="complained")
    clock.now = NOW
    rtx = news(facade, "rtx", NOW - timedelta(minutes=5))
    outcomes = {o.reader.email: o for o in facade.send_due().outcomes}
    assert outcomes["gone@example.com"].status is DeliveryStatus.SKIPPED
    assert outcomes["gone@example.com"].error == "suppressed"
    assert outcomes["ada@example.com"].period == f"alert/{rtx.id}"
    assert facade.send_due().outcomes == ()  # settled: not tried again
    assert recipients(server) == {"ada@example.com": 1}


def test_one_alert_reader_only_and_a_temporary_failure_retried_once_sent(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "ada@example.com")
    add(facade, "bob@example.com")
    clock.now = NOW
    rtx = news(facade, "rtx", NOW - timedelta(minutes=5))
    server.handler.script_data("451 4.3.0 try again later")
    [retry] = facade.send_due(reader="ada@example.com").outcomes
    assert (retry.period, retry.status) == (f"alert/{rtx.id}", DeliveryStatus.RETRY)
    assert facade.send_due(reader="ada@example.com").outcomes == ()  # not due again yet
    # the story is older than the freshness window by the time the retry is due: still sent
    clock.now = rtx.first_seen_at + FRESH + timedelta(minutes=1)
    assert [(o.reader.email, o.status) for o in facade.send_due().outcomes] == [
        ("ada@example.com", DeliveryStatus.SENT)
    ]
    assert recipients(server) == {"ada@example.com": 1}  # bob's came too late: no alert
    [delivery] = facade.store.list_deliveries()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


def test_a_story_merged_into_another_does_not_alert_again(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "ada@example.com")
    clock.now = NOW
    unrelated = article(facade, "lmt", NOW - timedelta(minutes=30), ticker="LMT")
    lmt_story = story(facade, unrelated)
    rtx = news(facade, "rtx", NOW - timedelta(minutes=20))
    assert [o.period for o in facade.send_due().outcomes] == [f"alert/{rtx.id}"]
    # the story stage merges the RTX story into the earlier one, which keeps its id
    merged = story(facade, unrelated, article(facade, "rtx", NOW - timedelta(minutes=20)))
    facade.store.delete_stories([rtx.id])
    assert merged.id == lmt_story.id != rtx.id
    clock.advance(minutes=5)
    assert facade.send_due().outcomes == ()
    assert recipients(server) == {"ada@example.com": 1}


def test_run_sends_alerts_for_the_stories_it_groups(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    """``run`` groups the stored articles into stories, then sends: the alert comes from the
    story stage's own story (and its importance), not from a hand-made one."""
    add(facade, "ada@example.com")
    clock.now = NOW
    article(facade, "rtx-run", NOW - timedelta(minutes=3), importance=0.9)
    report = facade.run()
    assert report.sent is not None
    [outcome] = report.sent.outcomes
    assert outcome.status is DeliveryStatus.SENT
    assert outcome.period == f"alert/{story_id_for(ArticleId('rtx-run'))}"
    assert recipients(server) == {"ada@example.com": 1}


def test_a_stop_request_ends_the_run_between_alerts(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "ada@example.com")
    clock.now = NOW
    for n in range(3):
        news(facade, f"rtx-{n}", NOW - timedelta(minutes=5))
    report = facade.send_due(should_stop=lambda: bool(server.received))
    assert (report.stopped, report.count(DeliveryStatus.SENT)) == ("asked to stop", 1)
    assert facade.send_due().count(DeliveryStatus.SENT) == 2  # the rest on the next run
    assert recipients(server) == {"ada@example.com": 3}


def test_the_cli_sends_an_alert_reader_their_alert_once(workspace: Path) -> None:
    """``readers add --cadence alerts`` and ``send --reader`` with the real clock, into the
    outbox (no SMTP server set)."""
    from email import message_from_bytes

    from typer.testing import CliRunner

    from marketbrief.cli import app
    from marketbrief.deliver import MAIL_POLICY
    from marketbrief.settings import Settings

    runner = CliRunner()
    add = ["readers", "add", "ada@example.com", "--watch", "RTX", "--cadence", "alerts"]
    assert runner.invoke(app, [*add, "--confirmed"]).exit_code == 0
    with MarketBrief(Settings()) as brief:
        rtx = news(brief, "rtx-cli", datetime.now(UTC))
    result = runner.invoke(app, ["send", "--reader", "ada@example.com"])
    assert result.exit_code == 0, result.output
    assert f"sent     alert/{rtx.id}" in result.output
    assert "0 briefings sent, 1 alert sent, 0 to retry, 0 failed, 0 skipped" in result.output
    again = runner.invoke(app, ["send", "--reader", "ada@example.com", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["deliveries"] == []  # the second run finds it sent
    [eml] = (workspace / "outbox").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=MAIL_POLICY)
    assert str(message["Subject"]).startswith("RTX Corporation (RTX): contract award — ")
    assert str(message["Message-ID"]).startswith(f"<alert.1.{rtx.id}.")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
