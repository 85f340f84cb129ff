"""The polite HTTP client against a real HTTP server on 127.0.0.1 (and a few pure parsers)."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import itertools
import socket
import ssl
import time
import tracemalloc
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from marketbrief.errors import (
    BlockedAddressError,
    FetchError,
    HTTPStatusError,
    RobotsDisallowedError,
    TooLargeError,
)
from marketbrief.ingest.http import (
    ACCEPT_ENCODING,
    HttpResponse,
    PoliteClient,
    parse_content_type,
    parse_max_age,
    parse_retry_after,
)
from marketbrief.ingest.netguard import explain_blocked_address
from marketbrief.ingest.robots import parse_robots, product_token, rules_for_failure
from marketbrief.settings import Settings

if TYPE_CHECKING:
    from conftest import Exchange, LoopbackServer, TlsServer

pytestmark = pytest.mark.anyio

MakeSettings = Callable[..., Settings]


class FakeResolver:
    """Stands in for DNS: names map to address lists; unknown names do not resolve."""

    def __init__(self, names: Mapping[str, Sequence[str] | Callable[[], Sequence[str]]]) -> None:
        self.names = dict(names)
        self.calls: list[str] = []

    async def __call__(self, host: str) -> Sequence[str]:
        self.calls.append(host)
        answer = self.names.get(host)
        if answer is None:
            raise OSError(f"unknown host {host}")
        return answer() if callable(answer) else answer


# ── a plain fetch ─────────────────────────────────────────────────────────────────────────────


async def test_fetch_returns_body_and_header_facts(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    headers = {
        "Content-Type": 'Text/HTML; Charset="ISO-8859-1"',
        "ETag": 'W/"v1-abc"',
        "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT",
        "Cache-Control": "public, max-age=600",
    }
    server.answer("/page", 200, b"<p>caf\xe9</p>", headers)
    before = datetime.now(UTC)
    async with PoliteClient(make_settings()) as client:
        got = await client.fetch(server.url("/page"))
    assert got == HttpResponse(
        url=server.url("/page"),
        final_url=server.url("/page"),
        status_code=200,
        content=b"<p>caf\xe9</p>",
        content_type="text/html",
        charset="iso-8859-1",
        etag='W/"v1-abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        max_age=600.0,
        permanent_redirect=None,
        fetched_at=got.fetched_at,
    )
    assert got.fetched_at.tzinfo is UTC
    assert before <= got.fetched_at <= datetime.now(UTC)


async def test_sends_honest_headers(server: LoopbackServer, make_settings: MakeSettings) -> None:
    server.answer("/feed", 200, b"<rss/>")
    settings = make_settings()
    async with PoliteClient(settings) as client:
        await client.fetch(server.url("/feed"), accept="application/rss+xml, */*;q=0.1")
    (seen,) = server.seen("/feed")
    assert seen.headers["user-agent"] == settings.user_agent
    assert seen.headers["accept-encoding"] == ACCEPT_ENCODING == "gzip, deflate"
    assert seen.headers["accept"] == "application/rss+xml, */*;q=0.1"
    assert "if-none-match" not in seen.headers
    assert "if-modified-since" not in seen.headers


# ── conditional GET ───────────────────────────────────────────────────────────────────────────

ETAG = '"33a64df551425fcc55e4d42a148795d9f25f89d4"'
MODIFIED = "Tue, 24 Jun 2025 09:00:00 GMT"


def _conditional(repeat_validators: bool) -> Callable[[Exchange], None]:
    def route(exchange: Exchange) -> None:
        validators = {"ETag": ETAG, "Last-Modified": MODIFIED}
        if exchange.headers.get("if-none-match") == ETAG:
            exchange.send(304, headers=validators if repeat_validators else {})
        else:
            exchange.send(200, b"fresh", validators)

    return route


@pytest.mark.parametrize("repeat_validators", [True, False])
async def test_conditional_get_gives_304_with_empty_content(
    server: LoopbackServer, make_settings: MakeSettings, repeat_validators: bool
) -> None:
    server.route("/feed", _conditional(repeat_validators))
    async with PoliteClient(make_settings()) as client:
        first = await client.fetch(server.url("/feed"))
        assert first.status_code == 200
        assert first.content == b"fresh"
        again = await client.fetch(
            server.url("/feed"), etag=first.etag, last_modified=first.last_modified
        )
    assert again.status_code == 304
    assert again.content == b""
    # Exactly as the server sent them, whether or not the 304 repeated them.
    assert (again.etag, again.last_modified) == (ETAG, MODIFIED)
    second = server.seen("/feed")[1]
    assert second.headers["if-none-match"] == ETAG
    assert second.headers["if-modified-since"] == MODIFIED


# ── compression and the size cap ──────────────────────────────────────────────────────────────

TEXT = b"Patriot air defense systems are made by RTX. " * 200


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # what the RFC says deflate is
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, which servers send
        ("identity", lambda data: data),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "identity"],
)
async def test_compressed_bodies_are_decoded(
    server: LoopbackServer,
    make_settings: MakeSettings,
    encoding: str,
    compress: Callable[[bytes], bytes],
) -> None:
    server.answer("/z", 200, compress(TEXT), {"Content-Encoding": encoding})
    async with PoliteClient(make_settings()) as client:
        got = await client.fetch(server.url("/z"))
    assert got.content == TEXT


async def test_two_gzip_members_are_both_decoded(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    body = gzip.compress(b"first half, ") + gzip.compress(b"second half")
    server.answer("/z", 200, body, {"Content-Encoding": "gzip"})
    async with PoliteClient(make_settings()) as client:
        got = await client.fetch(server.url("/z"))
    assert got.content == b"first half, second half"


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """50 MB of zeros, gzipped to about 50 KB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(50)]
    return b"".join(parts) + compressor.flush()


async def test_gzip_bomb_is_stopped_early(
    server: LoopbackServer, make_settings: MakeSettings, gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < 100_000
    server.answer("/bomb", 200, gzip_bomb, {"Content-Encoding": "gzip"})
    cap = 1_000_000
    async with PoliteClient(make_settings(http_max_bytes=cap)) as client:
        tracemalloc.start()
        try:
            with pytest.raises(TooLargeError) as caught:
                await client.fetch(server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.key == server.url("/bomb")
    # Inflating the bomb would take 50 MB; stopping at the cap keeps memory near the cap.
    assert peak < 8 * cap, f"peak {peak} bytes"


async def test_declared_length_over_cap_is_refused_before_the_body(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    def route(exchange: Exchange) -> None:
        exchange.send_head(200, {"Content-Length": "5000000"})
        exchange.end_headers()
        exchange.server.stopping.wait(5)  # the body would come much later

    server.route("/big", route)
    async with PoliteClient(make_settings(http_max_bytes=10_000)) as client:
        started = time.monotonic()
        with pytest.raises(TooLargeError, match="Content-Length"):
            await client.fetch(server.url("/big"))
    assert time.monotonic() - started < 1.0


def _chunked(size: int) -> Callable[[Exchange], None]:
    def route(exchange: Exchange) -> None:
        exchange.send_head(200, {"Transfer-Encoding": "chunked"})
        exchange.end_headers()
        block = b"x" * 1000
        for _ in range(size // 1000):
            exchange.write(b"%x\r\n%s\r\n" % (len(block), block))
        exchange.write(b"0\r\n\r\n")

    return route


async def test_body_without_length_is_capped_while_streaming(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.route("/long", _chunked(50_000))
    server.route("/exact", _chunked(10_000))
    async with PoliteClient(make_settings(http_max_bytes=10_000)) as client:
        with pytest.raises(TooLargeError):
            await client.fetch(server.url("/long"))
        exact = await client.fetch(server.url("/exact"))
    assert len(exact.content) == 10_000


async def test_unknown_content_encoding_is_an_error(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/br", 200, b"\x8b\x02\x80", {"Content-Encoding": "br"})
    server.answer("/bad", 200, b"not gzip at all", {"Content-Encoding": "gzip"})
    async with PoliteClient(make_settings()) as client:
        with pytest.raises(FetchError, match="Content-Encoding"):
            await client.fetch(server.url("/br"))
        with pytest.raises(FetchError, match="corrupt"):
            await client.fetch(server.url("/bad"))


# ── errors ────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("status", [400, 403, 404, 410, 500, 502])
async def test_error_status_raises_http_status_error(
    server: LoopbackServer, make_settings: MakeSettings, status: int
) -> None:
    server.answer("/x", status, b"no")
    async with PoliteClient(make_settings()) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.fetch(server.url("/x"))
    assert caught.value.status_code == status
    assert caught.value.key == server.url("/x")
    assert caught.value.retry_after is None


async def test_429_and_503_carry_retry_after_in_both_forms(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/slow-down", 429, headers={"Retry-After": "120"})
    when = datetime.now(UTC) + timedelta(seconds=90)
    server.answer("/maintenance", 503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    async with PoliteClient(make_settings()) as client:
        with pytest.raises(HTTPStatusError) as limited:
            await client.fetch(server.url("/slow-down"))
    # A new client: the first one now holds the host for 120 s.
    async with PoliteClient(make_settings()) as client:
        with pytest.raises(HTTPStatusError) as down:
            await client.fetch(server.url("/maintenance"))
    assert (limited.value.status_code, limited.value.retry_after) == (429, 120.0)
    assert down.value.status_code == 503
    assert down.value.retry_after is not None
    assert 85 <= down.value.retry_after <= 91


async def test_slow_server_times_out(server: LoopbackServer, make_settings: MakeSettings) -> None:
    def route(exchange: Exchange) -> None:
        exchange.server.stopping.wait(5)

    server.route("/stuck", route)
    async with PoliteClient(make_settings(http_timeout=0.3)) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out") as caught:
            await client.fetch(server.url("/stuck"))
    assert type(caught.value) is FetchError
    assert caught.value.key == server.url("/stuck")
    assert time.monotonic() - started < 1.5


async def test_trickling_body_hits_the_whole_request_deadline(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    def route(exchange: Exchange) -> None:
        exchange.send_head(200, {"Content-Length": "100"})
        exchange.end_headers()
        for _ in range(100):  # every read is quick, the whole is not
            if exchange.server.stopping.wait(0.05):
                return
            exchange.write(b"x")

    server.route("/drip", route)
    async with PoliteClient(make_settings(http_timeout=0.3)) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            await client.fetch(server.url("/drip"))
    assert time.monotonic() - started < 1.2


async def test_connection_refused_is_a_fetch_error(make_settings: MakeSettings) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    async with PoliteClient(make_settings()) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(url)
    assert type(caught.value) is FetchError
    assert caught.value.key == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:70/",
        "http://",
        "http:///path-only",
        "not a url",
        "https://exa mple.com/",
    ],
)
async def test_bad_urls_and_schemes_are_refused(make_settings: MakeSettings, url: str) -> None:
    resolver = FakeResolver({})
    async with PoliteClient(make_settings(), resolver=resolver) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(url)
    assert caught.value.key == url
    assert resolver.calls == []


# ── redirects ─────────────────────────────────────────────────────────────────────────────────


def _redirect(status: int, location: str) -> Callable[[Exchange], None]:
    def route(exchange: Exchange) -> None:
        exchange.send(status, b"", {"Location": location})

    return route


async def test_permanent_redirect_chain_reports_the_new_url(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.route("/old", _redirect(301, "/older-still"))  # relative Location
    server.route("/older-still", _redirect(308, server.url("/new")))
    server.answer("/new", 200, b"here")
    async with PoliteClient(make_settings()) as client:
        got = await client.fetch(server.url("/old"))
    assert got.url == server.url("/old")
    assert got.final_url == server.url("/new")
    assert got.permanent_redirect == server.url("/new")
    assert got.content == b"here"


async def test_temporary_hop_means_no_permanent_redirect(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.route("/a", _redirect(301, "/b"))
    server.route("/b", _redirect(302, "/c"))
    server.answer("/c", 200, b"c")
    async with PoliteClient(make_settings()) as client:
        got = await client.fetch(server.url("/a"))
    assert got.final_url == server.url("/c")
    assert got.permanent_redirect is None


async def test_too_many_redirects(server: LoopbackServer, make_settings: MakeSettings) -> None:
    for n in range(10):
        server.route(f"/r{n}", _redirect(302, f"/r{n + 1}"))
    async with PoliteClient(make_settings(http_max_redirects=2)) as client:
        with pytest.raises(FetchError, match="redirects") as caught:
            await client.fetch(server.url("/r0"))
        assert caught.value.key == server.url("/r0")
        assert [r.path for r in server.requests] == ["/r0", "/r1", "/r2"]
        server.answer("/r2", 200, b"two hops")
        assert (await client.fetch(server.url("/r0"))).content == b"two hops"


async def test_redirect_to_another_scheme_is_refused(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.route("/ftp", _redirect(301, "ftp://127.0.0.1/file"))
    async with PoliteClient(make_settings()) as client:
        with pytest.raises(FetchError, match="only http and https") as caught:
            await client.fetch(server.url("/ftp"))
    assert caught.value.key == server.url("/ftp")


# ── the SSRF guard ────────────────────────────────────────────────────────────────────────────


async def test_loopback_is_refused_without_allow_private(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/secret", 200, b"admin panel")
    resolver = FakeResolver({"intranet.example": ["127.0.0.1"]})
    urls = [
        server.url("/secret"),
        server.url("/secret", host="intranet.example"),
        server.url("/secret", host="localhost"),
        server.url("/secret", host="[::1]"),
        server.url("/secret", host="[::ffff:127.0.0.1]"),
    ]
    async with PoliteClient(
        make_settings(allow_private_addresses=False), resolver=resolver
    ) as client:
        for url in urls:
            with pytest.raises(BlockedAddressError) as caught:
                await client.fetch(url)
            assert caught.value.key == url
    assert server.requests == []


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.1/", "http://127.1/"])
async def test_numeric_loopback_spellings_are_refused(
    make_settings: MakeSettings, url: str
) -> None:
    # The system resolver turns these into 127.0.0.1 without a DNS query.
    async with PoliteClient(make_settings(allow_private_addresses=False)) as client:
        with pytest.raises(BlockedAddressError):
            await client.fetch(url)


async def test_public_looking_redirect_chain_to_loopback_is_refused(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    # Public hosts cannot be reached from a test, so a mock transport plays them; the chain's
    # last hop names the real loopback server, which must never see a request.
    server.answer("/secret", 200, b"admin panel")
    hops: list[str] = []

    def public_web(request: httpx.Request) -> httpx.Response:
        hops.append(str(request.url))
        if request.url.host == "news.example":
            return httpx.Response(301, headers={"Location": "https://cdn.example/story"})
        return httpx.Response(302, headers={"Location": server.url("/secret")})

    resolver = FakeResolver({"news.example": ["93.184.216.34"], "cdn.example": ["151.101.1.1"]})
    async with PoliteClient(
        make_settings(allow_private_addresses=False),
        transport=httpx.MockTransport(public_web),
        resolver=resolver,
    ) as client:
        with pytest.raises(BlockedAddressError, match="loopback") as caught:
            await client.fetch("https://news.example/story")
    assert caught.value.key == "https://news.example/story"
    assert hops == ["https://news.example/story", "https://cdn.example/story"]
    assert server.requests == []


async def test_a_name_with_any_blocked_address_is_refused(make_settings: MakeSettings) -> None:
    resolver = FakeResolver(
        {
            "mixed.example": ["93.184.216.34", "10.0.0.7"],
            "cgnat.example": ["100.64.1.1"],
            "cloud.example": ["169.254.169.254"],
        }
    )
    never = httpx.MockTransport(lambda request: pytest.fail(f"connected to {request.url}"))
    async with PoliteClient(
        make_settings(allow_private_addresses=False), transport=never, resolver=resolver
    ) as client:
        for host in ("mixed.example", "cgnat.example", "cloud.example"):
            with pytest.raises(BlockedAddressError):
                await client.fetch(f"http://{host}/")
        for url in ("http://metadata.google.internal/", "http://169.254.169.254/latest/"):
            with pytest.raises(BlockedAddressError):
                await client.fetch(url)
    assert "metadata.google.internal" not in resolver.calls  # refused by name, not resolved


async def test_connection_goes_to_the_checked_address(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    # DNS rebinding: the name would point elsewhere on a second lookup. The client must resolve
    # once and connect to what it checked; a second lookup would land on a dead address.
    server.answer("/page", 200, b"checked")
    answers = iter([["127.0.0.1"]])
    resolver = FakeResolver({"rebind.example": lambda: next(answers, ["127.0.0.2"])})
    async with PoliteClient(make_settings(), resolver=resolver) as client:
        got = await client.fetch(server.url("/page", host="rebind.example"))
        again = await client.fetch(server.url("/page", host="rebind.example"))
    assert (got.content, again.content) == (b"checked", b"checked")
    assert resolver.calls == ["rebind.example"]
    assert server.seen("/page")[0].headers["host"] == f"rebind.example:{server.port}"


async def test_https_connects_to_the_checked_address_and_verifies_the_name(
    tls_server: TlsServer, make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The guard hands the TLS layer an IP to connect to; the certificate must still be checked
    # against the host name in the URL, not the IP.
    server = tls_server.server
    server.answer("/page", 200, b"over tls")
    trusting = ssl.create_default_context(cafile=str(tls_server.ca_file))
    monkeypatch.setattr("marketbrief.ingest.http._default_ssl_context", lambda: trusting)
    resolver = FakeResolver({tls_server.hostname: ["127.0.0.1"], "impostor.example": ["127.0.0.1"]})
    async with PoliteClient(make_settings(), resolver=resolver) as client:
        got = await client.fetch(server.url("/page", host=tls_server.hostname))
        with pytest.raises(FetchError, match=r"(?i)certificate|hostname") as caught:
            await client.fetch(server.url("/page", host="impostor.example"))
    assert got.content == b"over tls"
    assert got.final_url.startswith("https://secure.example:")
    assert type(caught.value) is FetchError
    assert len(server.seen("/page")) == 1


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::",
        "::1",
        "fc00::1",
        "fd00:ec2::254",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 wrapping 169.254.169.254
        "2001:db8::1",
    ],
)
def test_blocked_addresses(address: str) -> None:
    assert explain_blocked_address(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert explain_blocked_address(ipaddress.ip_address(address)) is None


# ── pacing ────────────────────────────────────────────────────────────────────────────────────


def _slow(seconds: float, body: bytes = b"ok") -> Callable[[Exchange], None]:
    def route(exchange: Exchange) -> None:
        time.sleep(seconds)
        exchange.send(200, body)

    return route


async def test_requests_to_one_host_are_spaced(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    for n in range(3):
        server.answer(f"/p{n}", 200, b"ok")
    async with PoliteClient(make_settings(http_per_host_delay=0.2)) as client:
        await asyncio.gather(*(client.fetch(server.url(f"/p{n}")) for n in range(3)))
    starts = sorted(r.started_at for r in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 2
    # Measured where the server reads the request, so connection set-up blurs it a little;
    # without pacing the three would arrive together.
    assert all(gap >= 0.14 for gap in gaps), gaps
    assert starts[-1] - starts[0] >= 0.34, gaps


@pytest.mark.parametrize("per_host", [1, 2])
async def test_in_flight_requests_per_host_are_capped(
    server: LoopbackServer, make_settings: MakeSettings, per_host: int
) -> None:
    for n in range(3):
        server.route(f"/s{n}", _slow(0.1))
    async with PoliteClient(make_settings(http_per_host_concurrency=per_host)) as client:
        await asyncio.gather(*(client.fetch(server.url(f"/s{n}")) for n in range(3)))
    assert server.max_in_flight == per_host


@pytest.mark.parametrize("overall", [1, 3])
async def test_in_flight_requests_overall_are_capped(
    server: LoopbackServer, make_settings: MakeSettings, overall: int
) -> None:
    server.route("/s", _slow(0.1))
    hosts = ["a.example", "b.example", "c.example"]
    resolver = FakeResolver({host: ["127.0.0.1"] for host in hosts})
    settings = make_settings(http_concurrency=overall, http_per_host_concurrency=4)
    async with PoliteClient(settings, resolver=resolver) as client:
        await asyncio.gather(*(client.fetch(server.url("/s", host=h)) for h in hosts))
    assert server.max_in_flight == overall


async def test_retry_after_holds_the_host(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/busy", 429, headers={"Retry-After": "1"})
    server.answer("/next", 200, b"ok")
    resolver = FakeResolver({"busy.example": ["127.0.0.1"], "calm.example": ["127.0.0.1"]})
    async with PoliteClient(make_settings(), resolver=resolver) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.fetch(server.url("/busy", host="busy.example"))
        assert caught.value.retry_after == 1.0
        refused_at = time.monotonic()
        # Another host is not held ...
        await client.fetch(server.url("/next", host="calm.example"))
        # ... this one is, for the second it asked for.
        await client.fetch(server.url("/next", host="busy.example"))
    calm, busy = server.seen("/next")
    assert calm.started_at - refused_at < 0.5
    assert busy.started_at - refused_at >= 0.85


async def test_retry_after_past_the_cap_fails_at_once(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/busy", 503, headers={"Retry-After": "3600"})
    server.answer("/next", 200, b"ok")
    async with PoliteClient(make_settings()) as client:
        with pytest.raises(HTTPStatusError):
            await client.fetch(server.url("/busy"))
        started = time.monotonic()
        with pytest.raises(HTTPStatusError) as caught:
            await client.fetch(server.url("/next"))
    assert time.monotonic() - started < 0.5
    assert caught.value.status_code == 503
    assert caught.value.retry_after is not None
    assert 3590 < caught.value.retry_after <= 3600
    assert caught.value.key == server.url("/next")
    assert server.seen("/next") == []


# ── robots.txt ────────────────────────────────────────────────────────────────────────────────

ROBOTS = b"""\
User-agent: *
Allow: /

User-agent: marketbrief
Disallow: /private
"""


async def test_robots_disallow_is_obeyed_and_fetched_once(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/robots.txt", 200, ROBOTS, {"Content-Type": "text/plain"})
    server.answer("/public", 200, b"ok")
    server.answer("/private/report", 200, b"secret")
    async with PoliteClient(make_settings()) as client:
        results = await asyncio.gather(
            *(client.fetch(server.url("/public"), check_robots=True) for _ in range(3)),
            client.fetch(server.url("/private/report"), check_robots=True),
            return_exceptions=True,
        )
    assert [type(r) for r in results] == [HttpResponse] * 3 + [RobotsDisallowedError]
    refused = results[3]
    assert isinstance(refused, RobotsDisallowedError)
    assert refused.key == server.url("/private/report")
    assert len(server.seen("/robots.txt")) == 1
    assert server.seen("/private/report") == []


async def test_robots_is_skipped_unless_asked(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/robots.txt", 200, b"User-agent: *\nDisallow: /\n")
    server.answer("/feed", 200, b"<rss/>")
    async with PoliteClient(make_settings()) as client:
        await client.fetch(server.url("/feed"))
    assert server.seen("/robots.txt") == []


@pytest.mark.parametrize(
    ("status", "allowed"), [(404, True), (410, True), (403, True), (429, False), (500, False)]
)
async def test_robots_failure_statuses(
    server: LoopbackServer, make_settings: MakeSettings, status: int, allowed: bool
) -> None:
    server.answer("/robots.txt", status, b"oops")
    server.answer("/page", 200, b"ok")
    async with PoliteClient(make_settings()) as client:
        for _ in range(2):
            if allowed:
                await client.fetch(server.url("/page"), check_robots=True)
            else:
                with pytest.raises(RobotsDisallowedError):
                    await client.fetch(server.url("/page"), check_robots=True)
    assert len(server.seen("/robots.txt")) == 1  # the verdict holds for the run
    assert len(server.seen("/page")) == (2 if allowed else 0)


async def test_robots_is_checked_on_every_hop(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/robots.txt", 200, b"User-agent: *\nDisallow: /members\n")
    server.route("/go", _redirect(302, server.url("/members/page", host="other.example")))
    resolver = FakeResolver({"other.example": ["127.0.0.1"]})
    async with PoliteClient(make_settings(), resolver=resolver) as client:
        with pytest.raises(RobotsDisallowedError) as caught:
            await client.fetch(server.url("/go"), check_robots=True)
    assert caught.value.key == server.url("/go")
    assert sorted(r.host for r in server.seen("/robots.txt")) == ["127.0.0.1", "other.example"]
    assert server.seen("/members/page") == []


async def test_crawl_delay_spaces_requests(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/robots.txt", 200, b"User-agent: *\nCrawl-delay: 1\n")
    server.answer("/a", 200, b"a")
    async with PoliteClient(make_settings(http_per_host_delay=0.0)) as client:
        await client.fetch(server.url("/a"), check_robots=True)
    # The robots.txt request itself counts: the page waits a Crawl-delay after it.
    robots, page = (server.seen(p)[0].started_at for p in ("/robots.txt", "/a"))
    assert page - robots >= 0.85


async def test_crawl_delay_past_the_cap_fails_at_once(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    server.answer("/robots.txt", 200, b"User-agent: *\nCrawl-delay: 400\n")
    server.answer("/a", 200, b"a")
    async with PoliteClient(make_settings()) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match="Crawl-delay") as caught:
            await client.fetch(server.url("/a"), check_robots=True)
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after is not None
    assert 390 < caught.value.retry_after <= 400
    assert server.seen("/a") == []


async def test_huge_robots_txt_is_read_up_to_500_kib(
    server: LoopbackServer, make_settings: MakeSettings
) -> None:
    head = b"User-agent: *\nDisallow: /early\n"
    tail = b"Disallow: /late\n"
    padding = b"# " + b"." * 600_000 + b"\n"
    server.answer("/robots.txt", 200, head + padding + tail)
    server.answer("/late", 200, b"late")
    async with PoliteClient(make_settings(http_max_bytes=100_000)) as client:
        with pytest.raises(RobotsDisallowedError):
            await client.fetch(server.url("/early"), check_robots=True)
        assert (await client.fetch(server.url("/late"), check_robots=True)).content == b"late"


def test_robots_rules_match_our_product_token() -> None:
    agent = product_token("MarketBrief/0.1 (+https://example.org)")
    assert agent == "marketbrief"
    rules = parse_robots(ROBOTS.decode(), agent=agent)
    assert not rules.allows("https://example.com/private/x")
    assert rules.allows("https://example.com/news")
    others = parse_robots("User-agent: otherbot\nDisallow: /\n", agent=agent)
    assert others.allows("https://example.com/news")
    assert rules_for_failure(None, agent=agent).allows("https://example.com/") is False
    assert rules_for_failure(404, agent=agent).allows("https://example.com/") is True


# ── header parsers ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("public, max-age=600", 600.0),
        ("max-age=0", 0.0),
        ('max-age="30"', 30.0),
        ("no-cache", 0.0),
        ("max-age=600, no-store", 0.0),
        ("private", None),
        ("max-age=soon", None),
    ],
)
def test_parse_max_age(value: str | None, expected: float | None) -> None:
    assert parse_max_age(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (None, None)),
        ("application/rss+xml", ("application/rss+xml", None)),
        ("text/html;charset=utf-8", ("text/html", "utf-8")),
        ("Text/HTML; Charset='Windows-1252'; q=1", ("text/html", "windows-1252")),
    ],
)
def test_parse_content_type(value: str | None, expected: tuple[str | None, str | None]) -> None:
    assert parse_content_type(value) == expected


def test_parse_retry_after() -> None:
    now = datetime(2025, 6, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Wed, 25 Jun 2025 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Wed, 25 Jun 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("-5", now=now) is None
    assert parse_retry_after(None, now=now) is None
