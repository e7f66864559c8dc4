"""A short headless Locust run of loadtest/locustfile.py against the live embedded server."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from copilot_api.app import create_app
from copilot_api.listings.samples.generator import generate_listings
from copilot_config import Settings
from tests.harness import REPO_ROOT
from tests.integration.observability.live import serve_in_thread
from tests.integration.security.support import make_key

pytestmark = pytest.mark.slow

LOCUSTFILE = REPO_ROOT / "loadtest/locustfile.py"
RUN_TIME_S = 8


def locust(host: str, api_key: str | None, reports: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "COPILOT_API_KEY"}
    if api_key is not None:
        env["COPILOT_API_KEY"] = api_key
    args = [
        sys.executable, "-m", "locust", "--locustfile", str(LOCUSTFILE), "--headless",
        "--host", host, "--users", "8", "--spawn-rate", "8", "--run-time", f"{RUN_TIME_S}s",
        "--stop-timeout", "5", "--only-summary",
        "--csv", str(reports / "locust"), "--html", str(reports / "report.html"),
    ]  # fmt: skip
    return subprocess.run(
        args, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=90, check=False
    )


def stats_by_name(reports: Path) -> dict[str, dict[str, str]]:
    with (reports / "locust_stats.csv").open(newline="", encoding="utf-8") as stats:
        return {row["Name"]: row for row in csv.DictReader(stats)}


def test_the_agent_mix_runs_without_failures(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    key = make_key(database_url, name="loadtest", scopes="admin", per_minute=100_000)
    app = create_app(make_settings(database_url=database_url, load_sample_data=False))
    with serve_in_thread(app) as base:
        listings = list(generate_listings(300))
        upsert = httpx.post(
            f"{base}/api/listings", json={"listings": listings}, headers={"X-API-Key": key},
            timeout=60,
        )  # fmt: skip
        assert upsert.status_code == 200, upsert.text
        result = locust(base, key, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    stats = stats_by_name(tmp_path)
    total = stats["Aggregated"]
    assert int(total["Request Count"]) > 0
    assert int(total["Failure Count"]) == 0, (tmp_path / "locust_failures.csv").read_text()
    exercised = {name for name, row in stats.items() if int(row["Request Count"]) > 0}
    assert {"/api/sessions", "/api/property-search", "/api/listings/{listing_key}"} <= exercised
    assert "<html" in (tmp_path / "report.html").read_text(encoding="utf-8").lower()


def test_a_missing_api_key_stops_before_any_request(tmp_path: Path) -> None:
    result = locust("http://127.0.0.1:9", None, tmp_path)
    assert result.returncode != 0
    assert "COPILOT_API_KEY" in result.stdout + result.stderr
