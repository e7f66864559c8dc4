"""The production profile's nginx, really running: deploy/nginx's configuration in a private
network and mount namespace, in front of a stand-in `app` (tests/integration/delivery/
nginx_probe.py). Checks what a client and the app actually see: headers, gzip, body limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.delivery import (
    compose_service_names,
    nginx_config_copy,
    require_tool,
    with_hosts_override,
)

PROBE = Path(__file__).with_name("nginx_probe.py")
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("nginx")
    config = nginx_config_copy(workdir / "etc-nginx")
    # Inside the namespaces: loopback up, the config where the image keeps it, and private
    # writable paths (/var/lib/nginx holds request bodies). /tmp (nginx.conf's pid file) stays
    # the host's: hiding it would hide this checkout too when it lives under /tmp, as CI's may.
    script = " && ".join(
        [
            "ip link set lo up",
            f"mount --bind {config.parent} /etc/nginx",
            "mount -t tmpfs tmpfs /var/lib/nginx",
            "mount -t tmpfs tmpfs /var/log/nginx",
            'exec "$@"',
        ]
    )
    command = [sys.executable, str(PROBE), require_tool("nginx"), "/etc/nginx/nginx.conf"]
    inner = ["sh", "-c", script, "probe", *command]
    wrapped = with_hosts_override(
        dict.fromkeys(compose_service_names(), "127.0.0.1"), workdir, inner
    )
    # with_hosts_override made a mount namespace; add a network namespace to the same unshare.
    assert wrapped[1] in {"--mount", "--map-root-user"}
    wrapped.insert(1, "--net")
    require_tool("ip")
    result = subprocess.run(
        wrapped, capture_output=True, text=True, timeout=120, check=False, env=os.environ
    )
    assert result.returncode == 0, result.stdout + result.stderr
    observations: dict[str, Any] = json.loads(result.stdout)
    return observations


def test_nginx_answers_its_own_health_without_the_app(observed: dict[str, Any]) -> None:
    assert observed["nginx_health"]["status"] == 200
    assert observed["nginx_health"]["body"] == "ok\n"
    assert not [r for r in observed["seen_by_app"] if r["path"] == "/nginx-health"]


def test_proxies_to_the_app_with_forwarding_headers(observed: dict[str, Any]) -> None:
    assert observed["health"]["status"] == 200
    seen = next(r for r in observed["seen_by_app"] if r["path"] == "/health")
    headers = seen["headers"]
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert len(headers["x-request-id"]) == 32
    # The client gets the same request id back, for support tickets.
    assert observed["health"]["headers"]["x-request-id"] == headers["x-request-id"]


def test_security_headers_on_proxied_responses(observed: dict[str, Any]) -> None:
    headers = observed["health"]["headers"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers or headers["server"] == "nginx"  # no version


def test_hsts_only_when_tls_was_terminated_in_front(observed: dict[str, Any]) -> None:
    assert "strict-transport-security" not in observed["health"]["headers"]
    assert observed["https_forwarded"]["headers"]["strict-transport-security"].startswith(
        "max-age=31536000"
    )


def test_json_is_gzipped_for_clients_that_accept_it(observed: dict[str, Any]) -> None:
    assert observed["large_gzip"]["headers"]["content-encoding"] == "gzip"
    assert "content-encoding" not in observed["large_plain"]["headers"]
    assert observed["large_gzip"]["bytes"] * 5 < observed["large_plain"]["bytes"]


def test_metrics_are_not_reachable_through_the_proxy(observed: dict[str, Any]) -> None:
    assert observed["metrics"]["status"] == 404
    assert not [r for r in observed["seen_by_app"] if r["path"] == "/metrics"]


def test_request_size_limits(observed: dict[str, Any]) -> None:
    assert observed["post_2mib_api"]["status"] == 413
    assert observed["post_2mib_listings"]["status"] == 200
    ingest = next(r for r in observed["seen_by_app"] if r["path"] == "/api/listings")
    assert ingest["body_bytes"] == 2 * MIB
    # Beyond the bulk limit nginx refuses (413, or closes while the body is still arriving).
    assert observed["post_21mib_listings"]["status"] in {413, None}
    assert len([r for r in observed["seen_by_app"] if r["path"] == "/api/listings"]) == 1


def test_access_log_is_one_json_object_per_request(observed: dict[str, Any]) -> None:
    entries = [json.loads(line) for line in observed["access_log"]]
    assert not [entry for entry in entries if entry["uri"] == "/health"]  # probes: not logged
    large = {entry["request_id"]: entry for entry in entries if entry["uri"] == "/api/large"}
    entry = large[observed["large_plain"]["headers"]["x-request-id"]]
    assert (entry["method"], entry["status"]) == ("GET", 200)
    refused = [entry for entry in entries if entry["status"] == 413]
    assert {entry["uri"] for entry in refused} >= {"/api/property-search"}
