"""The command line for readers and briefings: readers add|list|remove|export|delete, brief
(a preview that sends and logs nothing), send (--now at most once per period)."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

from typer.testing import CliRunner

from marketbrief.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def words(output: str) -> str:
    """The output with line wrapping undone."""
    return " ".join(output.split())


def test_readers_add_checks_the_watchlist_and_schedule(workspace: Path) -> None:
    code, output = invoke(
        "readers",
        "add",
        "Ada@Example.com",
        "--watch",
        "RTX, lmt,FB",  # FB is META's former ticker
        "--sectors",
        "Semiconductors,Hotels, Resorts & Cruise Lines",  # a GICS name holding a comma
        "--events",
        "contract_award,MNA",
        "--cadence",
        "weekly",
        "--weekday",
        "friday",
        "--time",
        "06:30",
        "--tz",
        "Europe/Paris",
        "--name",
        "Ada",
        "--confirmed",
        "--json",
    )
    assert code == 0, output
    ada = json.loads(output)
    assert ada["email"] == "ada@example.com" and ada["status"] == "confirmed"
    assert ada["watchlist"] == {
        "tickers": ["RTX", "LMT", "META"],
        "sectors": ["Semiconductors", "Hotels, Resorts & Cruise Lines"],
        "event_types": ["contract_award", "mna"],
    }
    assert (ada["cadence"], ada["weekday"], ada["send_time"], ada["timezone"]) == (
        "weekly",
        4,
        "06:30",
        "Europe/Paris",
    )
    for bad, says in [
        (["--watch", "NOSUCHCO"], "NOSUCHCO"),
        (["--sectors", "Semiconductor"], "did you mean Semiconductors"),
        (["--events", "rumour"], "not an event type"),
        (["--tz", "Mars/Olympus"], "time zone"),
        (["--time", "7 am"], "--time"),
        (["--weekday", "someday"], "--weekday"),
        (["--cadence", "hourly"], "--cadence"),
    ]:
        code, output = invoke("readers", "add", "bob@example.com", *bad)
        assert code in (1, 2) and says in words(output), (bad, output)
    code, output = invoke("readers", "add", "ada@example.com")
    assert code == 1 and "already" in output
    code, output = invoke("readers", "list", "--json")
    assert [r["email"] for r in json.loads(output)] == ["ada@example.com"]


def test_a_reader_added_without_consent_is_pending_and_gets_nothing(workspace: Path) -> None:
    code, output = invoke("readers", "add", "pat@example.com", "--watch", "NVDA")
    assert code == 0 and "pending" in output and "/subscribe" in output
    code, output = invoke("send", "--now", "--json")
    assert code == 0 and json.loads(output)["deliveries"] == []
    code, output = invoke("send", "--reader", "pat@example.com")
    assert code == 1 and "pending" in output


def test_brief_previews_and_send_sends_once(workspace: Path, tmp_path: Path) -> None:
    assert invoke("readers", "add", "ada@example.com", "--watch", "RTX", "--confirmed")[0] == 0
    code, text = invoke("brief", "--reader", "ada@example.com")
    assert code == 0 and "/unsubscribe?token=" in text
    page = tmp_path / "preview.html"
    code, output = invoke("brief", "--reader", "ada@example.com", "--html", str(page))
    assert code == 0 and "<html" in page.read_text().lower()
    # a preview sends and logs nothing
    code, output = invoke("readers", "export", "ada@example.com")
    exported = json.loads(output)
    assert exported["deliveries"] == [] and exported["reader"]["last_briefed_at"] is None

    code, output = invoke("send", "--now", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["sent"] == 1 and report["deliveries"][0]["reader"] == "ada@example.com"
    code, output = invoke("send", "--now", "--json")
    assert code == 0 and json.loads(output)["sent"] == 0  # once per period
    [eml] = (workspace / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Message-ID"] == report["deliveries"][0]["message_id"]
    code, output = invoke("send")
    assert code == 0 and "0 briefings sent" in output


def test_remove_keeps_the_address_record_and_delete_erases_it(workspace: Path) -> None:
    from marketbrief.core import make_marketbrief
    from marketbrief.settings import load_settings

    for address in ("ada@example.com", "bob@example.com"):
        assert invoke("readers", "add", address, "--confirmed")[0] == 0
        assert invoke("send", "--now")[0] == 0
    with make_marketbrief(load_settings()) as brief:
        for address in ("ada@example.com", "bob@example.com"):
            brief.store.record_bounce(address, now=brief.clock(), limit=1, reason="550")
    code, output = invoke("readers", "export", "ada@example.com")
    exported = json.loads(output)
    assert exported["suppression"]["suppressed"] == 1 and len(exported["deliveries"]) == 1

    code, output = invoke("readers", "remove", "ada@example.com")
    assert code == 0 and "removed" in output
    code, output = invoke("readers", "delete", "bob@example.com")
    assert code == 0 and "erased" in output
    code, output = invoke("readers", "list", "--json")
    assert json.loads(output) == []
    with make_marketbrief(load_settings()) as brief:
        assert brief.store.list_deliveries() == []
        assert brief.store.is_suppressed("ada@example.com")  # remove: the bounce record stays
        assert not brief.store.is_suppressed("bob@example.com")  # delete: nothing kept
    code, output = invoke("readers", "delete", "bob@example.com")
    assert code == 1 and "no reader" in output


def test_help_explains_the_reader_commands() -> None:
    for command in (["readers", "add"], ["readers", "list"], ["brief"], ["send"], ["run"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
