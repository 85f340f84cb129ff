"""Fixtures for the ingest tests: a real HTTP/1.1 server on 127.0.0.1 scripted per path."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from marketbrief.settings import Settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: Mapping[str, str]  # lower-case names
    started_at: float  # time.monotonic() when the request line was read

    @property
    def host(self) -> str:
        return self.headers.get("host", "").rsplit(":", 1)[0]


class Exchange:
    """What a route handler gets: the request, and ways to answer it."""

    def __init__(self, handler: BaseHTTPRequestHandler, server: LoopbackServer) -> None:
        self.handler = handler
        self.server = server
        self.path = handler.path
        self.headers = {k.lower(): v for k, v in handler.headers.items()}

    def send(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        content_length: bool = True,
    ) -> None:
        self.send_head(status, headers)
        if content_length:
            self.handler.send_header("Content-Length", str(len(body)))
        self.handler.end_headers()
        if body:
            self.write(body)

    def send_head(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        """Status line and headers, without ending the header block."""
        self.handler.send_response(status)
        for name, value in (headers or {}).items():
            self.handler.send_header(name, value)

    def end_headers(self) -> None:
        self.handler.end_headers()

    def write(self, data: bytes) -> None:
        self.handler.wfile.write(data)
        self.handler.wfile.flush()

    def close_after(self) -> None:
        self.handler.close_connection = True


Route = Callable[[Exchange], None]


def respond(
    status: int = 200, body: bytes = b"", headers: Mapping[str, str] | None = None
) -> Route:
    """A route that always gives the same answer."""

    def route(exchange: Exchange) -> None:
        exchange.send(status, body, headers)

    return route


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    timeout = 10  # an idle keep-alive connection ends eventually
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        exchange = Exchange(self, owner)
        owner.record(Seen(self.path, exchange.headers, time.monotonic()))
        route = owner.routes.get(self.path.split("?", 1)[0], respond(404, b"not here"))
        owner.enter()
        try:
            route(exchange)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up, as it may (size caps, timeouts)
        finally:
            owner.leave()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            self.owner.errors.append(error)


@dataclass
class LoopbackServer:
    """A real HTTP server on 127.0.0.1 with routes scripted by the test."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    errors: list[BaseException | None] = field(default_factory=list)
    max_in_flight: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    scheme: str = "http"
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    def start(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        if tls is not None:
            self.scheme = "https"
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers that hold a response back
        assert self._server is not None
        assert self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def route(self, path: str, route: Route) -> None:
        """Answer ``path`` by calling ``route``."""
        self.routes[path] = route

    def answer(
        self,
        path: str,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``path`` always the same way."""
        self.routes[path] = respond(status, body, headers)

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer()
    srv.start()
    yield srv
    srv.stop()
    assert not srv.errors, f"the loopback server's handlers failed: {srv.errors!r}"


@dataclass(frozen=True, slots=True)
class TlsServer:
    """A loopback HTTPS server whose self-signed certificate names ``hostname`` only."""

    server: LoopbackServer
    hostname: str
    ca_file: Path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not found: cannot make a certificate for the HTTPS server")
    hostname = "secure.example"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", f"/CN={hostname}",
            "-addext", f"subjectAltName=DNS:{hostname}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv = LoopbackServer()
    srv.start(tls=context)
    yield TlsServer(srv, hostname, cert)
    srv.stop()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for tests: loopback allowed, no pacing, short timeouts; override any field."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "home": tmp_path,
            "allow_private_addresses": True,
            "http_per_host_delay": 0.0,
            "http_timeout": 3.0,
            "user_agent": "marketbrief/0.1 (test; +https://example.org/marketbrief)",
        }
        values.update(overrides)
        return Settings(**values)

    return make
