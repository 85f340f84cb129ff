"""The polite HTTP client: every GET marketbrief makes to the web goes through ``PoliteClient``.

Polite to the sites (an honest User-Agent, conditional GET, at most a few requests in flight per
host with a pause between them, Retry-After and robots.txt obeyed) and careful with itself (only
http and https, an SSRF guard on every hop, redirects followed by hand so each is checked, a size
cap counted on the decompressed body so a gzip bomb stops early, one deadline per request).

DNS rebinding: with the default transport the connection is made through
:class:`~marketbrief.ingest.netguard.GuardedNetworkBackend`, which connects only to the very
addresses the guard checked, so a name cannot be re-pointed at ``127.0.0.1`` between the check
and the connect. With an injected ``transport`` (tests, a proxy) the guard checks the URL's host
before each hop but the transport resolves on its own: a rebinding window (time-of-check to
time-of-use) remains there, which is why production code leaves ``transport`` unset.

The client is asyncio-only (its pacing uses asyncio primitives).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import math
import re
import ssl
import time
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Final, Self

import httpcore
import httpx

from marketbrief.errors import (
    BlockedAddressError,
    FetchError,
    HTTPStatusError,
    RobotsDisallowedError,
    TooLargeError,
)
from marketbrief.ingest.netguard import AddressGuard, GuardedNetworkBackend, Resolver
from marketbrief.ingest.robots import (
    ROBOTS_MAX_BYTES,
    RobotsRules,
    decode_robots,
    parse_robots,
    product_token,
    rules_for_failure,
)
from marketbrief.settings import Settings

logger = logging.getLogger(__name__)

#: Longest a request waits for its host (Retry-After, Crawl-delay); past this it fails at once
#: with ``retry_after`` set, and the caller's backoff takes over instead of a sleeping worker.
MAX_HOST_WAIT: Final = 300.0

#: Only these are advertised: the body is decoded here, step by bounded step, and the standard
#: library has bounded decoders for gzip and deflate only (brotli and zstd would need a package).
ACCEPT_ENCODING: Final = "gzip, deflate"

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS: Final = frozenset({301, 308})
_RETRY_AFTER_STATUSES: Final = frozenset({429, 503})
_DECODE_STEP: Final = 64 * 1024  # most bytes one decompression step may produce
_GZIP_MAGIC: Final = b"\x1f\x8b"
_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_HOST_CHARS = re.compile(r"[A-Za-z0-9._:-]+")  # DNS names (IDNA-encoded) and IP literals


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """One successful (2xx) or not-modified (304) answer, after any redirects."""

    url: str  # the URL asked for, as given
    final_url: str  # where the answer came from, after redirects
    status_code: int  # 200 (or another 2xx), or 304 with empty content
    content: bytes  # decompressed, not decoded to text
    content_type: str | None  # media type only, lower case: "text/html"
    charset: str | None  # the Content-Type charset parameter, lower case
    etag: str | None  # exactly as the server sent it (on a 304 without one: as we sent it)
    last_modified: str | None  # exactly as the server sent it (same 304 rule)
    max_age: float | None  # Cache-Control max-age seconds; no-store / no-cache give 0
    permanent_redirect: str | None  # final_url when every hop was a 301/308, else None
    fetched_at: datetime  # aware UTC


# ── header parsing (pure) ─────────────────────────────────────────────────────────────────────


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """``'text/html; charset="UTF-8"'`` → ``("text/html", "utf-8")``."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, sep, arg = param.partition("=")
        if sep and name.strip().lower() == "charset":
            charset = arg.strip().strip("\"'").strip().lower() or None
    return media.strip().lower() or None, charset


def parse_max_age(cache_control: str | None) -> float | None:
    """Seconds a response may be reused: ``max-age``; ``no-store``/``no-cache`` give 0."""
    if not cache_control:
        return None
    max_age: float | None = None
    for directive in cache_control.split(","):
        name, _, arg = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return 0.0
        if name == "max-age":
            digits = arg.strip().strip('"')
            if digits.isascii() and digits.isdigit():
                max_age = float(digits)
    return max_age


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date; None if invalid."""
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# ── body decoding, bounded ────────────────────────────────────────────────────────────────────


class _BoundedDecoder:
    """Undoes one Content-Encoding, producing at most ``_DECODE_STEP`` bytes per step.

    httpx's own decoders inflate a whole network chunk at once, and 50 KB of gzip can be 50 MB
    of zeros; here the caller sees each step and stops at the cap.
    """

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._identity = encoding == "identity"
        # "deflate" is meant to be zlib-wrapped, but servers send raw deflate too: start
        # wrapped and switch once if the first bytes say otherwise (as browsers do).
        self._may_go_raw = encoding == "deflate"
        self._zlib = self._new_decompressor()
        self._done = False

    def _new_decompressor(self) -> zlib._Decompress:
        return zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._identity:
            if data:
                yield data
            return
        buffer = data
        while buffer and not self._done:
            try:
                out = self._zlib.decompress(buffer, _DECODE_STEP)
            except zlib.error:
                if not self._may_go_raw:
                    raise
                self._may_go_raw = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._may_go_raw = False
            if out:
                yield out
            if self._zlib.eof:
                rest = self._zlib.unused_data
                if self._gzip and rest.startswith(_GZIP_MAGIC):  # another gzip member
                    self._zlib = self._new_decompressor()
                    buffer = rest
                    continue
                self._done = True  # anything after the stream is trailing garbage
                return
            buffer = self._zlib.unconsumed_tail


def _content_encoding(headers: httpx.Headers, *, key: str) -> str:
    value: str = headers.get("content-encoding", "")
    codings = [c.strip().lower() for c in value.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return codings[0]
    raise FetchError(f"unsupported Content-Encoding {value!r}", key=key)


async def _read_body(
    response: httpx.Response, *, key: str, max_bytes: int, truncate: bool
) -> bytes:
    """The decompressed body, at most ``max_bytes``; past that TooLargeError, or the first
    ``max_bytes`` when ``truncate``. The compressed stream is capped at ``max_bytes`` too."""
    declared = response.headers.get("content-length", "").strip()
    if not truncate and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise TooLargeError(
            f"Content-Length {declared} is over the {max_bytes}-byte cap (http_max_bytes)",
            key=key,
        )
    decoder = _BoundedDecoder(_content_encoding(response.headers, key=key))
    body = bytearray()
    received = 0
    try:
        async for raw in response.aiter_raw():
            received += len(raw)
            if received > max_bytes and not truncate:
                raise TooLargeError(f"body passed the {max_bytes}-byte cap", key=key)
            for piece in decoder.decode(raw):
                room = max_bytes - len(body)
                if len(piece) > room:
                    if truncate:
                        body += piece[:room]
                        return bytes(body)
                    raise TooLargeError(
                        f"body passed the {max_bytes}-byte cap after decompression "
                        "(http_max_bytes)",
                        key=key,
                    )
                body += piece
    except zlib.error as exc:
        raise FetchError(f"corrupt compressed body: {exc}", key=key) from exc
    return bytes(body)


# ── the guarded transport ─────────────────────────────────────────────────────────────────────

# httpcore's errors, most specific first, and the httpx errors a transport is expected to raise.
_HTTPCORE_TO_HTTPX: Final[tuple[tuple[type[Exception], type[httpx.TransportError]], ...]] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextlib.contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core_error, httpx_error in _HTTPCORE_TO_HTTPX:
            if isinstance(exc, core_error):
                raise httpx_error(str(exc) or type(exc).__name__, request=request) from exc
        raise


class _CoreByteStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes], request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~0.1 s; one verified context serves every client.
    return httpx.create_ssl_context()


class _GuardedTransport(httpx.AsyncBaseTransport):
    """httpx transport over an httpcore pool whose connections go through the SSRF guard.

    httpx's own ``AsyncHTTPTransport`` takes no network backend, so this is the small adapter
    it would be, built on httpcore's public API only.
    """

    def __init__(self, backend: httpcore.AsyncNetworkBackend, *, max_connections: int) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_default_ssl_context(),
            max_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors(request):
            core_response = await self._pool.handle_async_request(core_request)
        assert isinstance(core_response.stream, AsyncIterable)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_CoreByteStream(core_response.stream, request),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


# ── per-host pacing ───────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class _Host:
    """Pacing state of one host within one client."""

    in_flight: asyncio.Semaphore
    delay: float  # seconds between two request starts: ours, or the site's Crawl-delay
    start_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start_at: float = -math.inf  # time.monotonic(); a Crawl-delay learnt later applies
    blocked_until: float = 0.0  # time.monotonic(), from a Retry-After
    blocked_status: int = 0


@dataclass(frozen=True, slots=True)
class _Hop:
    """What one request of a redirect chain gave: a redirect, or the end of the chain."""

    status_code: int
    headers: httpx.Headers
    content: bytes = b""
    location: httpx.URL | None = None


def _parse_http_url(url: str, *, key: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"not a valid URL: {exc}", key=key) from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"only http and https are fetched, not {parsed.scheme!r}", key=key)
    if not parsed.raw_host:
        raise FetchError("the URL has no host", key=key)
    if not _HOST_CHARS.fullmatch(parsed.raw_host.decode("ascii")):
        raise FetchError(f"not a valid host name: {parsed.host!r}", key=key)
    return parsed


def _host_of(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii").lower()


def _robots_url(url: httpx.URL) -> httpx.URL:
    return httpx.URL(scheme=url.scheme, host=url.host, port=url.port, path="/robots.txt")


# ── the client ────────────────────────────────────────────────────────────────────────────────


class PoliteClient:
    """Fetches URLs politely and safely; one per run, shared by every fetch of that run.

    Pacing, robots.txt answers and DNS answers live as long as the client. Use it as an async
    context manager, or call :meth:`aclose`.

    ``transport`` replaces the network (tests pass ``httpx.MockTransport``); the SSRF guard then
    checks each hop's host by resolving it, so give fake host names a ``resolver`` too (or set
    ``allow_private_addresses``, which skips the check). ``resolver`` replaces DNS: an async
    callable from a host name to its IP addresses; the default is ``getaddrinfo`` in a thread.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self._settings = settings
        self._guard = AddressGuard(
            allow_private=settings.allow_private_addresses, resolver=resolver
        )
        if transport is None:
            transport = _GuardedTransport(
                GuardedNetworkBackend(self._guard), max_connections=settings.http_concurrency
            )
        self._client = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(settings.http_timeout),
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc from the environment: the guard must see all
        )
        self._agent = product_token(settings.user_agent)
        self._all = asyncio.Semaphore(settings.http_concurrency)
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections (and the transport)."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_robots: bool = False,
        accept: str | None = None,
    ) -> HttpResponse:
        """GET ``url``, following redirects; a 2xx or 304 answer, else a FetchError.

        ``etag`` and ``last_modified`` (as stored from an earlier answer) make it conditional:
        an unchanged resource comes back as status 304 with empty content. ``check_robots``
        consults robots.txt for each hop's site first. Errors carry ``key=url``:
        HTTPStatusError (4xx/5xx, with ``retry_after`` on 429/503), BlockedAddressError,
        RobotsDisallowedError, TooLargeError, and FetchError for the rest.
        """
        headers: dict[str, str] = {}
        if etag is not None:
            headers["If-None-Match"] = etag
        if last_modified is not None:
            headers["If-Modified-Since"] = last_modified
        if accept is not None:
            headers["Accept"] = accept
        response = await self._fetch(
            url,
            headers=headers,
            check_robots=check_robots,
            max_bytes=self._settings.http_max_bytes,
            truncate=False,
        )
        if response.status_code == 304:
            # A 304 should repeat the validators; when it does not, ours are still the current
            # ones, and handing back None would make the caller forget them.
            etag_now = response.etag if response.etag is not None else etag
            modified_now = response.last_modified
            if modified_now is None:
                modified_now = last_modified
            return dataclasses.replace(response, etag=etag_now, last_modified=modified_now)
        return response

    async def _fetch(
        self,
        url: str,
        *,
        headers: dict[str, str],
        check_robots: bool,
        max_bytes: int,
        truncate: bool,
    ) -> HttpResponse:
        target = _parse_http_url(url, key=url)
        all_permanent = True
        for hops in range(self._settings.http_max_redirects + 1):
            await self._check_address(target, key=url)
            if check_robots:
                await self._check_robots(target, key=url)
            hop = await self._send(target, headers, key=url, max_bytes=max_bytes, truncate=truncate)
            if hop.location is None:
                return _make_response(url, target, hop, permanent=hops > 0 and all_permanent)
            all_permanent = all_permanent and hop.status_code in _PERMANENT_REDIRECTS
            target = hop.location
        raise FetchError(
            f"more than {self._settings.http_max_redirects} redirects (http_max_redirects); "
            f"the last pointed at {target}",
            key=url,
        )

    async def _check_address(self, target: httpx.URL, *, key: str) -> None:
        try:
            await self._guard.check_host(_host_of(target))
        except BlockedAddressError as exc:
            raise BlockedAddressError(f"{exc.message}: {target}", key=key) from exc
        except FetchError as exc:
            raise FetchError(f"{exc.message}: {target}", key=key) from exc

    async def _send(
        self,
        target: httpx.URL,
        headers: dict[str, str],
        *,
        key: str,
        max_bytes: int,
        truncate: bool,
    ) -> _Hop:
        host = _host_of(target)
        timeout = self._settings.http_timeout
        async with self._turn(host, key=key):
            try:
                # One deadline for the whole request, body included: per-read timeouts alone
                # let a server trickle a byte at a time for ever.
                async with asyncio.timeout(timeout):
                    request = self._client.build_request("GET", target, headers=headers)
                    response = await self._client.send(request, stream=True)
                    try:
                        return await self._read_hop(
                            target, response, key=key, max_bytes=max_bytes, truncate=truncate
                        )
                    finally:
                        await response.aclose()
            except (TimeoutError, httpx.TimeoutException) as exc:
                raise FetchError(f"timed out after {timeout} s: {target}", key=key) from exc
            except BlockedAddressError as exc:
                raise BlockedAddressError(f"{exc.message}: {target}", key=key) from exc
            except (httpx.HTTPError, UnicodeEncodeError) as exc:  # the latter: a header value
                raise FetchError(f"{type(exc).__name__}: {exc}: {target}", key=key) from exc
            except FetchError as exc:
                if exc.key == key:
                    raise
                raise FetchError(f"{exc.message}: {target}", key=key) from exc

    async def _read_hop(
        self,
        target: httpx.URL,
        response: httpx.Response,
        *,
        key: str,
        max_bytes: int,
        truncate: bool,
    ) -> _Hop:
        status = response.status_code
        location = response.headers.get("location")
        if status in _REDIRECTS and location:
            try:
                next_url = target.join(location.strip())
            except (httpx.InvalidURL, ValueError) as exc:
                raise FetchError(f"bad redirect Location {location!r}", key=key) from exc
            _parse_http_url(str(next_url), key=key)
            return _Hop(status, response.headers, location=next_url)
        if status == 304:
            return _Hop(status, response.headers)
        if status >= 300:
            retry_after = None
            if status in _RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), now=datetime.now(UTC)
                )
                if retry_after is not None:
                    self._hold_host(_host_of(target), retry_after, status)
            raise HTTPStatusError(
                f"HTTP {status} {response.reason_phrase} from {target}",
                key=key,
                status_code=status,
                retry_after=retry_after,
            )
        content = await _read_body(response, key=key, max_bytes=max_bytes, truncate=truncate)
        return _Hop(status, response.headers, content=content)

    # ── pacing ────────────────────────────────────────────────────────────────────────────

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = _Host(
                in_flight=asyncio.Semaphore(self._settings.http_per_host_concurrency),
                delay=self._settings.http_per_host_delay,
            )
            self._hosts[host] = state
        return state

    def _hold_host(self, host: str, seconds: float, status: int) -> None:
        state = self._host(host)
        until = time.monotonic() + seconds
        if until > state.blocked_until:
            state.blocked_until = until
            state.blocked_status = status
        logger.info(
            "http.host_held", extra={"host": host, "seconds": seconds, "status_code": status}
        )

    @contextlib.asynccontextmanager
    async def _turn(self, host: str, *, key: str) -> AsyncIterator[None]:
        """Hold one of the host's in-flight places and one of the client's, starting no sooner
        than the host's delay after its previous start and not before its Retry-After."""
        state = self._host(host)
        async with state.in_flight:
            async with state.start_lock:
                await self._wait_for_host(state, host, key=key)
                await self._all.acquire()
                state.last_start_at = time.monotonic()
            try:
                yield
            finally:
                self._all.release()

    async def _wait_for_host(self, state: _Host, host: str, *, key: str) -> None:
        while True:
            now = time.monotonic()
            held = state.blocked_until - now
            if held > MAX_HOST_WAIT:
                raise HTTPStatusError(
                    f"{host} answered {state.blocked_status} and asked for {held:.0f} s more "
                    f"(Retry-After); not waiting past {MAX_HOST_WAIT:.0f} s",
                    key=key,
                    status_code=state.blocked_status,
                    retry_after=held,
                )
            wait = max(state.last_start_at + state.delay, state.blocked_until) - now
            if wait > MAX_HOST_WAIT:
                raise FetchError(
                    f"{host} asks for {state.delay:.0f} s between requests (Crawl-delay); "
                    f"next turn in {wait:.0f} s",
                    key=key,
                    retry_after=wait,
                )
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    # ── robots.txt ────────────────────────────────────────────────────────────────────────

    async def _check_robots(self, target: httpx.URL, *, key: str) -> None:
        rules = await self._robots_for(target)
        if not rules.allows(str(target)):
            raise RobotsDisallowedError(
                f"robots.txt of {target.scheme}://{target.netloc.decode('ascii')} disallows "
                f"{target} for {self._agent!r}",
                key=key,
            )

    async def _robots_for(self, target: httpx.URL) -> RobotsRules:
        robots_url = str(_robots_url(target))
        lock = self._robots_locks.setdefault(robots_url, asyncio.Lock())
        async with lock:  # one fetch per site, however many pages wait for it
            rules = self._robots.get(robots_url)
            if rules is None:
                rules = await self._load_robots(robots_url)
                self._robots[robots_url] = rules
                if rules.crawl_delay is not None:
                    state = self._host(_host_of(target))
                    state.delay = max(state.delay, rules.crawl_delay)
            return rules

    async def _load_robots(self, robots_url: str) -> RobotsRules:
        try:
            response = await self._fetch(
                robots_url,
                headers={"Accept": "text/plain, */*;q=0.5"},
                check_robots=False,
                max_bytes=ROBOTS_MAX_BYTES,
                truncate=True,
            )
        except HTTPStatusError as exc:
            logger.info("http.robots_status", extra={"url": robots_url, "status": exc.status_code})
            return rules_for_failure(exc.status_code, agent=self._agent)
        except FetchError as exc:
            logger.info("http.robots_unreachable", extra={"url": robots_url, "error": str(exc)})
            return rules_for_failure(None, agent=self._agent)
        return parse_robots(decode_robots(response.content), agent=self._agent)


def _make_response(url: str, final: httpx.URL, hop: _Hop, *, permanent: bool) -> HttpResponse:
    content_type, charset = parse_content_type(hop.headers.get("content-type"))
    final_url = str(final)
    return HttpResponse(
        url=url,
        final_url=final_url,
        status_code=hop.status_code,
        content=hop.content,
        content_type=content_type,
        charset=charset,
        etag=hop.headers.get("etag"),
        last_modified=hop.headers.get("last-modified"),
        max_age=parse_max_age(hop.headers.get("cache-control")),
        permanent_redirect=final_url if permanent else None,
        fetched_at=datetime.now(UTC),
    )
