"""The SSRF guard: which network addresses marketbrief may connect to; connect only to those.

A source URL comes from an operator or, worse, from a feed or a redirect a stranger controls, so
every host is resolved and every address it resolves to is checked before a connection is made:
loopback, private (RFC 1918, ULA ``fc00::/7``), link-local (``169.254/16`` with the cloud metadata
address ``169.254.169.254``, ``fe80::/10``), unspecified, multicast, reserved, documentation,
CGNAT ``100.64/10`` and anything else that is not globally routable are refused, as are the same
addresses embedded in IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, NAT64) and the cloud metadata
host names. A host that resolves to *any* refused address is refused as a whole.

DNS rebinding: a name can resolve to a public address when checked and to ``127.0.0.1`` a moment
later, when the HTTP library resolves it again to connect. :class:`GuardedNetworkBackend` closes
that gap for the default transport: it is the httpcore network backend, so the connection is made
to an address the guard has just checked (and cached for the client's lifetime, so the pre-flight
check and the connection see the same answer); TLS still verifies the certificate against the
host name, which httpcore passes separately. When a caller injects its own transport (tests, a
proxy), only the pre-flight check runs and a rebinding window remains; the client's docstring says
so.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Final

import httpcore

from marketbrief.errors import BlockedAddressError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Turns a host name into the IP addresses (as strings) it resolves to.
Resolver = Callable[[str], Awaitable[Sequence[str]]]

# Cloud metadata services reachable by name; their addresses are blocked below as well, but a
# name can be resolved by a split-horizon resolver to something that looks harmless.
_METADATA_HOSTS: Final = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.platformequinix.com",
        "metadata.tencentyun.com",
    }
)

# Checked in order; the first match names the reason. Anything not listed that Python still
# does not call global is refused by the catch-all in explain_blocked_address.
_BLOCKED_NETWORKS: Final[tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]] = (
    (ipaddress.ip_network("0.0.0.0/8"), "unspecified / 'this network'"),
    (ipaddress.ip_network("10.0.0.0/8"), "private (RFC 1918)"),
    (ipaddress.ip_network("100.64.0.0/10"), "carrier-grade NAT (RFC 6598)"),
    (ipaddress.ip_network("127.0.0.0/8"), "loopback"),
    (ipaddress.ip_network("169.254.0.0/16"), "link-local (cloud metadata lives here)"),
    (ipaddress.ip_network("172.16.0.0/12"), "private (RFC 1918)"),
    (ipaddress.ip_network("192.0.0.0/24"), "IETF protocol assignments"),
    (ipaddress.ip_network("192.0.2.0/24"), "documentation"),
    (ipaddress.ip_network("192.88.99.0/24"), "6to4 relay anycast"),
    (ipaddress.ip_network("192.168.0.0/16"), "private (RFC 1918)"),
    (ipaddress.ip_network("198.18.0.0/15"), "benchmarking"),
    (ipaddress.ip_network("198.51.100.0/24"), "documentation"),
    (ipaddress.ip_network("203.0.113.0/24"), "documentation"),
    (ipaddress.ip_network("224.0.0.0/4"), "multicast"),
    (ipaddress.ip_network("240.0.0.0/4"), "reserved"),
    (ipaddress.ip_network("::/128"), "unspecified"),
    (ipaddress.ip_network("::1/128"), "loopback"),
    (ipaddress.ip_network("100::/64"), "discard-only"),
    (ipaddress.ip_network("2001:db8::/32"), "documentation"),
    (ipaddress.ip_network("fc00::/7"), "unique local (private)"),
    (ipaddress.ip_network("fe80::/10"), "link-local"),
    (ipaddress.ip_network("fec0::/10"), "site-local (deprecated)"),
    (ipaddress.ip_network("ff00::/8"), "multicast"),
)

_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


def explain_blocked_address(address: IPAddress) -> str | None:
    """Why marketbrief must not connect to ``address``, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = explain_blocked_address(embedded)
            return None if reason is None else f"{reason}, embedded in {address}"
    for network, reason in _BLOCKED_NETWORKS:
        if address in network:
            return reason
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_metadata_host(host: str) -> bool:
    """True for the host names of cloud metadata services (any case, trailing dot or not)."""
    return host.rstrip(".").lower() in _METADATA_HOSTS


def _is_localhost_name(host: str) -> bool:
    # RFC 6761: localhost and every name under it are loopback, whatever a resolver says.
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def parse_ip(host: str) -> IPAddress | None:
    """The address when ``host`` is an IP literal (IPv6 with or without brackets), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def resolve_host(host: str) -> tuple[str, ...]:
    """Resolve ``host`` with the system resolver (``getaddrinfo`` in a worker thread)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return _unique(str(info[4][0]) for info in infos)


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(addresses))


class AddressGuard:
    """Resolves host names, refuses blocked addresses, and remembers what it allowed.

    One guard belongs to one client; answers are cached for ``ttl`` seconds so the pre-flight
    check of a URL and the connection that follows use the same, checked, addresses.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        ttl: float = 300.0,
    ) -> None:
        self.allow_private = allow_private
        self._resolver: Resolver = resolver or resolve_host
        self._ttl = ttl
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}

    async def check_host(self, host: str) -> None:
        """Refuse ``host`` (BlockedAddressError) unless all its addresses are allowed.

        With ``allow_private`` nothing is refused, so nothing is resolved here either.
        """
        if not self.allow_private:
            await self.resolve_checked(host)

    async def resolve_checked(self, host: str) -> tuple[str, ...]:
        """The addresses ``host`` resolves to, all of them allowed; else BlockedAddressError.

        A name that does not resolve is a FetchError. The error's ``key`` is the host; callers
        that know the URL re-key it.
        """
        name = host.strip("[]").rstrip(".").lower()
        cached = self._cache.get(name)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        addresses = await self._resolve_and_check(name)
        self._cache[name] = (time.monotonic() + self._ttl, addresses)
        return addresses

    async def _resolve_and_check(self, name: str) -> tuple[str, ...]:
        literal = parse_ip(name)
        if literal is not None:
            self._refuse_if_blocked(name, literal)
            return (str(literal),)
        if not self.allow_private and (is_metadata_host(name) or _is_localhost_name(name)):
            raise BlockedAddressError(
                "refused: a cloud metadata or localhost name (SSRF guard)", key=name
            )
        try:
            answers = _unique(await self._resolver(name))
        except OSError as exc:
            raise FetchError(f"cannot resolve host: {exc}", key=name) from exc
        if not answers:
            raise FetchError("host resolves to no address", key=name)
        for answer in answers:
            address = parse_ip(answer)
            if address is None:
                raise FetchError(f"resolver gave a non-address {answer!r}", key=name)
            self._refuse_if_blocked(name, address)
        return answers

    def _refuse_if_blocked(self, name: str, address: IPAddress) -> None:
        if self.allow_private:
            return
        reason = explain_blocked_address(address)
        if reason is not None:
            raise BlockedAddressError(
                f"refused to connect to {address} ({reason}); set allow_private_addresses "
                "only for local testing",
                key=name,
            )


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the guard has checked.

    httpcore hands ``connect_tcp`` the URL's host name; this backend swaps it for the checked
    addresses and tries them in order, so no second, unchecked DNS lookup happens.
    """

    def __init__(
        self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve_checked(host)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve_checked never returns an empty tuple
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError("refused: unix sockets are never fetched", key=path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
