"""Each shipped workflow end to end: embedded PostgreSQL, sample listings, the local provider."""

from __future__ import annotations

from typing import Any

import psycopg
from litestar import Litestar
from litestar.testing import TestClient


def execute(client: TestClient[Litestar], workflow: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/workflows/{workflow}/execute", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_catalog_lists_every_shipped_workflow(agent: TestClient[Litestar]) -> None:
    listed = agent.get("/api/workflows").json()["workflows"]
    assert {w["id"] for w in listed} >= {
        "listing_description",
        "market_analysis",
        "client_followup",
    }
    one = agent.get("/api/workflows/market_analysis").json()
    assert one["input_schema"]["properties"]["count"]["default"] == 6
    assert one["steps"][0]["type"] == "comparables"
    missing = agent.get("/api/workflows/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "workflow_not_found"


def test_listing_description(agent: TestClient[Litestar], sample_database_url: str) -> None:
    result = execute(
        agent, "listing_description", {"input": {"listing_key": "SAMPLE-000001", "max_chars": 600}}
    )
    assert result["status"] == "succeeded"
    assert result["provider"] == "local"
    remarks = result["output"]["public_remarks"]
    assert 80 < len(remarks) <= 600
    with psycopg.connect(sample_database_url) as connection:
        data = connection.execute(
            "SELECT data FROM listings WHERE listing_key = 'SAMPLE-000001'"
        ).fetchone()
    assert data is not None
    listing = data[0]
    assert listing["City"] in remarks
    assert listing["PrivateRemarks"] not in remarks
    assert "compliance" in result["output"]
    assert result["usage"]["completion_tokens"] > 0
    assert set(result["step_durations_ms"]) == {"facts", "draft", "review", "respond"}

    record = agent.get(f"/api/executions/{result['execution_id']}").json()
    assert record["status"] == "succeeded"
    assert record["workflow"] == {"id": "listing_description", "version": 1}
    assert record["output"]["public_remarks"] == remarks
    assert record["provider"] == "local"
    assert record["usage"]["completion_tokens"] == result["usage"]["completion_tokens"]


def test_a_repeated_execution_is_served_from_the_prompt_cache(agent: TestClient[Litestar]) -> None:
    body = {"input": {"listing_key": "SAMPLE-000002"}}
    first = execute(agent, "listing_description", body)
    second = execute(agent, "listing_description", body)
    assert not first["cached"]
    assert second["cached"]
    assert second["output"]["public_remarks"] == first["output"]["public_remarks"]


def test_market_analysis_cites_every_figure(agent: TestClient[Litestar]) -> None:
    result = execute(
        agent, "market_analysis", {"input": {"listing_key": "SAMPLE-000003", "count": 5}}
    )
    output = result["output"]
    comparables = output["comparables"]
    assert 3 <= len(comparables) <= 5
    keys = {c["ListingKey"] for c in comparables}
    assert "SAMPLE-000003" not in keys
    subject = output["subject"]
    for comparable in comparables:
        assert comparable["price_per_sqft"] > 0
    for name, figure in output["statistics"].items():
        assert figure["sources"], name
        assert set(figure["sources"]) <= keys, name
    stats = output["statistics"]
    assert (
        stats["suggested_price_low"]["value"]
        <= stats["estimated_value"]["value"]
        <= stats["suggested_price_high"]["value"]
    )
    ppsf = sorted(c["price_per_sqft"] for c in comparables)
    assert stats["min_price_per_sqft"]["value"] == ppsf[0]
    assert stats["max_price_per_sqft"]["value"] == ppsf[-1]
    narrative = output["narrative"]
    assert narrative.startswith("Comparative market analysis for")
    assert subject["City"] in narrative
    # every comparable is listed by its address, and the estimate is quoted
    assert all(c["UnparsedAddress"].split(",")[0] in narrative for c in comparables)
    assert f"${stats['estimated_value']['value']:,.0f}" in narrative


def test_market_analysis_for_an_unlisted_property(agent: TestClient[Litestar]) -> None:
    body = {
        "input": {
            "subject": {
                "City": "Ames",
                "StateOrProvince": "IA",
                "LivingArea": 1800,
                "BedroomsTotal": 3,
            }
        }
    }
    result = execute(agent, "market_analysis", body)
    assert all(c["ListingKey"].startswith("SAMPLE-") for c in result["output"]["comparables"])


def test_market_analysis_input_is_validated(agent: TestClient[Litestar]) -> None:
    response = agent.post("/api/workflows/market_analysis/execute", json={"input": {"count": 99}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]


def test_unknown_listing_fails_the_execution_cleanly(
    agent: TestClient[Litestar], sample_database_url: str
) -> None:
    response = agent.post(
        "/api/workflows/listing_description/execute", json={"input": {"listing_key": "NOPE-1"}}
    )
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "listing_not_found"
    execution_id = error["details"]["execution_id"]
    record = agent.get(f"/api/executions/{execution_id}").json()
    assert record["status"] == "failed"
    assert record["error"] == {
        "step": "facts",
        "code": "listing_not_found",
        "message": "No listing with ListingKey 'NOPE-1'.",
    }
    assert record["output"] is None


def test_client_followup_from_a_session(agent: TestClient[Litestar]) -> None:
    session = agent.post("/api/sessions", json={"client_name": "Jordan"}).json()
    chosen = agent.put(
        f"/api/sessions/{session['id']}/chosen",
        json={"listing_keys": ["SAMPLE-000010", "SAMPLE-000011"]},
    )
    assert chosen.status_code == 200
    result = execute(
        agent,
        "client_followup",
        {
            "session_id": session["id"],
            "input": {
                "agent_name": "Sam Rivera",
                "next_step": "I'm free for showings on Saturday.",
            },
        },
    )
    email = result["output"]["email"]
    assert email.startswith("Subject: ")
    assert "\n\nHi Jordan," in email
    assert "Sam Rivera" in email
    assert result["output"]["listing_keys"] == ["SAMPLE-000010", "SAMPLE-000011"]


def test_client_followup_needs_a_session(agent: TestClient[Litestar]) -> None:
    response = agent.post("/api/workflows/client_followup/execute", json={"input": {}})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "session_not_found"


def test_workflows_need_the_workflows_scope(
    workflow_settings: Any, sample_database_url: str
) -> None:
    from copilot_api.app import create_app
    from tests.integration.security.support import make_key

    search_only = make_key(sample_database_url, name="search-only-wf", scopes="search")
    with TestClient(create_app(workflow_settings)) as client:
        assert client.get("/api/workflows").status_code == 401
        client.headers["X-API-Key"] = search_only
        assert client.get("/api/workflows").status_code == 403
