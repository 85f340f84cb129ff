"""Who a request comes from: the client's address behind trusted proxies, and its keyed hash.

``X-Forwarded-For`` counts only when the direct peer is in ``Settings.trusted_proxies``: then the
rightmost hop that is not a trusted proxy is the client, so a client cannot choose its address
by sending the header itself. Rate limits (subscriptions, comments) key on this address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from fastapi import Request

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: list[str], trusted: list[IPNetwork]) -> str:
    """The address of the client: ``peer`` unless it is a trusted proxy; then the rightmost
    ``X-Forwarded-For`` hop that is not a trusted proxy (a hop that is not an address stops the
    walk: the trusted hop after it is the client), or the leftmost hop when all are trusted."""
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "unknown"

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in trusted)

    if not is_trusted(peer_address):
        return str(peer_address)
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    client = peer_address
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not is_trusted(address):
            break
    return str(client)


def address_hash(key: bytes, address: str) -> str:
    """A keyed hash of a client address; an IPv6 address counts as its /64 (one subscriber's
    network hands out the rest at will)."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        address = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    elif isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        address = str(parsed.ipv4_mapped)
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def request_address_hash(request: Request) -> str:
    key: bytes = request.app.state.address_key
    return address_hash(key, request_address(request))


def request_address(request: Request) -> str:
    """The client address of ``request`` (see the module docstring)."""
    trusted: list[IPNetwork] = request.app.state.trusted_proxies
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)
