"""Run inside a private network + mount namespace (see test_nginx_proxy.py): serve a stand-in
for the `app` service on 127.0.0.1:8000, start the real nginx with deploy/nginx's config, send
requests through it and print what came back as JSON.

    python nginx_probe.py NGINX_BINARY CONFIG_FILE

The namespace is private, so the ports are the configuration's own (8080, and 8000 for `app`)
and nothing here can reach or disturb the host's network.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

APP_PORT = 8000
NGINX_PORT = 8080
MIB = 1024 * 1024


class App(BaseHTTPRequestHandler):
    """Echoes what nginx forwarded; /api/large answers a large compressible JSON body."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]] = []  # noqa: RUF012 - one probe process, written by handler threads

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        remaining = length
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, MIB)))
        record = {"method": self.command, "path": self.path, "body_bytes": length}
        record["headers"] = {name.lower(): value for name, value in self.headers.items()}
        App.seen.append(record)
        payload: dict[str, Any] = {"status": "ok", **record}
        if self.path == "/api/large":
            payload["rows"] = [{"ListingKey": f"L{n}", "City": "Ames"} for n in range(500)]
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer  # noqa: N815
    do_POST = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: results are printed as JSON."""


def request(
    method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", NGINX_PORT, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
    except (ConnectionError, http.client.HTTPException) as error:
        # nginx may close the connection while a refused large body is still being sent.
        return {"status": None, "error": type(error).__name__, "headers": {}, "body": ""}
    finally:
        connection.close()
    return {
        "status": response.status,
        "headers": {name.lower(): value for name, value in response.getheaders()},
        "body": content[:300].decode("utf-8", "replace")
        if not response.getheader("Content-Encoding")
        else "",
        "bytes": len(content),
    }


def wait_for_port(port: int, nginx: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if nginx.poll() is not None:
            raise SystemExit(
                f"nginx exited: {nginx.stderr.read().decode() if nginx.stderr else ''}"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("nginx did not listen")


def main() -> None:
    nginx_binary, config = sys.argv[1:3]
    app = ThreadingHTTPServer(("127.0.0.1", APP_PORT), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    # stdout carries nginx's access log (JSON lines), stderr its error log.
    nginx = subprocess.Popen(
        [nginx_binary, "-c", config, "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(NGINX_PORT, nginx)
        results = {
            "nginx_health": request("GET", "/nginx-health"),
            "health": request("GET", "/health"),
            "large_gzip": request("GET", "/api/large", headers={"Accept-Encoding": "gzip"}),
            "large_plain": request("GET", "/api/large"),
            "metrics": request("GET", "/metrics"),
            "post_2mib_api": request("POST", "/api/property-search", b"x" * 2 * MIB),
            "post_2mib_listings": request("POST", "/api/listings", b"x" * 2 * MIB),
            "post_21mib_listings": request("POST", "/api/listings", b"x" * 21 * MIB),
            "https_forwarded": request("GET", "/api/x", headers={"X-Forwarded-Proto": "https"}),
            "seen_by_app": App.seen,
        }
    finally:
        nginx.terminate()
        access_log, _ = nginx.communicate(timeout=10)
        app.shutdown()
    results["access_log"] = access_log.decode("utf-8", "replace").splitlines()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
