"""No signed token reaches the access log of `marketbrief serve`."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from marketbrief.deliver.links import make_token
from marketbrief.web.logs import REDACTED, RedactTokens, redact

KEY = b"k" * 32


def token(purpose: str, value: object) -> str:
    return make_token(KEY, purpose, value)


@pytest.mark.parametrize("purpose", ["signin", "confirm", "unsubscribe", "feed", "session"])
def test_tokens_in_paths_and_queries_are_redacted(purpose: str) -> None:
    secret = token(purpose, 12345)
    for target in (
        f"/signin/{secret}",
        f"/feeds/readers/{secret}.xml",
        f"/calendar/readers/{secret}.ics",
        f"/unsubscribe?token={quote(secret, safe='')}",
        f"/confirm?lang=en&token={secret}&x=1",
    ):
        cleaned = redact(target)
        assert secret not in cleaned
        assert secret.split(".")[-1] not in cleaned  # not even the signature
        assert REDACTED in cleaned
    assert redact(f"/feeds/readers/{secret}.xml") == f"/feeds/readers/{REDACTED}.xml"


def test_compressed_tokens_are_redacted_too() -> None:
    secret = token("feed", {"watch": ["AAPL"] * 60})  # long enough for itsdangerous to zlib it
    assert secret.startswith(".")
    assert redact(f"/x/{secret}") == f"/x/{REDACTED}"


@pytest.mark.parametrize(
    "target",
    [
        "/articles?ticker=AAPL&sector=Information+Technology&page=2",
        "/articles/3f2a9c1e0b7d4a55",
        "/api/v1/key-dates?from=2025-06-01&to=2025-07-01",
        "/tickers/BRK.B",
        "/static/style.v1.2.css",
        "/search?q=U.S.+jobs+report",
    ],
)
def test_ordinary_targets_are_left_alone(target: str) -> None:
    assert redact(target) == target


def test_the_filter_rewrites_uvicorn_access_records() -> None:
    secret = token("signin", 7)
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/signin/{secret}", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    assert secret not in record.getMessage()
    assert f"/signin/{REDACTED}" in record.getMessage()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_logs_requests_without_their_tokens(workspace: Path) -> None:
    port = free_port()
    env = {**os.environ, "MARKETBRIEF_HOME": str(workspace)}
    command = [sys.executable, "-m", "marketbrief", "serve", "--port", str(port)]
    secret = "MTI.awpiiQ.x2d6S-gH-m7sX6LDmxmTe2AO6uo"  # token-shaped; forged, so answered 400
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as server:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except httpx.TransportError:
                    assert server.poll() is None, "serve exited"
                    assert time.monotonic() < deadline, "serve did not start"
                    time.sleep(0.1)
            httpx.get(f"http://127.0.0.1:{port}/signin/{secret}", timeout=5)
            httpx.get(f"http://127.0.0.1:{port}/unsubscribe?token={secret}", timeout=5)
        finally:
            server.terminate()
        log, _ = server.communicate(timeout=30)
    assert f'"GET /signin/{REDACTED} HTTP/1.1"' in log
    assert f'"GET /unsubscribe?token={REDACTED} HTTP/1.1"' in log
    assert secret not in log
