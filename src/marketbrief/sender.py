"""Sending the briefings that are due, each at most once per reader and period.

For every confirmed reader, ``curate.schedule`` names the period that is due (the reader's local
date, or ISO week) and when; the send log (``store``: one row per reader and period) makes the
sending idempotent:

1. A period too late (``send_max_lateness`` past its due time) is recorded as skipped, not sent
   (unless it was due before the reader subscribed: then it is not theirs).
2. Otherwise the sender *claims* (reader, period) — one atomic statement; a period already sent,
   failed, skipped, held by a live sender or waiting for its retry is not this sender's.
3. The address is checked against the suppression list (at send time, not when the run began).
4. The briefing is built, rendered, and sent with the Message-ID of (reader, period): a resent
   briefing is recognisably the same message.
5. The claim is finished: ``sent``; ``retry`` with exponential backoff after a temporary failure
   (up to ``send_retries``); ``failed`` after a permanent one, a bounce counted towards the
   address's suppression (``bounce_limit``).

A sender killed at any point leaves either no row (nothing happened), or a claim that another
run takes over once it is older than ``stale_after``. The one case SMTP cannot settle is a kill
after the server took the message and before ``finish`` was written: that reader gets the
briefing twice, both copies with one Message-ID. The window is the server's reply and one
committed UPDATE — milliseconds per message.

Run-level failures stop the run and hand the claim in hand back uncounted: settings that cannot
work (``ConfigError``), an SMTP server that cannot be reached or refuses our sender address. The
readers not reached stay due for the next run. ``should_stop`` is asked between readers (a
SIGTERM finishes the reader in hand, then the run ends).

**Alerts.** A reader with the ``alerts`` cadence has no scheduled period: each story that
``curate.alerts`` selects for them is a period of its own, ``alert/<story id>``, due when it is
found, and goes through the same steps 2–5 (claim, suppression, Message-ID of reader and
period, finish): one alert per reader and story, however often the sender runs or restarts. A
story merged into another keeps its alert: a story counts as alerted when the send log has the
period of its id or of the id of any story merged into it. At most ``alerts_per_day`` alerts go to
a reader in any 24 hours (counted in the send log: sent, being sent, or waiting for a retry);
the stories past that are recorded as skipped ("daily alert limit"), not sent later. Two
senders working on one reader at the same moment may each send one past the limit.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, NoReturn

from marketbrief.curate.alerts import ALERT_DAY, Alert, select_alerts
from marketbrief.curate.schedule import (
    ALERT_PREFIX,
    Period,
    alert_period,
    current_period,
    due_period,
    is_alert_period,
)
from marketbrief.deliver import (
    Mailer,
    alert_title,
    briefing_message_id,
    briefing_title,
    build_briefing_email,
    build_calendar,
    build_reader_email,
    is_bounce,
    mail_domain,
    make_mailer,
    render_alert_parts,
    render_briefing_html,
    render_briefing_text,
)
from marketbrief.deliver.links import load_secret_key, manage_url, unsubscribe_url
from marketbrief.errors import (
    ConfigError,
    MarketBriefError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from marketbrief.model import (
    Analysis,
    Briefing,
    Delivery,
    DeliveryStatus,
    Reader,
    ReaderStatus,
    Story,
    StoryId,
)
from marketbrief.settings import Settings
from marketbrief.stories import story_id_for

if TYPE_CHECKING:
    from marketbrief.store import SqlStore

log = logging.getLogger("marketbrief.send")

# A claim older than this belongs to a sender that died: another run takes it over. It must be
# longer than a live sender holds one (building a briefing, then an SMTP exchange of a few
# commands, each with the SMTP timeout of 30 s by default).
CLAIM_TIMEOUT = timedelta(minutes=10)
RETRY_BASE = timedelta(minutes=1)  # the first retry after a temporary failure; then doubling
RETRY_MAX = timedelta(hours=1)
MAX_ERROR_TEXT = 500

BuildBriefing = Callable[[Reader, datetime], Briefing]
# The stored analyses and stories from an instant on (alerts read the recent ones).
ReadNews = Callable[[datetime], tuple[Sequence[Analysis], Sequence[Story]]]


def _log(level: int, event: str, **fields: object) -> None:
    if log.isEnabledFor(level):
        log.log(level, "%s %s", event, " ".join(f"{k}={v!r}" for k, v in fields.items()))


def _never() -> bool:
    return False


def new_worker_id() -> str:
    """A sender's name in the send log: host, process, and a random tag (a reused pid differs)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th attempt failed for a while: 1, 2, 4 … 60 min."""
    return min(RETRY_BASE * (1 << min(max(attempts - 1, 0), 20)), RETRY_MAX)


# ── rendering ───────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ReaderLinks:
    """The links a reader's briefing carries back to the web app."""

    unsubscribe_url: str | None = None
    manage_url: str | None = None


@dataclass(frozen=True, slots=True)
class RenderedBriefing:
    """A briefing as the reader gets it: HTML and text, and the key dates as iCalendar."""

    briefing: Briefing
    subject: str
    html: str
    text: str
    ics: bytes
    links: ReaderLinks


def reader_links(settings: Settings, reader: Reader, *, key: bytes) -> ReaderLinks:
    """The one-click unsubscribe link (signed with ``key``) and the preferences page."""
    return ReaderLinks(unsubscribe_url(settings, reader.id, key=key), manage_url(settings))


def render_briefing(briefing: Briefing, links: ReaderLinks) -> RenderedBriefing:
    reader = briefing.reader
    return RenderedBriefing(
        briefing=briefing,
        subject=briefing_title(briefing),
        html=render_briefing_html(
            briefing, unsubscribe_url=links.unsubscribe_url, manage_url=links.manage_url
        ),
        text=render_briefing_text(
            briefing, unsubscribe_url=links.unsubscribe_url, manage_url=links.manage_url
        ),
        ics=build_calendar(
            briefing.key_dates,
            name=f"marketbrief key dates — {reader.name or reader.email}",
            now=briefing.generated_at,
        ),
        links=links,
    )


def briefing_email(rendered: RenderedBriefing, *, sender: str, period: str) -> EmailMessage:
    """The email of a rendered briefing for ``period``, with that period's stable Message-ID."""
    reader = rendered.briefing.reader
    return build_briefing_email(
        rendered.briefing,
        sender=sender,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        ics=rendered.ics,
        message_id=briefing_message_id(reader, period, domain=mail_domain(sender)),
        unsubscribe_url=rendered.links.unsubscribe_url,
    )


@dataclass(frozen=True, slots=True)
class RenderedAlert:
    """An alert as the reader gets it: subject, HTML and text."""

    alert: Alert
    subject: str
    html: str
    text: str
    links: ReaderLinks


def render_alert(alert: Alert, links: ReaderLinks) -> RenderedAlert:
    html, text = render_alert_parts(
        alert.reader,
        alert.item,
        company=alert.company,
        sent_at=alert.found_at,
        unsubscribe_url=links.unsubscribe_url,
        manage_url=links.manage_url,
    )
    return RenderedAlert(alert, alert_title(alert.item, alert.company), html, text, links)


def alert_email(rendered: RenderedAlert, *, sender: str) -> EmailMessage:
    """The email of a rendered alert, with the stable Message-ID of its reader and period."""
    alert = rendered.alert
    return build_reader_email(
        alert.reader,
        sender=sender,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        sent_at=alert.found_at,
        message_id=briefing_message_id(alert.reader, alert.period, domain=mail_domain(sender)),
        unsubscribe_url=rendered.links.unsubscribe_url,
        list_id="alerts",
    )


# ── what a run did ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What this run did with one reader's period."""

    reader: Reader
    period: str
    status: DeliveryStatus  # sent, retry, failed or skipped
    message_id: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SendReport:
    """A run of the sender: one outcome per period it settled, and why it stopped early."""

    outcomes: tuple[SendOutcome, ...] = ()
    stopped: str | None = None  # None: every due reader was looked at

    def count(self, status: DeliveryStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


class _StopRun(Exception):
    """Ends the run: ``reason`` is reported; the claim in hand was handed back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ── the sender ──────────────────────────────────────────────────────────────────────────────


@dataclass
class Sender:
    """Sends the due briefings of one installation (see the module docstring).

    ``build`` makes a reader's briefing as of an instant; ``news`` reads the stored analyses
    and stories from an instant on, for the alert readers' alerts; ``mailer`` opens the mailer
    (once, on the first message); ``clock`` is read for each reader, so a long run sees time
    pass.
    """

    store: SqlStore
    settings: Settings
    build: BuildBriefing
    clock: Callable[[], datetime]
    mailer: Callable[[], Mailer] | None = None
    news: ReadNews | None = None  # None: no alerts are sent
    worker: str = field(default_factory=new_worker_id)
    stale_after: timedelta = CLAIM_TIMEOUT
    should_stop: Callable[[], bool] = _never

    def send_due(
        self, *, readers: Sequence[Reader] | None = None, force_now: bool = False
    ) -> SendReport:
        """Send the briefings due now to ``readers`` (default: every confirmed reader).

        ``force_now``: each reader's *current* period (today, this week) is due now, even
        before its send time — still at most once per period.
        """
        if readers is None:
            readers = self.store.list_readers(status=ReaderStatus.CONFIRMED)
        outcomes: list[SendOutcome] = []
        stopped: str | None = None
        key: bytes | None = None
        with ExitStack() as stack:
            opened: list[Mailer] = []

            def mailer() -> Mailer:
                if not opened:
                    make = self.mailer or (lambda: make_mailer(self.settings))
                    opened.append(stack.enter_context(make()))
                return opened[0]

            for reader in readers:
                if self.should_stop():
                    stopped = "asked to stop"
                    break
                if reader.status is not ReaderStatus.CONFIRMED:
                    continue
                if key is None:
                    key = load_secret_key(self.settings)
                try:
                    if reader.cadence == "alerts":
                        self._send_alerts(reader, mailer, key, outcomes)
                        continue
                    outcome = self._send_one(reader, force_now, mailer, key)
                except _StopRun as stop:
                    stopped = stop.reason
                    break
                if outcome is not None:
                    outcomes.append(outcome)
        if stopped is not None:
            _log(logging.WARNING, "send.stopped", reason=stopped, settled=len(outcomes))
        return SendReport(tuple(outcomes), stopped)

    def _period(self, reader: Reader, now: datetime, force_now: bool) -> Period | None:
        if force_now:
            period = current_period(reader, now)
            return None if period is None else Period(period.key, now)
        return due_period(reader, now)

    def _send_one(
        self, reader: Reader, force_now: bool, mailer: Callable[[], Mailer], key: bytes
    ) -> SendOutcome | None:
        now = self.clock()
        period = self._period(reader, now, force_now)
        if period is None:
            return None
        known = self.store.get_delivery(reader.id, period.key)
        if known is not None and known.status in _SETTLED:
            return None  # the common case on every tick: nothing to write
        lateness = timedelta(seconds=self.settings.send_max_lateness)
        if known is None and now - period.due_at > lateness:
            joined = reader.confirmed_at or reader.added_at
            if joined is not None and joined > period.due_at:
                return None  # due before they subscribed: not theirs, not a miss
            reason = f"late: due {period.due_at:%Y-%m-%d %H:%M} UTC, past the lateness limit"
            if self.store.skip_delivery(
                reader.id, period.key, due_at=period.due_at, now=now, reason=reason
            ):
                _log(logging.INFO, "send.skipped", reader=reader.id, period=period.key, why="late")
                return SendOutcome(reader, period.key, DeliveryStatus.SKIPPED, error=reason)
            return None
        delivery = self._claim(reader, period.key, due_at=period.due_at, now=now)
        if delivery is None:
            return None  # sent, held by another sender, or its retry is not due yet

        def compose() -> EmailMessage:
            rendered = render_briefing(
                self.build(reader, now), reader_links(self.settings, reader, key=key)
            )
            return briefing_email(rendered, sender=self.settings.mail_from, period=period.key)

        return self._deliver(reader, delivery, now, mailer, compose)

    def _send_alerts(
        self,
        reader: Reader,
        mailer: Callable[[], Mailer],
        key: bytes,
        outcomes: list[SendOutcome],
    ) -> None:
        """Send ``reader`` an alert for each story selected for them now, within the daily
        limit (the stories past it are recorded as skipped); each outcome goes to
        ``outcomes``. A stop request is honoured between alerts."""
        if self.news is None:
            return
        now = self.clock()
        log = {d.period: d for d in self.store.list_deliveries(reader_id=reader.id)}
        log = {period: d for period, d in log.items() if is_alert_period(period)}
        pending = {p: d for p, d in log.items() if d.status not in _SETTLED}
        settled = log.keys() - pending.keys()

        def alerted(story: Story) -> bool:
            if alert_period(story.id) in settled:
                return True
            merged = (story_id_for(article_id) for article_id in story.article_ids)
            return any(alert_period(s) in log for s in merged if s != story.id)

        # A pending alert was fresh when found: read back far enough to find its story again.
        fresh_for = timedelta(seconds=self.settings.alert_fresh_for)
        limit = self.settings.alerts_per_day
        read_from = min([now - fresh_for, *(d.due_at - fresh_for for d in pending.values())])
        analyses, stories = self.news(read_from)
        alerts = select_alerts(
            reader,
            analyses,
            stories,
            now=now,
            public_url=self.settings.public_url,
            alerted=alerted,
            pending={StoryId(p.removeprefix(ALERT_PREFIX)) for p in pending},
            fresh_for=fresh_for,
        )
        taken = sum(1 for d in log.values() if d.due_at > now - ALERT_DAY and d.status in _COUNTED)
        for alert in alerts:
            if self.should_stop():
                raise _StopRun("asked to stop")
            period = alert.period
            if period not in pending and taken >= limit:
                reason = f"daily alert limit: {limit} in 24 hours"
                if self.store.skip_delivery(reader.id, period, due_at=now, now=now, reason=reason):
                    _log(logging.INFO, "send.skipped", reader=reader.id, period=period, why="limit")
                    outcomes.append(
                        SendOutcome(reader, period, DeliveryStatus.SKIPPED, error=reason)
                    )
                continue
            delivery = self._claim(reader, period, due_at=now, now=now)
            if delivery is None:
                continue  # settled, held by another sender, or its retry is not due yet
            if period not in pending:
                taken += 1

            def compose(alert: Alert = alert) -> EmailMessage:
                rendered = render_alert(alert, reader_links(self.settings, reader, key=key))
                return alert_email(rendered, sender=self.settings.mail_from)

            outcome = self._deliver(reader, delivery, now, mailer, compose)
            if outcome is not None:
                outcomes.append(outcome)
                if outcome.status not in _COUNTED and period not in pending:
                    taken -= 1

    def _claim(
        self, reader: Reader, period: str, *, due_at: datetime, now: datetime
    ) -> Delivery | None:
        return self.store.claim_delivery(
            reader.id,
            period,
            due_at=due_at,
            worker=self.worker,
            now=now,
            stale_after=self.stale_after,
        )

    def _finish(
        self,
        reader: Reader,
        delivery: Delivery,
        status: DeliveryStatus,
        *,
        message_id: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        briefed_at: datetime | None = None,
    ) -> SendOutcome | None:
        now = self.clock()
        error = error[:MAX_ERROR_TEXT] if error else None
        held = self.store.finish_delivery(
            delivery.id,
            status,
            worker=self.worker,
            now=now,
            message_id=message_id,
            error=error,
            next_attempt_at=next_attempt_at,
        )
        if not held:  # our claim went stale and another sender took it over
            _log(logging.WARNING, "send.claim_lost", reader=reader.id, period=delivery.period)
            return None
        if status is DeliveryStatus.SENT:
            # as of the briefing's own instant: what came in while it was sent is in the next
            self.store.mark_briefed(reader.id, briefed_at or now)
        level = logging.INFO if status is DeliveryStatus.SENT else logging.WARNING
        _log(level, f"send.{status.value}", reader=reader.id, period=delivery.period, error=error)
        return SendOutcome(reader, delivery.period, status, message_id, error, next_attempt_at)

    def _deliver(
        self,
        reader: Reader,
        delivery: Delivery,
        now: datetime,
        mailer: Callable[[], Mailer],
        compose: Callable[[], EmailMessage],
    ) -> SendOutcome | None:
        """Send the claimed ``delivery``: ``compose`` builds its email (a briefing, an alert)."""
        lateness = timedelta(seconds=self.settings.send_max_lateness)
        if now - delivery.due_at > lateness:  # a retry or a takeover that came too late
            return self._finish(reader, delivery, DeliveryStatus.SKIPPED, error="late")
        if delivery.attempts > self.settings.send_retries + 1:
            # claimed again and again by senders that died before finishing: give up on it
            return self._finish(reader, delivery, DeliveryStatus.FAILED, error="out of retries")
        if self.store.is_suppressed(reader.email):
            return self._finish(reader, delivery, DeliveryStatus.SKIPPED, error="suppressed")
        try:
            message = compose()
        except ConfigError as error:
            self._stop(delivery, str(error))
        except Exception as error:  # a bad briefing fails its reader, not the run
            log.exception("send.build_failed reader=%r period=%r", reader.id, delivery.period)
            return self._finish(reader, delivery, DeliveryStatus.FAILED, error=f"build: {error}")
        message_id = str(message["Message-ID"])
        try:
            mailer().send(message)
        except ConfigError as error:
            self._stop(delivery, str(error))
        except TemporaryDeliveryError as error:
            if error.stage == "connect":  # the server is down: so it is for everyone after
                self._stop(delivery, f"SMTP server unreachable: {error}")
            if delivery.attempts > self.settings.send_retries:
                return self._finish(
                    reader, delivery, DeliveryStatus.FAILED, error=f"out of retries: {error}"
                )
            return self._finish(
                reader,
                delivery,
                DeliveryStatus.RETRY,
                error=str(error) + (" (maybe delivered)" if error.maybe_sent else ""),
                next_attempt_at=now + retry_delay(delivery.attempts),
            )
        except PermanentDeliveryError as error:
            if not is_bounce(error):  # the server refuses our sender, not this reader
                self._stop(delivery, f"the SMTP server refuses the sender: {error}")
            suppressed = self.store.record_bounce(
                reader.email, now=now, limit=self.settings.bounce_limit, reason=str(error)
            )
            if suppressed:
                _log(logging.WARNING, "send.suppressed", reader=reader.id, email=reader.email)
            return self._finish(reader, delivery, DeliveryStatus.FAILED, error=str(error))
        except MarketBriefError as error:  # e.g. the outbox cannot be written
            return self._finish(reader, delivery, DeliveryStatus.FAILED, error=str(error))
        return self._finish(
            reader, delivery, DeliveryStatus.SENT, message_id=message_id, briefed_at=now
        )

    def _stop(self, delivery: Delivery, reason: str) -> NoReturn:
        """Hand the claim back uncounted and end the run."""
        self.store.release_delivery(delivery.id, worker=self.worker, now=self.clock())
        raise _StopRun(reason)


_SETTLED = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED})
# The alerts that count towards the daily limit: sent, being sent, or to be retried.
_COUNTED = frozenset({DeliveryStatus.SENT, DeliveryStatus.CLAIMED, DeliveryStatus.RETRY})


__all__ = [
    "CLAIM_TIMEOUT",
    "ReaderLinks",
    "RenderedAlert",
    "RenderedBriefing",
    "SendOutcome",
    "SendReport",
    "Sender",
    "alert_email",
    "briefing_email",
    "reader_links",
    "render_alert",
    "render_briefing",
    "retry_delay",
]
