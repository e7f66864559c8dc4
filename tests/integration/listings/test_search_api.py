"""POST /api/property-search and GET /api/listings/{key} end to end, on the sample listings."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_api.listings.fields import is_private_field
from copilot_config import Settings

Client = TestClient[Litestar]


def search(client: Client, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post("/api/property-search", json=body)
    assert response.status_code == status, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_the_readme_example_returns_listings_that_meet_every_filter(
    listings_client: Client,
) -> None:
    body = search(listings_client, {"query": "3 bed 2 bath in Ames under $250k with a garage"})
    assert body["filters"] == [
        {"field": "BedroomsTotal", "op": "gte", "value": 3},
        {"field": "BathroomsFull", "op": "gte", "value": 2},
        {"field": "City", "op": "eq", "value": "Ames"},
        {"field": "ListPrice", "op": "lte", "value": 250000},
        {"field": "GarageYN", "op": "eq", "value": True},
        {"field": "StandardStatus", "op": "eq", "value": "Active"},
    ]
    assert body["parser"] == "rules"
    assert body["provider"] == "local"
    assert body["results"]
    assert len(body["results"]) == min(10, body["total"])
    for result in body["results"]:
        listing = result["listing"]
        assert listing["City"] == "Ames"
        assert listing["BedroomsTotal"] >= 3
        assert listing["BathroomsFull"] >= 2
        assert listing["ListPrice"] <= 250_000
        assert listing["GarageYN"] is True
        assert {c["status"] for c in result["criteria"]} == {"met"}
        assert len(result["criteria"]) == len(body["filters"])
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_semantic_words_rank_matching_listings_first(listings_client: Client) -> None:
    body = search(listings_client, {"query": "waterfront home with a private dock", "limit": 5})
    assert body["semantic_query"] == "private dock"
    assert body["results"]
    for result in body["results"]:
        assert result["listing"]["WaterfrontYN"] is True
    top = body["results"][0]
    assert "dock" in top["listing"]["PublicRemarks"].lower()
    assert top["ranking"]["text_rank"] is not None


def test_agent_only_fields_never_appear(listings_client: Client) -> None:
    response = listings_client.post(
        "/api/property-search", json={"query": "lockbox code showing instructions", "limit": 50}
    )
    assert response.status_code == 200
    assert "PrivateRemarks" not in response.text
    assert "ShowingInstructions" not in response.text
    assert "Lockbox on the side door" not in response.text
    key = response.json()["results"][0]["listing"]["ListingKey"]
    listing = listings_client.get(f"/api/listings/{key}")
    assert listing.status_code == 200
    assert listing.json()["ListingKey"] == key
    assert not any(is_private_field(name) for name in listing.json())
    assert "Lockbox" not in listing.text


def test_client_filters_override_the_parsed_ones_on_their_field(listings_client: Client) -> None:
    body = search(
        listings_client,
        {
            "query": "condo in Ames",
            "filters": [
                {"field": "City", "op": "in", "value": ["Austin", "Denver"]},
                {"field": "ListPrice", "op": "lte", "value": 400000},
            ],
            "limit": 50,
        },
    )
    fields = [(f["field"], f["op"]) for f in body["filters"]]
    assert ("City", "eq") not in fields
    assert ("City", "in") in fields
    assert body["results"]
    for result in body["results"]:
        assert result["listing"]["City"] in ("Austin", "Denver")
        assert result["listing"]["PropertySubType"] == "Condominium"
        assert result["listing"]["ListPrice"] <= 400_000


def test_pages_do_not_overlap_and_match_a_larger_page(listings_client: Client) -> None:
    query = {"query": "updated kitchen with quartz counters in Denver"}
    whole = search(listings_client, {**query, "limit": 20})
    first = search(listings_client, {**query, "limit": 10})
    second = search(listings_client, {**query, "limit": 10, "offset": 10})
    keys = [r["listing"]["ListingKey"] for r in first["results"] + second["results"]]
    assert keys == [r["listing"]["ListingKey"] for r in whole["results"]]
    assert len(set(keys)) == 20


def test_the_same_query_gives_the_same_order(listings_client: Client) -> None:
    body = {"query": "3 bedroom house", "limit": 50}
    first = [r["listing"]["ListingKey"] for r in search(listings_client, body)["results"]]
    assert first == [r["listing"]["ListingKey"] for r in search(listings_client, body)["results"]]


def test_an_unknown_session_is_not_found(listings_client: Client) -> None:
    response = listings_client.post(
        "/api/property-search", json={"query": "condo", "session_id": "no-such-session-0123456789"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "session_not_found"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"query": "condo", "colour": "red"}, "unknown field `colour`"),
        (
            {"query": "condo", "filters": [{"field": "City", "op": "eq", "value": "x", "why": 1}]},
            "unknown field `why`",
        ),
        ({"query": ""}, "length >= 1"),
        ({"query": "x" * 501}, "length <= 500"),
        ({"query": "condo", "limit": 0}, ">= 1"),
        ({"query": "condo", "limit": 51}, "<= 50"),
        ({"query": "condo", "offset": -1}, ">= 0"),
        ({"query": "condo", "session_id": "has spaces"}, "session_id"),
        ({"limit": 5}, "missing required field `query`"),
    ],
)
def test_bad_requests_are_400_with_a_clear_message(
    listings_client: Client, body: dict[str, Any], needle: str
) -> None:
    response = listings_client.post("/api/property-search", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert needle in response.text


@pytest.mark.parametrize(
    ("filters", "needle"),
    [
        ([{"field": "Colour", "op": "eq", "value": "red"}], "unknown filter field 'Colour'"),
        ([{"field": "ListPrice", "op": "eq", "value": "cheap"}], "expects a number"),
        ([{"field": "GarageYN", "op": "gte", "value": True}], "does not support 'gte'"),
    ],
)
def test_invalid_filters_are_400(
    listings_client: Client, filters: list[dict[str, Any]], needle: str
) -> None:
    response = listings_client.post(
        "/api/property-search", json={"query": "condo", "filters": filters}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_filter"
    assert needle in response.json()["error"]["message"]


def test_whitespace_query_and_unknown_listing(listings_client: Client) -> None:
    response = listings_client.post("/api/property-search", json={"query": "   "})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    missing = listings_client.get("/api/listings/NOPE-1")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "listing_not_found"


def test_health_reports_the_listings(listings_client: Client) -> None:
    detail = listings_client.get("/health/detailed").json()["services"]["listings"]
    assert detail["status"] == "healthy"
    assert detail["listings"] >= 2_000
    assert detail["vector_index"] is True
    assert detail["embeddings"] == "local/feature-hashing-v1 (384 dimensions)"
    assert listings_client.get("/health/readiness").json()["checks"]["listings"] == "ok"


def test_search_uses_the_openai_parser_when_configured(
    listings_settings: Any, api_key_headers: dict[str, str]
) -> None:
    import json

    from pydantic import SecretStr

    from copilot_api.app import create_app
    from tests.integration.ai.fake_openai import FakeOpenAI, Reply, completion

    understood = {
        "filters": [{"field": "City", "op": "eq", "value": "denver"}],
        "semantic_query": "mountain views",
    }
    with FakeOpenAI().running() as fake:
        fake.queue(Reply(body=completion(json.dumps(understood))))
        openai = listings_settings.openai.model_copy(
            update={"api_key": SecretStr("sk-test"), "base_url": fake.base_url}
        )
        settings = listings_settings.model_copy(update={"openai": openai})
        with TestClient(create_app(settings)) as client:
            client.headers.update(api_key_headers)
            body = search(client, {"query": "something in denver with mountain views"})
    assert body["parser"] == "openai"
    assert body["provider"] == "local"  # EMBEDDING_PROVIDER=local keeps the stored vectors valid
    assert body["semantic_query"] == "mountain views"
    assert {"field": "City", "op": "eq", "value": "Denver"} in body["filters"]
    assert all(r["listing"]["City"] == "Denver" for r in body["results"])


def test_a_search_slower_than_its_statement_timeout_fails_alone(
    listings_settings: Settings, api_key_headers: dict[str, str], listings_db_url: str
) -> None:
    """PostgreSQL cancels the search (0.8 of the reply timeout) before the service would drop
    the connection: a clear 503, and the next search is served at once (no circuit breaker)."""
    settings = listings_settings.model_copy(
        update={"database": listings_settings.database.model_copy(update={"timeout": 0.5})}
    )
    body = {"query": "3 bed house in Ames", "limit": 3}
    with TestClient(create_app(settings)) as client:
        client.headers.update(api_key_headers)
        search(client, body)
        with psycopg.connect(listings_db_url) as blocker:
            blocker.execute("LOCK TABLE listings IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            response = client.post("/api/property-search", json=body)
            waited = time.monotonic() - started
            blocker.rollback()
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "search_timeout"
        assert 0.3 < waited < 0.5 + 0.3
        assert search(client, body)["results"]
