"""The fair-housing screen through POST /api/property-search: steering toward a group is refused
in the same shape as steering away from it, and a lawful look-alike is served."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.compliance.query_screening import REFUSAL_EVENT

Client = TestClient[Litestar]

TOWARD = "3 bed house in Ames in the catholic part of town"
AWAY = "3 bed house in Ames with no catholics nearby"


def search(client: Client, query: str) -> dict[str, Any]:
    response = client.post("/api/property-search", json={"query": query})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_toward_steering_is_refused_like_away_steering(
    listings_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="copilot.security"):
        toward = search(listings_client, TOWARD)
        away = search(listings_client, AWAY)

    assert set(toward) == set(away)
    for body in (toward, away):
        assert body["compliance"]["blocked"] is True
        assert body["results"] == []
        assert body["total"] == 0
    toward_compliance, away_compliance = toward["compliance"], away["compliance"]
    assert set(toward_compliance) == set(away_compliance)
    assert toward_compliance["message"] == away_compliance["message"]
    assert [r["protected_class"] for r in toward_compliance["reasons"]] == ["religion"]
    assert [r["protected_class"] for r in away_compliance["reasons"]] == ["religion"]
    assert toward_compliance["reasons"][0]["matched"] == "catholic part of town"
    assert set(toward_compliance["reasons"][0]) == set(away_compliance["reasons"][0])
    assert (
        toward_compliance["reasons"][0]["explanation"]
        == away_compliance["reasons"][0]["explanation"]
    )

    events = [getattr(record, "security_event", {}) for record in caplog.records]
    events = [event for event in events if event.get("event_type") == REFUSAL_EVENT]
    assert [event["protected_classes"] for event in events] == [["religion"], ["religion"]]


def test_a_lawful_look_alike_is_served(listings_client: Client) -> None:
    body = search(listings_client, "3 bed house in Ames near St. Mary's Catholic Church")
    assert body["compliance"]["blocked"] is False
    assert body["compliance"]["reasons"] == []
    assert body["results"]
    assert all(hit["listing"]["City"] == "Ames" for hit in body["results"])
