"""Locust load test: the traffic mix of AI agents calling the copilot API.

    COPILOT_API_KEY=cpk_... make loadtest HOST=https://staging.example.com USERS=50 DURATION=5m

Per simulated agent, by weight: natural-language property searches (the sample queries an agent
types, some refining a conversation session; each opens its best match), reads of listings the
searches returned, workflow executions (listing description, market analysis, client follow-up)
and the health probes a load balancer sends. The key needs the `search` and `workflows` scopes
and a per-key rate limit above the load (`copilot keys create --rate-limit-per-minute N`), else
the 429s count as failures.
"""

from __future__ import annotations

import os
import random
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment

API_KEY_VARIABLE = "COPILOT_API_KEY"

SEARCH_QUERIES = (
    "3 bed 2 bath under $250k with a garage",
    "cozy bungalow with a fenced backyard near downtown",
    "condo under 500k",
    "4 bedroom house with a pool",
    "updated kitchen with quartz counters",
    "waterfront home with a private dock",
    "single-story home built after 2000",
    "townhouse with a 2 car garage",
    "new construction with a builder warranty",
    "hardwood floors and a finished basement",
    "2 bed condo with a balcony under 400k",
)
# Follow-ups an agent sends in the same session: they refine the previous search.
REFINEMENTS = ("under 400k", "with a pool", "at least 3 bedrooms", "built after 1990")
CLIENTS = ("Dana", "Sam", "Priya", "Jordan")


def require_api_key(environment: Environment, **_: Any) -> None:
    """Stop before any request when the key is missing: every call would be a 401."""
    if not os.environ.get(API_KEY_VARIABLE):
        raise SystemExit(f"locust: set {API_KEY_VARIABLE} to an API key (search, workflows)")


events.init.add_listener(require_api_key)  # type: ignore[no-untyped-call]  # untyped in Locust


class Agent(HttpUser):
    """One AI agent working for a realtor: search, read, generate, repeat."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.client.headers["X-API-Key"] = os.environ[API_KEY_VARIABLE]
        self.listing_keys: list[str] = []
        self.session_id: str | None = None
        response = self.client.post("/api/sessions", json={}, name="/api/sessions")
        if response.ok:
            self.session_id = response.json()["id"]

    @task(6)
    def search(self) -> None:
        body: dict[str, Any] = {"query": random.choice(SEARCH_QUERIES), "limit": 10}
        self._search(body, name="/api/property-search")

    @task(2)
    def refine_in_session(self) -> None:
        if self.session_id is None:
            return
        body = {"query": random.choice(REFINEMENTS), "session_id": self.session_id}
        self._search(body, name="/api/property-search (session)")

    @task(4)
    def read_listing(self) -> None:
        if self.listing_keys:
            key = random.choice(self.listing_keys)
            self.client.get(f"/api/listings/{key}", name="/api/listings/{listing_key}")

    @task(2)
    def run_workflow(self) -> None:
        if not self.listing_keys:
            return
        key = random.choice(self.listing_keys)
        workflow, payload = random.choice(
            [
                ("listing_description", {"listing_key": key}),
                ("market_analysis", {"listing_key": key}),
                # The follow-up email is written from the conversation: it needs the session.
                (
                    "client_followup",
                    {"listing_keys": self.listing_keys[:3], "client_name": random.choice(CLIENTS)},
                ),
            ]
        )
        body: dict[str, Any] = {"input": payload}
        if workflow == "client_followup":
            if self.session_id is None:
                return
            body["session_id"] = self.session_id
        with self.client.post(
            f"/api/workflows/{workflow}/execute",
            json=body,
            name=f"/api/workflows/{workflow}/execute",
            catch_response=True,
        ) as response:
            # A listing with fewer than three comparables in its city gets a correct 422: the
            # agent's answer, not a failure of the service.
            if response.ok or _error_code(response) == "not_enough_comparables":
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")

    @task(1)
    def health_probes(self) -> None:
        self.client.get("/health/liveness", name="/health/liveness")
        self.client.get("/health/readiness", name="/health/readiness")

    def _search(self, body: dict[str, Any], name: str) -> None:
        with self.client.post(
            "/api/property-search", json=body, name=name, catch_response=True
        ) as response:
            if not response.ok:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            results = response.json().get("results", [])
            keys = [item["listing"]["ListingKey"] for item in results]
            # Keep a bounded set of recently seen listings to read and describe.
            self.listing_keys = (keys + self.listing_keys)[:20]
            response.success()
        if keys:  # an agent opens the best match before answering its user
            self.client.get(f"/api/listings/{keys[0]}", name="/api/listings/{listing_key}")


def _error_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None  # errors.py's one shape
    return error.get("code") if isinstance(error, dict) else None
