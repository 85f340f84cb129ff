"""Fixtures of the delivery tests: SMTP servers on loopback (see loopback_smtp.py), a sample
briefing."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from loopback_smtp import SmtpServer, StartSmtp, make_briefing, start_server

from marketbrief.model import Briefing


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    """A throwaway certificate authority for the servers' TLS."""
    return trustme.CA()


@pytest.fixture(scope="session")
def smtp_cafile(smtp_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    smtp_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def start_smtp(smtp_ca: trustme.CA, smtp_cafile: Path) -> Iterator[StartSmtp]:
    """Start an SMTP server: ``start_smtp(security="none"|"starttls"|"tls",
    users={"name": "password"}, auth_require_tls=True, handler=RecordingHandler())``
    (see ``loopback_smtp.start_server``). Every server started is stopped after the test."""
    started: list[SmtpServer] = []

    def start(**options: Any) -> SmtpServer:
        server = start_server(ca=smtp_ca, cafile=smtp_cafile, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(start_smtp: StartSmtp) -> SmtpServer:
    """A plain SMTP server on loopback that takes every message."""
    return start_smtp()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def sample_briefing() -> Briefing:
    return make_briefing()


@pytest.fixture
def briefing_factory() -> Callable[..., Briefing]:
    """``make_briefing(title=..., name=..., email_address=...)``."""
    return make_briefing
