"""Workflow latency, server side; prints one JSON object.

Starts the real app in process (embedded PostgreSQL, sample listings, the local provider, no
Redis), then measures with the `took_ms` the engine reports for each execution:

- `cached`: `listing_description` repeated for listings already described (every LLM answer
  comes from the prompt cache). Target: p50 <= 3 ms.
- `local_provider_ms`: the `draft` (generate) step of fresh `listing_description` executions, i.e.
  what the local provider adds to a workflow. Target: p50 <= 5 ms.
- `uncached`: whole fresh executions of each shipped workflow, for reference.

Run: `uv run python -m bench.workflows [--iterations N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from litestar.testing import TestClient

from copilot_api.ai.embeddings import create_embedding_provider
from copilot_api.app import create_app
from copilot_api.listings.loading import load_sample_data
from copilot_api.security import store as key_store
from copilot_api.security.scopes import parse_scopes
from copilot_api.storage.embedded import EmbeddedPostgres, ServerTuning
from copilot_api.storage.migrations import apply_migrations
from copilot_config import Settings
from tests.harness import definition_paths


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 3),
        "p95": round(cuts[94], 3),
        "p99": round(cuts[98], 3),
        "n": len(values),
    }


async def prepare(url: str) -> str:
    apply_migrations(url)
    settings = Settings(_env_file=None, environment="test", database_url=url)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        await load_sample_data(
            connection,
            create_embedding_provider(settings.listings, settings.openai),
            batch_size=settings.listings.ingest_batch_size,
        )
        _, generated = await key_store.create_key(
            connection,
            name="bench",
            scopes=parse_scopes("search,workflows"),
            rate_limit_per_minute=1_000_000,
            rate_limit_per_hour=10_000_000,
        )
    return generated.secret


def run(iterations: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedPostgres(Path(folder) / "pg", ServerTuning(durable=False))
        url = server.start()
        try:
            key = asyncio.run(prepare(url))
            variables: dict[str, Any] = {
                **definition_paths(),
                "environment": "test",
                "database_url": url,
                "load_sample_data": False,
                "metrics_enabled": False,
                "log_level": "WARNING",
            }
            settings = Settings(_env_file=None, **variables)
            with TestClient(create_app(settings)) as client:
                client.headers["X-API-Key"] = key
                return measure(client, iterations)
        finally:
            server.stop()


def execute(client: TestClient[Any], workflow: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/workflows/{workflow}/execute", json={"input": payload})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def measure(client: TestClient[Any], iterations: int) -> dict[str, Any]:
    keys = [f"SAMPLE-{index:06d}" for index in range(1, iterations + 1)]
    fresh = [execute(client, "listing_description", {"listing_key": key}) for key in keys]
    cached = [execute(client, "listing_description", {"listing_key": key}) for key in keys]
    assert all(body["cached"] for body in cached), "repeat executions must hit the prompt cache"
    analyses = [
        execute(client, "market_analysis", {"listing_key": key})
        for key in keys[: max(10, iterations // 5)]
    ]
    searches = [
        client.post("/api/property-search", json={"query": query}).json()
        for query in ["3 bed house in Ames under 450k", "condo in Denver with a pool"] * 10
    ]
    return {
        "benchmark": "workflows",
        "provider": fresh[0]["provider"],
        "cached_listing_description_ms": percentiles([b["took_ms"] for b in cached]),
        "local_provider_ms": percentiles([b["step_durations_ms"]["draft"] for b in fresh]),
        "uncached_ms": {
            "listing_description": percentiles([b["took_ms"] for b in fresh]),
            "market_analysis": percentiles([b["took_ms"] for b in analyses]),
            "property_search": percentiles([b["took_ms"] for b in searches]),
        },
        "targets": {"cached_p50_ms": 3.0, "local_provider_p50_ms": 5.0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    print(json.dumps(run(parser.parse_args().iterations)))


if __name__ == "__main__":
    main()
