"""The client's IP address: the socket peer, or X-Forwarded-For when the peer is a trusted proxy.

X-Forwarded-For is a list each proxy appends its peer to, so only its right end is trustworthy:
we walk it from the right, past our own proxies (TRUSTED_PROXIES), and stop at the first address
they did not vouch for. Anything to the left of that was written by the client and is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

_FORWARDED_FOR = b"x-forwarded-for"
_STATE_KEY = "client_ip"


def parse_address(value: str) -> Address | None:
    """A bare address, `[v6]:port` or `v4:port`; None when it is not an address."""
    text = value.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def resolve_client_ip(scope: Any, proxies: Sequence[Network]) -> str | None:
    peer = scope.get("client")
    peer_host: str | None = peer[0] if peer else None
    if not proxies or peer_host is None:
        return peer_host
    peer_address = parse_address(peer_host)
    if peer_address is None or not _trusted(peer_address, proxies):
        return peer_host
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == _FORWARDED_FOR]
    hops = [hop for hop in ",".join(values).split(",") if hop.strip()]
    client = str(peer_address)
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break  # not written by a proxy of ours: keep the last address one vouched for
        client = str(address)
        if not _trusted(address, proxies):
            break
    return client


def client_ip(scope: Any, proxies: Sequence[Network]) -> str | None:
    """Resolved once per request and kept in the scope's state for later readers."""
    state = scope.setdefault("state", {})
    if _STATE_KEY not in state:
        state[_STATE_KEY] = resolve_client_ip(scope, proxies)
    cached: str | None = state[_STATE_KEY]
    return cached
