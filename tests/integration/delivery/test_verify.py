"""Post-deploy verification: ECS stability (moto) and readiness over real HTTP on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from copilot_platform.ops import OpsError
from copilot_platform.ops.cli import main
from copilot_platform.ops.verify import wait_until_ready
from tests.integration.delivery.conftest import CLUSTER, SERVICE, Deployment


class ReadinessServer:
    """Answers /health/readiness with 503 `not_ready` for the first `unready_answers` calls."""

    def __init__(self, unready_answers: int) -> None:
        self.unready_answers = unready_answers
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.paths.append(self.path)
                ready = len(owner.paths) > owner.unready_answers
                status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
                body = json.dumps({"status": "ready" if ready else "not_ready", "checks": {}})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test asserts on `paths`."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def readiness() -> Iterator[ReadinessServer]:
    server = ReadinessServer(unready_answers=2)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    thread.join(timeout=5)


def test_waits_until_readiness_answers_ready(readiness: ReadinessServer) -> None:
    result = wait_until_ready(readiness.url + "/", timeout=10, poll_interval=0.05)
    assert (result.status, result.attempts) == (200, 3)
    assert readiness.paths == ["/health/readiness"] * 3


def test_readiness_that_never_comes_fails_with_the_last_answer(readiness: ReadinessServer) -> None:
    readiness.unready_answers = 10_000
    with pytest.raises(OpsError, match=r"not ready within 0.3s .* last: HTTP 503: .*not_ready"):
        wait_until_ready(readiness.url, timeout=0.3, poll_interval=0.05)


def test_no_server_at_all_is_reported_as_no_http_answer() -> None:
    with pytest.raises(OpsError, match="no HTTP answer"):
        wait_until_ready("http://127.0.0.1:9", timeout=0.2, poll_interval=0.1)


def test_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(OpsError, match=r"must be http\(s\)://host"):
        wait_until_ready("file:///etc/passwd", timeout=1)


def test_verify_waits_for_stability_then_readiness_from_stack_outputs(
    deployment: Deployment,
    readiness: ReadinessServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"clusterName": CLUSTER, "serviceName": SERVICE, "url": readiness.url})
    )
    code = main(
        ["verify", "--outputs-file", str(outputs), "--timeout", "5", "--poll-interval", "0.1"]
    )
    output = capsys.readouterr()
    assert code == 0, output.err
    assert "stable: 2/2 tasks running" in output.out
    assert "answered 200 after 3 attempt(s)" in output.out


def test_verify_without_a_url_says_which_output_is_missing(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--cluster", CLUSTER, "--service", SERVICE]) == 1
    assert "stack output 'url' is missing; pass --url" in capsys.readouterr().err


def test_smoke_command_against_a_url(
    readiness: ReadinessServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["smoke", "--url", readiness.url, "--poll-interval", "0.05"]) == 0
    assert "answered 200 after 3 attempt(s)" in capsys.readouterr().out
