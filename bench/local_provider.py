"""Latency the local LLM provider adds to a workflow, per task; prints one JSON object.

For each shipped prompt it times (a) the provider call alone and (b) what a workflow's generate
+ compliance steps add: render the template, generate, review the text for fair-housing
phrasing. Run: `uv run python -m bench.local_provider [--iterations N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from copilot_api.ai.llm import LocalProvider
from copilot_api.ai.prompts import PromptRegistry
from copilot_api.compliance.advertising_review import review_generated_text
from tests.harness import REPO_ROOT

LISTING: dict[str, Any] = {
    "ListingKey": "BENCH-1",
    "ListPrice": 489000,
    "BedroomsTotal": 4,
    "BathroomsFull": 2,
    "BathroomsHalf": 1,
    "LivingArea": 2480,
    "LotSizeAcres": 0.31,
    "YearBuilt": 2006,
    "PropertySubType": "Single Family Residence",
    "City": "Round Rock",
    "StateOrProvince": "TX",
    "SubdivisionName": "Brushy Creek",
    "UnparsedAddress": "812 Willow Bend Dr",
    "GarageSpaces": 2,
    "PoolPrivateYN": True,
    "FireplacesTotal": 1,
    "Cooling": ["Central Air"],
    "Heating": ["Natural Gas"],
    "InteriorFeatures": ["Kitchen Island", "Open Floorplan", "Walk-In Closet(s)"],
    "Stories": 2,
}
COMPARABLES = [
    {
        "ListingKey": f"COMP-{n}",
        "UnparsedAddress": f"{700 + n} Willow Bend Dr",
        "City": "Round Rock",
        "StateOrProvince": "TX",
        "ListPrice": 455_000 + 9_000 * n,
        "LivingArea": 2300 + 40 * n,
        "BedroomsTotal": 4,
        "BathroomsTotalInteger": 3,
        "YearBuilt": 2003 + n,
        "distance_miles": 0.2 * n,
    }
    for n in range(1, 7)
]
KEYS = [comparable["ListingKey"] for comparable in COMPARABLES]
STATISTICS = {
    "median_price_per_sqft": {"value": 196.4, "sources": KEYS},
    "min_price_per_sqft": {"value": 193.1, "sources": KEYS[:1]},
    "max_price_per_sqft": {"value": 199.8, "sources": KEYS[-1:]},
    "estimated_value": {"value": 487072, "sources": KEYS},
    "suggested_price_low": {"value": 478000, "sources": KEYS[1:5]},
    "suggested_price_high": {"value": 496000, "sources": KEYS[1:5]},
}
VARIABLES: dict[str, dict[str, Any]] = {
    "listing_description": {"listing": LISTING, "max_chars": 1000},
    "market_analysis": {"subject": LISTING, "comparables": COMPARABLES, "statistics": STATISTICS},
    "client_followup": {
        "client_name": "Jordan",
        "agent_name": "Riley Chen",
        "filters": [
            {"field": "City", "op": "eq", "value": "Round Rock"},
            {"field": "BedroomsTotal", "op": "gte", "value": 4},
            {"field": "ListPrice", "op": "lte", "value": 500000},
        ],
        "query": "4 bed in Round Rock under 500k",
        "listings": [LISTING, *COMPARABLES[:2]],
        "next_step": None,
    },
}


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 4)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(ordered), 4),
    }


async def _time(call: Callable[[], Awaitable[Any]], iterations: int) -> list[float]:
    for _ in range(min(50, iterations)):  # warm-up
        await call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _bench(iterations: int) -> dict[str, Any]:
    prompts = PromptRegistry.load(REPO_ROOT / "definitions/prompts")
    provider = LocalProvider()
    results: dict[str, Any] = {}
    for prompt_id, variables in VARIABLES.items():
        request = prompts.render(prompt_id, variables).request()

        async def generate(request: Any = request) -> Any:
            return await provider.generate(request)

        async def workflow_steps(prompt_id: str = prompt_id, variables: Any = variables) -> Any:
            rendered = prompts.render(prompt_id, variables)
            response = await provider.generate(rendered.request())
            return review_generated_text(response.text)

        results[prompt_id] = {
            "provider": _summary(await _time(generate, iterations)),
            "render_generate_review": _summary(await _time(workflow_steps, iterations)),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    iterations = parser.parse_args().iterations
    tasks = asyncio.run(_bench(iterations))
    worst_p50 = max(task["render_generate_review"]["p50_ms"] for task in tasks.values())
    print(
        json.dumps(
            {
                "benchmark": "local_provider",
                "iterations": iterations,
                "tasks": tasks,
                "worst_p50_added_ms": worst_p50,
                "budget_ms": 5.0,
                "within_budget": worst_p50 <= 5.0,
            }
        )
    )


if __name__ == "__main__":
    main()
