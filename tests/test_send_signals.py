"""The scheduler as a process: ``run --forever`` and ``send`` stop cleanly on SIGTERM after
the item in hand, and a second ``run`` does not start beside the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deliver.loopback_smtp import SmtpServer
from marketbrief.core import make_marketbrief
from marketbrief.model import DeliveryStatus, Watchlist
from marketbrief.settings import load_settings
from send_support import SECRET, recipients, start_timed_server

CLI = [sys.executable, "-m", "marketbrief"]
READERS = 8
pytestmark = pytest.mark.slow  # processes that start, send and stop: ~25 s in all
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    started = start_timed_server(tmp_path)
    yield started
    started.stop()


def environment(server: SmtpServer, rate: float) -> dict[str, str]:
    return os.environ | {
        "MARKETBRIEF_SMTP_URL": server.url(),
        "MARKETBRIEF_SEND_RATE": str(rate),
        "MARKETBRIEF_SECRET_KEY": SECRET,
    }


def add_readers(count: int) -> list[str]:
    """Readers whose daily briefing fell due a minute ago."""
    addresses = [f"r{i}@example.com" for i in range(count)]
    a_minute_ago = datetime.now(tz=NEW_YORK) - timedelta(minutes=1)
    with make_marketbrief(load_settings()) as brief:
        for address in addresses:
            brief.add_reader(
                address, "", Watchlist(("RTX",)), send_time=a_minute_ago.time().replace(second=0)
            )
    return addresses


def deliveries() -> list[DeliveryStatus]:
    with make_marketbrief(load_settings()) as brief:
        return [d.status for d in brief.store.list_deliveries()]


def wait_until(done: object, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_sigterm_finishes_the_briefing_in_hand_and_exits(
    workspace: Path, server: SmtpServer
) -> None:
    addresses = add_readers(READERS)
    env = environment(server, rate=4.0)  # a quarter second a message: the run takes 2 s
    with subprocess.Popen(
        [*CLI, "run", "--forever", "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as runner:
        wait_until(lambda: len(server.received) >= 2)
        runner.send_signal(signal.SIGTERM)
        stdout, stderr = runner.communicate(timeout=15)
    assert runner.returncode == 0, stderr
    assert "stopped cleanly" in stderr
    sent = len(server.received)
    assert 2 <= sent < READERS  # it stopped before the end…
    assert deliveries() == [DeliveryStatus.SENT] * sent  # …with nothing left in hand
    assert f"{sent} briefings sent" in stdout
    # the rest go out with the next run, nobody twice
    again = subprocess.run([*CLI, "send"], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert recipients(server) == dict.fromkeys(addresses, 1)


def test_sigterm_stops_send_too(workspace: Path, server: SmtpServer) -> None:
    add_readers(READERS)
    env = environment(server, rate=4.0)
    with subprocess.Popen(
        [*CLI, "send", "--now"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as sender:
        wait_until(lambda: len(server.received) >= 1)
        sender.send_signal(signal.SIGTERM)
        _, stderr = sender.communicate(timeout=15)
    assert sender.returncode == 0, stderr
    assert "asked to stop" in stderr
    assert deliveries() == [DeliveryStatus.SENT] * len(server.received)


def test_a_second_run_does_not_start_and_a_waiting_one_stops_at_once(
    workspace: Path, server: SmtpServer
) -> None:
    add_readers(2)
    env = environment(server, rate=100.0)
    with subprocess.Popen(
        [*CLI, "run", "--forever", "--interval", "600"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as first:
        wait_until(lambda: len(server.received) == 2)  # its first run is done: it waits
        second = subprocess.run([*CLI, "run"], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "another `marketbrief run` is running" in " ".join(second.stderr.split())
        asked = time.monotonic()
        first.send_signal(signal.SIGTERM)
        _, stderr = first.communicate(timeout=15)
    assert first.returncode == 0, stderr
    assert time.monotonic() - asked < 5  # the wait between runs ends on the signal
    # once it has gone, a run may start
    third = subprocess.run([*CLI, "run"], env=env, capture_output=True, text=True, timeout=60)
    assert third.returncode == 0, third.stderr
    assert len(server.received) == 2
