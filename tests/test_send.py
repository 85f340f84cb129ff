"""Sending due briefings against a real SMTP server on loopback: schedules, retries with
backoff, bounces and suppression, lateness, daylight saving, the rate limit, run-level stops."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deliver.loopback_smtp import SmtpServer
from marketbrief.core import MarketBrief
from marketbrief.deliver import briefing_message_id
from marketbrief.model import DeliveryStatus, Reader, ReaderStatus, Watchlist
from marketbrief.sender import retry_delay
from send_support import Clock, TimedHandler, make_facade, recipients, start_timed_server

NEW_YORK = ZoneInfo("America/New_York")
# Wednesday 2026-11-25, 07:00 in New York: Ada's daily briefing is due
DUE = datetime(2026, 11, 25, 7, 0, tzinfo=NEW_YORK).astimezone(UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    started = start_timed_server(tmp_path)
    yield started
    started.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(DUE)


@pytest.fixture
def facade(tmp_path: Path, server: SmtpServer, clock: Clock) -> Iterator[MarketBrief]:
    with make_facade(
        tmp_path / "home", clock, smtp_url=server.url(), send_retries=2, bounce_limit=2
    ) as brief:
        yield brief


def add(brief: MarketBrief, email: str, **schedule: object) -> Reader:
    return brief.add_reader(email, email.split("@")[0].title(), Watchlist(("RTX",)), **schedule)  # type: ignore[arg-type]


def statuses(brief: MarketBrief) -> list[tuple[str, str, DeliveryStatus]]:
    emails = {r.id: r.email for r in brief.list_readers()}
    return [(emails[d.reader_id], d.period, d.status) for d in brief.store.list_deliveries()]


def test_a_due_briefing_is_sent_once_with_its_stable_id_and_unsubscribe_link(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    ada = add(facade, "ada@example.com")
    add(facade, "pending@example.com", confirmed=False)
    clock.advance(seconds=-1)
    assert facade.send_due().outcomes == ()  # not yet due
    clock.advance(seconds=1)
    report = facade.send_due()
    assert [(o.reader.email, o.period, o.status) for o in report.outcomes] == [
        ("ada@example.com", "2026-11-25", DeliveryStatus.SENT)
    ]
    [received] = server.wait_for(1)
    message = received.message()
    assert received.rcpt_tos == ("ada@example.com",)
    assert message["Message-ID"] == briefing_message_id(
        ada, "2026-11-25", domain="news.example.org"
    )
    assert message["List-Unsubscribe"].startswith("<https://news.example.org/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # every later look the same day finds it sent
    for _ in range(3):
        clock.advance(hours=2)
        assert facade.send_due().outcomes == ()
    assert len(server.received) == 1
    assert facade.get_reader("ada@example.com").last_briefed_at == DUE
    # the next day's is due at 07:00 the next day
    clock.now = DUE + timedelta(days=1)
    assert [o.period for o in facade.send_due().outcomes] == ["2026-11-26"]
    assert recipients(server) == {"ada@example.com": 2}


def test_now_makes_the_current_briefing_due_once(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "ada@example.com")
    clock.now = DUE - timedelta(hours=5)  # 02:00 in New York, before the send time
    assert facade.send_due().outcomes == ()
    assert [o.period for o in facade.send_due(force_now=True).outcomes] == ["2026-11-25"]
    assert facade.send_due(force_now=True).outcomes == ()
    clock.now = DUE  # the scheduled time of the same period: already sent
    assert facade.send_due().outcomes == ()
    assert recipients(server) == {"ada@example.com": 1}


def test_a_temporary_failure_is_retried_with_backoff(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "ada@example.com")
    server.handler.script_data("451 4.3.0 try again later")
    [retry] = facade.send_due().outcomes
    assert retry.status is DeliveryStatus.RETRY and "451" in (retry.error or "")
    assert retry.next_attempt_at == DUE + retry_delay(1) == DUE + timedelta(minutes=1)
    clock.advance(seconds=30)
    assert facade.send_due().outcomes == ()  # not due again yet
    clock.advance(seconds=31)
    [sent] = facade.send_due().outcomes
    assert sent.status is DeliveryStatus.SENT
    assert recipients(server) == {"ada@example.com": 1}
    [delivery] = facade.store.list_deliveries()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


def test_retries_back_off_and_end(facade: MarketBrief, server: SmtpServer, clock: Clock) -> None:
    add(facade, "ada@example.com")  # send_retries=2: three attempts in all
    server.handler.script_data(*["452 4.2.2 mailbox full"] * 3)
    waits = []
    for _ in range(3):
        [outcome] = facade.send_due().outcomes
        if outcome.next_attempt_at is not None:
            waits.append(outcome.next_attempt_at - clock.now)
            clock.now = outcome.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=2)]
    assert outcome.status is DeliveryStatus.FAILED and "out of retries" in (outcome.error or "")
    clock.advance(hours=1)
    assert facade.send_due().outcomes == ()
    assert server.received == []


def test_bounces_suppress_the_address_at_the_limit(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    add(facade, "gone@example.com")
    add(facade, "ada@example.com")
    server.handler.rcpt_replies["gone@example.com"] = "550 5.1.1 no such user"
    seen = []
    for day in range(3):  # bounce_limit=2
        clock.now = DUE + timedelta(days=day)
        seen.append(
            sorted((o.reader.email, o.status, o.error or "") for o in facade.send_due().outcomes)
        )
    assert [[(e, s) for e, s, _ in day] for day in seen] == [
        [("ada@example.com", DeliveryStatus.SENT), ("gone@example.com", DeliveryStatus.FAILED)],
        [("ada@example.com", DeliveryStatus.SENT), ("gone@example.com", DeliveryStatus.FAILED)],
        [("ada@example.com", DeliveryStatus.SENT), ("gone@example.com", DeliveryStatus.SKIPPED)],
    ]
    assert "550" in seen[0][1][2] and seen[2][1][2] == "suppressed"
    assert facade.store.is_suppressed("gone@example.com")
    assert recipients(server) == {"ada@example.com": 3}


def test_suppression_is_checked_at_send_time(facade: MarketBrief, server: SmtpServer) -> None:
    add(facade, "ada@example.com")
    facade.store.suppress("ada@example.com", now=DUE, reason="complaint")
    [outcome] = facade.send_due().outcomes
    assert (outcome.status, outcome.error) == (DeliveryStatus.SKIPPED, "suppressed")
    assert server.received == []


def test_a_late_briefing_is_skipped_not_sent(
    tmp_path: Path, server: SmtpServer, clock: Clock
) -> None:
    with make_facade(
        tmp_path / "home", clock, smtp_url=server.url(), send_max_lateness=3600
    ) as brief:
        add(brief, "ada@example.com")
        clock.now = DUE + timedelta(hours=2, minutes=30)  # the sender was down since 06:00
        [skipped] = brief.send_due().outcomes
        assert skipped.status is DeliveryStatus.SKIPPED and "late" in (skipped.error or "")
        assert brief.send_due().outcomes == ()  # recorded once
        clock.now = DUE + timedelta(days=1, minutes=5)
        assert [o.status for o in brief.send_due().outcomes] == [DeliveryStatus.SENT]
        # within the limit it is still sent: a 23:30 briefing found at 00:10
        owl = add(brief, "owl@example.com", send_time=day_time(23, 30))
        clock.now = datetime(2026, 11, 27, 0, 10, tzinfo=NEW_YORK).astimezone(UTC)
        [late] = brief.send_due(reader=owl.email).outcomes
        assert (late.period, late.status) == ("2026-11-26", DeliveryStatus.SENT)
    assert recipients(server) == {"ada@example.com": 1, "owl@example.com": 1}


@pytest.mark.parametrize(
    ("first_day", "at"),
    [
        (datetime(2026, 3, 7), day_time(2, 30)),  # 02:30 does not exist on 8 March
        (datetime(2026, 10, 31), day_time(1, 30)),  # 01:30 happens twice on 1 November
    ],
)
def test_one_daily_briefing_per_local_day_across_daylight_saving(
    facade: MarketBrief, server: SmtpServer, clock: Clock, first_day: datetime, at: day_time
) -> None:
    clock.now = first_day.replace(tzinfo=NEW_YORK).astimezone(UTC)
    add(facade, "ada@example.com", send_time=at)
    end = clock.now + timedelta(days=3)
    sent_at: dict[str, datetime] = {}
    while clock.now < end:
        for outcome in facade.send_due().outcomes:
            assert outcome.status is DeliveryStatus.SENT
            assert outcome.period not in sent_at
            sent_at[outcome.period] = clock.now
        clock.advance(minutes=10)
    days = [first_day.date() + timedelta(days=n) for n in range(3)]
    assert list(sent_at) == [d.isoformat() for d in days]
    assert recipients(server) == {"ada@example.com": 3}
    local = [when.astimezone(NEW_YORK) for when in sent_at.values()]
    if at == day_time(2, 30):  # on the 8th the clocks jump from 02:00 to 03:00
        assert [t.strftime("%d %H:%M") for t in local] == ["07 02:30", "08 03:00", "09 02:30"]
    else:  # on 1 November the first 01:30 (EDT) is the one
        assert [t.strftime("%d %H:%M %Z") for t in local] == [
            "31 01:30 EDT",
            "01 01:30 EDT",
            "02 01:30 EST",
        ]


def test_the_rate_limit_is_honoured(tmp_path: Path, server: SmtpServer, clock: Clock) -> None:
    with make_facade(tmp_path / "home", clock, smtp_url=server.url(), send_rate=10.0) as brief:
        for i in range(6):
            add(brief, f"r{i}@example.com")
        brief.brief(brief.get_reader("r0@example.com"))  # warm the calendar up
        assert brief.send_due().count(DeliveryStatus.SENT) == 6
    handler = server.handler
    assert isinstance(handler, TimedHandler)
    gaps = [b - a for a, b in zip(handler.arrivals, handler.arrivals[1:], strict=False)]
    assert len(gaps) == 5 and min(gaps) >= 0.09  # 10 a second: 0.1 s apart (timer slack)


def test_a_weekly_briefing_is_due_once_a_week(
    facade: MarketBrief, server: SmtpServer, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 23, tzinfo=NEW_YORK).astimezone(UTC)  # a Monday
    # Fridays at 18:00; last Friday's briefing was before Ada subscribed: not hers, not a miss
    add(facade, "ada@example.com", cadence="weekly", weekday=4, send_time=day_time(18, 0))
    periods = []
    while clock.now < datetime(2026, 12, 8, tzinfo=NEW_YORK):
        periods += [
            (o.period, o.status, clock.now.astimezone(NEW_YORK).strftime("%a %d %H:%M"))
            for o in facade.send_due().outcomes
        ]
        clock.advance(hours=1)
    assert periods == [
        ("2026-W48", DeliveryStatus.SENT, "Fri 27 18:00"),
        ("2026-W49", DeliveryStatus.SENT, "Fri 04 18:00"),
    ]


def test_alert_readers_get_no_scheduled_briefing(facade: MarketBrief, server: SmtpServer) -> None:
    add(facade, "ada@example.com", cadence="alerts")
    assert facade.send_due().outcomes == ()
    assert facade.send_due(force_now=True).outcomes == ()


def test_settings_that_cannot_work_stop_the_run_and_leave_it_due(
    tmp_path: Path, clock: Clock
) -> None:
    with make_facade(tmp_path / "home", clock, smtp_url="smtp://127.0.0.1:25?colour=blue") as brief:
        add(brief, "ada@example.com")
        add(brief, "bob@example.com")
        report = brief.send_due()
        assert report.outcomes == () and "colour" in (report.stopped or "")
        assert brief.store.list_deliveries() == []  # the claim in hand went back uncounted


def test_an_unreachable_server_stops_the_run(tmp_path: Path, clock: Clock) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with make_facade(tmp_path / "home", clock, smtp_url=f"smtp://127.0.0.1:{port}") as brief:
        for i in range(3):
            add(brief, f"r{i}@example.com")
        report = brief.send_due()
        assert report.outcomes == () and "unreachable" in (report.stopped or "")
        assert brief.store.list_deliveries() == []


def test_a_stop_request_ends_the_run_between_readers(
    facade: MarketBrief, server: SmtpServer
) -> None:
    for i in range(4):
        add(facade, f"r{i}@example.com")
    asked = iter([False, False, True])
    report = facade.send_due(should_stop=lambda: next(asked))
    assert report.count(DeliveryStatus.SENT) == 2 and report.stopped == "asked to stop"
    assert len(server.received) == 2
    assert [s for _, _, s in statuses(facade)] == [DeliveryStatus.SENT] * 2  # nothing in hand


def test_one_reader_only_and_never_a_pending_one(facade: MarketBrief, server: SmtpServer) -> None:
    add(facade, "ada@example.com")
    add(facade, "bob@example.com")
    pending = add(facade, "pat@example.com", confirmed=False)
    assert [o.reader.email for o in facade.send_due(reader="BOB@example.com").outcomes] == [
        "bob@example.com"
    ]
    with pytest.raises(ValueError, match="pending"):
        facade.send_due(reader=pending.email)
    assert pending.status is ReaderStatus.PENDING
    assert recipients(server) == {"bob@example.com": 1}


def test_a_briefing_that_cannot_be_built_fails_its_reader_only(
    facade: MarketBrief, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(facade, "ada@example.com")
    add(facade, "bob@example.com")
    real = facade.brief

    def brief(reader: Reader, **kw: object) -> object:
        if reader.email == "ada@example.com":
            raise RuntimeError("a bug")
        return real(reader, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(facade, "brief", brief)
    outcomes = {o.reader.email: o for o in facade.send_due().outcomes}
    assert outcomes["ada@example.com"].status is DeliveryStatus.FAILED
    assert "a bug" in (outcomes["ada@example.com"].error or "")
    assert outcomes["bob@example.com"].status is DeliveryStatus.SENT


def test_the_outbox_without_smtp(tmp_path: Path, clock: Clock) -> None:
    with make_facade(tmp_path / "home", clock) as brief:
        ada = add(brief, "ada@example.com")
        assert brief.send_due().count(DeliveryStatus.SENT) == 1
        assert brief.send_due(force_now=True).outcomes == ()
        [eml] = (tmp_path / "home" / "outbox").glob("*.eml")
        message_id = briefing_message_id(ada, "2026-11-25", domain="news.example.org")
        assert message_id.strip("<>").replace("@", "-") in eml.name


def test_a_sender_dying_after_the_server_took_the_message_sends_it_again_once(
    facade: MarketBrief, server: SmtpServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one window SMTP cannot settle: the message went out, the send log never heard.
    The claim goes stale and the next run sends again — the same Message-ID, once more."""
    add(facade, "ada@example.com")

    class Killed(BaseException):
        pass

    def die(*args: object, **kwargs: object) -> bool:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(facade.store, "finish_delivery", die)
        with pytest.raises(Killed):
            facade.send_due()
    assert len(server.received) == 1
    clock.advance(minutes=5)
    assert facade.send_due().outcomes == ()  # a live sender might still hold it
    clock.advance(minutes=6)  # past CLAIM_TIMEOUT: the claim is stale
    [again] = facade.send_due().outcomes
    assert again.status is DeliveryStatus.SENT
    first, second = server.wait_for(2)
    assert first.message()["Message-ID"] == second.message()["Message-ID"]
    clock.advance(hours=1)
    assert facade.send_due().outcomes == ()
    assert recipients(server) == {"ada@example.com": 2}
