"""deploy/nginx: `nginx -t` accepts it with the compose service names resolvable, and its limits
agree with the service's own settings."""

from __future__ import annotations

import re
from pathlib import Path

from copilot_config import Settings
from tests.contracts.delivery import (
    NGINX_DIR,
    compose_service_names,
    nginx_config_copy,
    require_tool,
    run_tool,
    with_hosts_override,
)

SITE = (NGINX_DIR / "conf.d/copilot.conf").read_text(encoding="utf-8")
MAIN = (NGINX_DIR / "nginx.conf").read_text(encoding="utf-8")
UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_test(tmp_path: Path, hosts: dict[str, str]) -> tuple[int, str]:
    config = nginx_config_copy(tmp_path / "etc-nginx")
    command = [require_tool("nginx"), "-t", "-p", str(config.parent), "-c", str(config)]
    result = run_tool(with_hosts_override(hosts, tmp_path, command))
    return result.returncode, result.stdout + result.stderr


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    code, output = nginx_test(tmp_path, dict.fromkeys(compose_service_names(), "127.0.0.1"))
    assert code == 0, output
    assert "test is successful" in output


def test_the_check_fails_when_the_upstream_service_is_unknown(tmp_path: Path) -> None:
    """The hosts override is what makes `app` resolvable: without it nginx -t must fail."""
    hosts = {name: "127.0.0.1" for name in compose_service_names() if name != "app"}
    code, output = nginx_test(tmp_path, hosts)
    assert code != 0
    assert 'host not found in upstream "app:8000"' in output


def _location(path_pattern: str) -> str:
    match = re.search(rf"location {path_pattern} \{{(.*?)\n    \}}", SITE, re.DOTALL)
    assert match, f"no location {path_pattern}"
    return match.group(1)


def _size(block: str) -> int:
    match = re.search(r"client_max_body_size (\d+)([kmg]?);", block)
    assert match, "no client_max_body_size"
    return int(match.group(1)) * UNITS.get(match.group(2), 1)


def test_body_size_limits_cover_what_the_service_accepts() -> None:
    defaults = Settings(_env_file=None)
    assert _size(MAIN) >= defaults.security.max_request_body_bytes
    assert _size(_location("= /api/listings")) >= defaults.listings.bulk_max_bytes
    assert _size(_location("= /api/listings")) > _size(MAIN)


def test_every_proxied_location_sends_security_headers_and_forwarding_headers() -> None:
    locations = re.findall(r"location ([^{]+)\{(.*?)\n    \}", SITE, re.DOTALL)
    proxied = [(path.strip(), body) for path, body in locations if "proxy_pass" in body]
    assert len(proxied) >= 4
    for path, body in proxied:
        assert "include snippets/security-headers.conf;" in body, path
        assert "include snippets/proxy.conf;" in body, path
        assert "proxy_read_timeout" in body, path
    headers = (NGINX_DIR / "snippets/security-headers.conf").read_text(encoding="utf-8")
    for header in (
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Content-Security-Policy",
        "Strict-Transport-Security",
    ):
        assert f"add_header {header} " in headers, header


def test_metrics_are_not_exposed_and_gzip_is_on() -> None:
    assert "return 404;" in _location("= /metrics")
    assert re.search(r"^\s+gzip on;", MAIN, re.MULTILINE)
    assert "application/json" in MAIN.split("gzip_types", 1)[1].split(";", 1)[0]
    assert "server_tokens off;" in MAIN
