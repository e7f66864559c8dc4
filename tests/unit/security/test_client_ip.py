from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest

from copilot_api.security.client_ip import client_ip, parse_address, resolve_client_ip

PROXIES = (ip_network("10.0.0.0/16"), ip_network("fd00::/8"))


def scope(peer: str | None, *forwarded: str) -> dict[str, Any]:
    return {
        "client": (peer, 43210) if peer else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert resolve_client_ip(scope("203.0.113.9", "198.51.100.1"), ()) == "203.0.113.9"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    assert resolve_client_ip(scope("203.0.113.9", "198.51.100.1"), PROXIES) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() -> None:
    # The client lied (1.1.1.1); the ALB appended what it saw (198.51.100.7).
    request = scope("10.0.3.4", "1.1.1.1, 198.51.100.7")
    assert resolve_client_ip(request, PROXIES) == "198.51.100.7"


def test_chains_of_trusted_proxies_are_walked_from_the_right() -> None:
    request = scope("10.0.0.2", "198.51.100.7, 10.0.9.9", "10.0.5.5")  # two headers
    assert resolve_client_ip(request, PROXIES) == "198.51.100.7"


def test_garbage_stops_the_walk_at_the_last_vouched_address() -> None:
    assert resolve_client_ip(scope("10.0.0.2", "not-an-ip, 10.0.7.7"), PROXIES) == "10.0.7.7"
    assert resolve_client_ip(scope("10.0.0.2", "<script>"), PROXIES) == "10.0.0.2"


def test_a_trusted_peer_without_the_header_is_itself_the_client() -> None:
    assert resolve_client_ip(scope("10.0.0.2"), PROXIES) == "10.0.0.2"


def test_ipv6_and_mapped_addresses() -> None:
    assert resolve_client_ip(scope("fd00::1", "2001:db8::5"), PROXIES) == "2001:db8::5"
    assert resolve_client_ip(scope("::ffff:10.0.0.2", "198.51.100.7"), PROXIES) == "198.51.100.7"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7:5123 ", "198.51.100.7"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("unknown", None),
        ("[2001:db8::1", None),
    ],
)
def test_address_forms(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed else None) == expected


def test_no_peer_and_non_ip_peers() -> None:
    assert resolve_client_ip(scope(None), PROXIES) is None
    assert resolve_client_ip(scope("testclient", "198.51.100.7"), PROXIES) == "testclient"


def test_resolved_once_per_request() -> None:
    request = scope("10.0.0.2", "198.51.100.7")
    assert client_ip(request, PROXIES) == "198.51.100.7"
    request["headers"] = []
    assert client_ip(request, PROXIES) == "198.51.100.7"
