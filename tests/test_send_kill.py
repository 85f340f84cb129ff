"""THE KILL TEST: ``marketbrief send --now`` killed (SIGKILL) at random moments, again and
again, against a real SMTP server on loopback; then one run to the end.

Every reader must get the briefing, and nobody a second copy — except where a kill fell between
the server taking a message and the send log recording it, the one case SMTP cannot settle. The
test finds those kills (the claim left behind is for a message the server already has) and
requires exactly one duplicate for each, and none otherwise.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marketbrief.core import make_marketbrief
from marketbrief.model import DeliveryStatus, Watchlist
from marketbrief.settings import load_settings
from send_support import SECRET, recipients, start_timed_server

READERS = 150  # enough that twenty runs, each sending a few before its kill, never run out
KILLS = 20  # kills that land while the sender runs
RATE = 20.0  # messages a second: each run sends a few before it is killed
STALE_AFTER = "0.5"  # seconds: a killed sender's claim is taken over by the next run
CLI = [sys.executable, "-m", "marketbrief"]

pytestmark = pytest.mark.slow


def test_a_sender_killed_twenty_times_sends_each_briefing_once(
    workspace: Path, tmp_path: Path
) -> None:
    server = start_timed_server(tmp_path)
    seed = int(os.environ.get("KILL_TEST_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    env = os.environ | {
        "MARKETBRIEF_SMTP_URL": server.url(),
        "MARKETBRIEF_SEND_RATE": str(RATE),
        "MARKETBRIEF_SECRET_KEY": SECRET,
        "MARKETBRIEF_MAIL_FROM": "marketbrief <briefings@news.example.org>",
    }
    command = [*CLI, "send", "--now", "--stale-after", STALE_AFTER]
    brief = make_marketbrief(load_settings())
    try:
        addresses = [f"reader{i:03d}@example.com" for i in range(READERS)]
        for address in addresses:
            brief.add_reader(address, "", Watchlist(("RTX",)))
        store = brief.store
        runs = landed = early = in_hand = 0
        # claims left behind for a message the server already took (by delivery id: a claim
        # not yet taken over when the next run is killed too is seen again, and counts once)
        in_window: set[int] = set()
        window_kills = 0  # kills that found such a claim (one claim can be found twice)
        while landed < KILLS and runs < 3 * KILLS:
            runs += 1
            seen = server.handler.data_commands
            with subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            ) as sender:
                if rng.random() < 0.25:  # while it starts, claims, builds: before any SMTP
                    time.sleep(rng.uniform(0.3, 1.2))
                    early += 1
                else:  # once it sends: at any moment of the SMTP exchanges and bookkeeping
                    deadline = time.monotonic() + 30
                    while server.handler.data_commands == seen and sender.poll() is None:
                        assert time.monotonic() < deadline, "the sender never sent"
                        time.sleep(0.005)
                    time.sleep(rng.uniform(0.0, 2.5 / RATE))
                sender.kill()
                sender.wait()
            if sender.returncode != -9:
                break  # it had finished: everything was sent
            landed += 1
            # a claim left behind for a message the server already took: SMTP cannot settle it
            taken = recipients(server)
            emails = {r.id: r.email for r in store.list_readers()}
            for held in store.list_deliveries(status=DeliveryStatus.CLAIMED):
                if taken[emails[held.reader_id]] > 0:
                    in_window.add(held.id)
                    window_kills += 1
                else:  # claimed, not yet sent: the next run takes it over and sends it
                    in_hand += 1
        time.sleep(float(STALE_AFTER))  # the last killed sender's claim is stale now
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr

        got = recipients(server)
        duplicates = sum(n - 1 for n in got.values())
        ids = {r.message()["Message-ID"] for r in server.received}
        deliveries = store.list_deliveries()
        print(
            f"\nkill test (seed {seed}): {runs + 1} runs, {landed} kills landed "
            f"({early} aimed before sending; {in_hand} with a briefing claimed and not yet "
            f"sent, {len(in_window)} between the server's acceptance and the send log); "
            f"messages expected {READERS}, received {len(server.received)}, "
            f"distinct recipients {len(got)}, distinct Message-IDs {len(ids)}, "
            f"duplicates {duplicates}"
        )
        assert landed >= KILLS, f"only {landed} kills landed in {runs} runs"
        assert sorted(got) == addresses  # nobody missed
        # a second copy only where SMTP could not tell: each such claim is resent once, or
        # more often when the run that resent it was killed in the same window again
        assert len(in_window) <= duplicates <= window_kills
        assert len(ids) == READERS  # a duplicate carries the same Message-ID
        assert [d.status for d in deliveries] == [DeliveryStatus.SENT] * READERS
        assert {d.period for d in deliveries} == {deliveries[0].period}
    finally:
        brief.close()
        server.stop()
