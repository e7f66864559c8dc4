"""Bulk upsert, read and delete over HTTP, and how null fields rank, on a fresh database."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

Client = TestClient[Litestar]


@pytest.fixture
def listings_db_url(database_url: str) -> str:
    return database_url  # these tests write: a fresh database each


def listing(key: str, **fields: Any) -> dict[str, Any]:
    base = {
        "ListingKey": key,
        "StandardStatus": "Active",
        "City": "Ames",
        "StateOrProvince": "IA",
        "PropertySubType": "Single Family Residence",
        "ListPrice": 240000,
        "BedroomsTotal": 3,
        "PublicRemarks": "Sunny ranch with a fenced yard.",
        "PrivateRemarks": "Seller is relocating; code 4821.",
        "ShowingInstructions": "Call first.",
    }
    return {**base, **fields}


def test_bulk_upsert_validates_each_row_and_is_idempotent(listings_client: Client) -> None:
    body = {
        "listings": [
            listing("A-1"),
            listing("A-2", ListPrice=-10),
            {"City": "Ames"},
            listing("A-3", MlsPrivateFlag="kept as given", BedroomsTotal="4"),
        ]
    }
    first = listings_client.post("/api/listings", json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
        "errors": [
            {"index": 1, "listing_key": "A-2", "reason": "ListPrice: must be at least 1 (got -10)"},
            {"index": 2, "listing_key": None, "reason": "ListingKey is missing"},
        ],
    }
    again = listings_client.post("/api/listings", json=body).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 2)

    stored = listings_client.get("/api/listings/A-3").json()
    assert stored["MlsPrivateFlag"] == "kept as given"
    assert stored["BedroomsTotal"] == 4
    assert "PrivateRemarks" not in stored
    assert "ShowingInstructions" not in stored

    changed = listings_client.post(
        "/api/listings", json={"listings": [listing("A-1", ListPrice=235000)]}
    ).json()
    assert (changed["inserted"], changed["updated"], changed["unchanged"]) == (0, 1, 0)
    assert listings_client.get("/api/listings/A-1").json()["ListPrice"] == 235000


def test_new_listings_are_searchable_and_deleted_ones_are_gone(listings_client: Client) -> None:
    listings_client.post(
        "/api/listings",
        json={"listings": [listing("B-1", City="Zenith", PublicRemarks="Solar-powered dome")]},
    )
    # The place vocabulary was refreshed by the write: "Zenith" is now a city filter.
    found = listings_client.post("/api/property-search", json={"query": "dome in Zenith"}).json()
    assert {"field": "City", "op": "eq", "value": "Zenith"} in found["filters"]
    assert [r["listing"]["ListingKey"] for r in found["results"]] == ["B-1"]

    assert listings_client.delete("/api/listings/B-1").status_code == 204
    assert listings_client.get("/api/listings/B-1").status_code == 404
    gone = listings_client.delete("/api/listings/B-1")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "listing_not_found"


def test_listings_with_null_tested_fields_come_last_as_unknown(listings_client: Client) -> None:
    listings_client.post(
        "/api/listings",
        json={
            "listings": [
                listing("C-1", GarageYN=True, PublicRemarks="Garage and shop"),
                listing("C-2", PublicRemarks="Garage not stated"),  # GarageYN absent
                listing("C-3", GarageYN=False, PublicRemarks="Carport only"),
                listing("C-4", GarageYN=True, ListPrice=900000),
            ]
        },
    )
    body = listings_client.post(
        "/api/property-search", json={"query": "under 300k with a garage in Ames"}
    ).json()
    assert body["total"] == 2
    keys = [r["listing"]["ListingKey"] for r in body["results"]]
    assert keys == ["C-1", "C-2"]  # C-3 has no garage, C-4 costs too much
    statuses = {
        r["listing"]["ListingKey"]: {c["field"]: c["status"] for c in r["criteria"]}
        for r in body["results"]
    }
    assert statuses["C-1"]["GarageYN"] == "met"
    assert statuses["C-2"]["GarageYN"] == "unknown"


def test_writes_need_the_admin_scope(listings_client: Client, listings_db_url: str) -> None:
    from tests.integration.security.support import make_key

    search_only = make_key(listings_db_url, name="search-only", scopes="search")
    headers = {"X-API-Key": search_only}
    body = {"listings": [listing("D-1")]}
    assert listings_client.post("/api/listings", json=body, headers=headers).status_code == 403
    assert listings_client.delete("/api/listings/D-1", headers=headers).status_code == 403
    assert listings_client.post("/api/listings", json=body).status_code == 200
    searched = listings_client.post(
        "/api/property-search", json={"query": "ranch"}, headers=headers
    )
    assert searched.status_code == 200
    assert (
        listings_client.post(
            "/api/property-search", json={"query": "ranch"}, headers={"X-API-Key": ""}
        ).status_code
        == 401
    )


def test_bulk_body_limits(listings_client: Client) -> None:
    unknown = listings_client.post("/api/listings", json={"listings": [], "mode": "replace"})
    assert unknown.status_code == 400
    assert "unknown field `mode`" in unknown.text
    many = listings_client.post("/api/listings", json={"listings": [{}] * 10_001})
    assert many.status_code == 400


def test_bulk_body_size_comes_from_the_settings(
    listings_settings: Any, api_key_headers: dict[str, str]
) -> None:
    from copilot_api.app import create_app

    small = listings_settings.model_copy(
        update={"listings": listings_settings.listings.model_copy(update={"bulk_max_bytes": 4096})}
    )
    body = {"listings": [listing(f"E-{i}") for i in range(40)]}  # ~12 KB
    with TestClient(create_app(small)) as client:
        client.headers.update(api_key_headers)
        too_big = client.post("/api/listings", json=body)
        assert too_big.status_code == 413
        assert (
            client.post("/api/listings", json={"listings": body["listings"][:5]}).status_code == 200
        )
