"""Conversation sessions: follow-up queries refine the previous search, across requests and
across two app instances that share a real Redis (as two workers or two tasks would)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_config import Settings
from tests.harness import RedisServer


def search(
    client: TestClient[Litestar], query: str, session_id: str, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/property-search",
        json={"query": query, "session_id": session_id, "limit": 20, **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bound(body: dict[str, Any], field: str, op: str) -> Any:
    values = [f["value"] for f in body["filters"] if f["field"] == field and f["op"] == op]
    return values[0] if values else None


def assert_results_meet(body: dict[str, Any], field: str, op: str, value: Any) -> None:
    for hit in body["results"]:
        actual = hit["listing"].get(field)
        if actual is None:
            continue
        if op == "lte":
            assert actual <= value
        elif op == "gte":
            assert actual >= value
        elif op == "eq":
            assert str(actual).lower() == str(value).lower() or actual == value


def test_follow_ups_refine_the_previous_search(agent: TestClient[Litestar]) -> None:
    session = agent.post("/api/sessions", json={}).json()["id"]

    first = search(agent, "3 bedroom house in Ames under $450k", session)
    assert bound(first, "City", "eq") == "Ames"
    assert bound(first, "ListPrice", "lte") == 450_000
    assert first["results"]

    cheaper = search(agent, "cheaper", session)
    assert bound(cheaper, "City", "eq") == "Ames"
    assert bound(cheaper, "ListPrice", "lte") == 405_000
    assert_results_meet(cheaper, "ListPrice", "lte", 405_000)

    instead = search(agent, "under 300k instead", session)
    assert bound(instead, "ListPrice", "lte") == 300_000
    assert bound(instead, "City", "eq") == "Ames"

    pool = search(agent, "with a garage", session)
    assert bound(pool, "GarageYN", "eq") is True
    assert bound(pool, "ListPrice", "lte") == 300_000

    condos = search(agent, "show me condos instead", session)
    subtypes = [f for f in condos["filters"] if f["field"] == "PropertySubType"]
    assert [f["value"] for f in subtypes] == ["Condominium"]
    assert_results_meet(condos, "PropertySubType", "eq", "Condominium")

    stored = agent.get(f"/api/sessions/{session}").json()
    assert [turn["query"] for turn in stored["turns"]] == [
        "3 bedroom house in Ames under $450k",
        "cheaper",
        "under 300k instead",
        "with a garage",
        "show me condos instead",
    ]
    assert stored["last_results"] == [hit["listing"]["ListingKey"] for hit in condos["results"]]


def test_a_follow_up_keeps_the_order_unless_it_asks_for_another(
    agent: TestClient[Litestar],
) -> None:
    session = agent.post("/api/sessions", json={}).json()["id"]
    cheapest = {"field": "ListPrice", "direction": "asc"}
    assert search(agent, "cheapest house in Ames", session)["sort"] == cheapest
    garage = search(agent, "with a garage", session)
    assert garage["sort"] == cheapest
    assert bound(garage, "City", "eq") == "Ames"
    prices = [hit["listing"]["ListPrice"] for hit in garage["results"]]
    assert prices == sorted(prices)
    newest = search(agent, "newest instead", session)
    assert newest["sort"] == {"field": "YearBuilt", "direction": "desc"}
    assert bound(newest, "GarageYN", "eq") is True


def test_a_refused_query_is_remembered_but_changes_no_filters(agent: TestClient[Litestar]) -> None:
    session = agent.post("/api/sessions", json={}).json()["id"]
    search(agent, "3 bedroom house in Ames", session)
    refused = search(agent, "only in a white neighborhood", session)
    assert refused["compliance"]["blocked"] is True
    assert refused["compliance"]["reasons"]
    assert refused["results"] == []
    assert refused["total"] == 0
    stored = agent.get(f"/api/sessions/{session}").json()
    assert stored["turns"][-1]["blocked"] is True
    assert {f["field"] for f in stored["filters"]} >= {"City", "BedroomsTotal"}


def test_every_search_response_carries_compliance(agent: TestClient[Litestar]) -> None:
    body = agent.post("/api/property-search", json={"query": "55+ community with a pool"}).json()
    assert body["compliance"]["blocked"] is False
    assert body["execution_id"]


def test_sessions_belong_to_their_key(
    agent: TestClient[Litestar], sample_database_url: str, workflow_settings: Settings
) -> None:
    from tests.integration.security.support import make_key

    session = agent.post("/api/sessions", json={}).json()["id"]
    other_key = make_key(sample_database_url, name="other-agent", scopes="search")
    with TestClient(create_app(workflow_settings)) as other:
        other.headers["X-API-Key"] = other_key
        assert other.get(f"/api/sessions/{session}").status_code == 404
        response = other.post(
            "/api/property-search", json={"query": "condo", "session_id": session}
        )
        assert response.status_code == 404


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def test_two_app_instances_share_sessions_through_redis(
    make_settings: Callable[..., Settings], sample_database_url: str, agent_key: str, redis_url: str
) -> None:
    settings = make_settings(
        database_url=sample_database_url, redis_url=redis_url, load_sample_data=False
    )
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        for client in (first, second):
            client.headers["X-API-Key"] = agent_key
        session = first.post("/api/sessions", json={}).json()["id"]
        search(first, "townhouse in Denver under 600k", session)
        refined = search(second, "cheaper", session)
        assert bound(refined, "City", "eq") == "Denver"
        assert bound(refined, "ListPrice", "lte") == 540_000
        detail = second.get("/health/detailed").json()["services"]["context_manager"]
        assert detail["backend"] == "redis"
        assert detail["active_sessions"] >= 1
        assert second.delete(f"/api/sessions/{session}").status_code == 204
        assert first.get(f"/api/sessions/{session}").status_code == 404
