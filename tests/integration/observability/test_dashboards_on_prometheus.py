"""A real Prometheus scrapes a live service and the exporters, with the repository's own
prometheus.yml and rules; every Grafana panel query must return data, every rule must evaluate.

Traffic goes through HTTP for every capability the dashboards show (search, listing reads and
upserts, workflows with an experiment, sessions, refused and throttled calls, health probes), with
Redis behind the caches and an OpenAI-compatible server on loopback that fails, so the fallback
to the local provider is real. Panels and rules come from the files: a new panel is covered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from copilot_api.app import create_app
from copilot_api.listings.samples.generator import generate_listings
from copilot_config import Settings
from tests.contracts.monitoring_files import rule_groups
from tests.harness import RedisServer, wait_until
from tests.integration.ai.fake_openai import FakeOpenAI, Reply, error_body
from tests.integration.observability.grafana import PanelQuery, panel_queries
from tests.integration.observability.live import serve_in_thread
from tests.integration.observability.monitoring_stack import (
    SCRAPE_INTERVAL_S,
    api,
    exporters,
    prometheus_for,
)
from tests.integration.security.support import make_key

pytestmark = pytest.mark.slow

LISTINGS = 200
SAMPLE_QUERIES = [
    "3 bedroom house with a garage",
    "condo under 500k",
    "waterfront home with a pool",
]


def drive_traffic(base: str, key: str, throttled_key: str) -> None:
    """One pass over every capability, as an agent would call it."""
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for path in ("/health", "/health/liveness", "/health/readiness", "/health/detailed"):
            assert client.get(path).status_code == 200, path
        upsert = client.post("/api/listings", json={"listings": list(generate_listings(LISTINGS))})
        assert upsert.status_code == 200, upsert.text
        session = client.post("/api/sessions", json={}).json()["id"]
        found: list[str] = []
        for query in SAMPLE_QUERIES * 2:  # repeated queries hit the embedding cache
            response = client.post(
                "/api/property-search", json={"query": query, "session_id": session}
            )
            assert response.status_code == 200, response.text
            found += [item["listing"]["ListingKey"] for item in response.json()["results"]]
        assert found, "the sample listings answer none of the sample queries"
        assert client.get(f"/api/listings/{found[0]}").status_code == 200
        for workflow, body in [
            ("listing_description", {"input": {"listing_key": found[0]}}),
            ("market_analysis", {"input": {"listing_key": found[0]}}),
            ("client_followup", {"input": {"listing_keys": found[:2]}, "session_id": session}),
            ("listing_description", {"input": {"listing_key": "NO-SUCH-LISTING"}}),  # fails
        ]:
            response = client.post(f"/api/workflows/{workflow}/execute", json=body)
            assert response.status_code < 500, response.text
        assert client.get("/api/workflows", headers={"X-API-Key": ""}).status_code == 401
    with httpx.Client(base_url=base, headers={"X-API-Key": throttled_key}, timeout=30) as client:
        statuses = {client.get("/api/workflows").status_code for _ in range(3)}
        assert 429 in statuses, statuses


@pytest.fixture
def openai_failing() -> Iterator[FakeOpenAI]:
    """Chat completions that fail with a 500: every generation falls back to the local provider."""
    fake = FakeOpenAI()
    fake.queue(*[Reply(status=500, body=error_body("down", "server_error"))] * 50)
    with fake.running():
        yield fake


def after(timestamp: object, since: float) -> bool:
    """Prometheus' RFC 3339 time is in a later second than `since` (epoch seconds)."""
    return str(timestamp)[:19] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(since))


def wait_for_scrapes(prometheus: str, since: float, jobs: int) -> None:
    """Until all `jobs` targets are known, up and scraped after `since` (the end of the
    traffic). Counting them matters: right after start-up Prometheus lists no target at all."""

    def targets() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = api(prometheus, "targets")["activeTargets"]
        return found

    def scraped() -> bool:
        found = targets()
        return len(found) == jobs and all(
            t["health"] == "up" and after(t["lastScrape"], since) for t in found
        )

    try:
        wait_until(scraped, 30, "a scrape of every target after the traffic")
    except AssertionError as timeout:
        health = {t["labels"]["job"]: (t["health"], t["lastError"]) for t in targets()}
        raise AssertionError(f"{timeout}: {health}") from None


def wait_for_rule_evaluations(prometheus: str, since: float) -> list[dict[str, Any]]:
    def rules() -> list[dict[str, Any]]:
        return [rule for group in api(prometheus, "rules")["groups"] for rule in group["rules"]]

    def evaluated() -> bool:
        found = rules()
        return bool(found) and all(after(rule["lastEvaluation"], since) for rule in found)

    wait_until(evaluated, 20, "an evaluation of every rule after the scrapes")
    return rules()


def label_values_of(prometheus: str) -> Callable[[str, str | None], list[str]]:
    def lookup(label: str, metric: str | None) -> list[str]:
        params = {"match[]": metric} if metric else {}
        values: list[str] = api(prometheus, f"label/{label}/values", **params)
        return values

    return lookup


def test_every_panel_and_rule_on_a_real_prometheus(
    make_settings: Callable[..., Settings],
    database_url: str,
    tmp_path: Path,
    openai_failing: FakeOpenAI,
) -> None:
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        settings = make_settings(
            database_url=database_url,
            redis_url=redis_server.url,
            openai_api_key="sk-test-prometheus-0000000000000000",
            openai_base_url=openai_failing.base_url,
            embedding_provider="local",
            llm_max_retries=0,
            cache_embedding_size=2,  # small: the traffic evicts entries
            load_sample_data=False,  # the traffic upserts its listings through the API
        )
        key = make_key(database_url, name="dashboards", scopes="admin")
        throttled = make_key(database_url, name="throttled", scopes="workflows", per_minute=1)
        app = create_app(settings)
        with (
            serve_in_thread(app) as base,
            exporters(database_url, redis_server.url, tmp_path) as exporter_targets,
        ):
            targets = {"copilot-api": base.removeprefix("http://"), **exporter_targets}
            with prometheus_for(targets, tmp_path) as prometheus:
                drive_traffic(base, key, throttled)
                traffic_done = time.time()
                wait_for_scrapes(prometheus, traffic_done, jobs=len(targets))
                # rate() needs two samples of a series: a second scrape after the first one that
                # saw the traffic (with one, the panels came back empty now and then).
                wait_for_scrapes(prometheus, time.time(), jobs=len(targets))
                rules = wait_for_rule_evaluations(prometheus, time.time())
                queries = list(panel_queries(SCRAPE_INTERVAL_S, label_values_of(prometheus)))
                empty = [q.source for q in queries if not evaluate(prometheus, q)]
                recorded = {
                    str(rule["name"]): api(prometheus, "query", query=str(rule["name"]))["result"]
                    for rule in rules
                    if rule["type"] == "recording"
                }
    finally:
        redis_server.stop()

    broken = [(rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]
    assert not broken, f"rules that fail to evaluate: {broken}"
    in_files = {rule.get("record") or rule["alert"] for g in rule_groups() for rule in g["rules"]}
    assert {rule["name"] for rule in rules} == in_files
    assert not [name for name, series in recorded.items() if not series], recorded
    assert queries, "no dashboard panel queries found"
    assert not empty, f"panels that return no series: {empty}"


def evaluate(prometheus: str, query: PanelQuery) -> list[object]:
    result: list[object] = api(prometheus, "query", query=query.promql)["result"]
    return result
