"""Issue 12 over HTTP: superlatives and explicit sorts, negations, either/or, half baths and
half stories, and the `understanding` that lists ignored words; the 400s of a bad sort or op."""

from __future__ import annotations

import csv
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_config import Settings
from tests.harness import REPO_ROOT
from tests.integration.listings.conftest import DIMENSIONS
from tests.integration.listings.test_ingest import _env
from tests.integration.listings.test_search_api import search
from tests.integration.security.support import make_key

Client = TestClient[Litestar]


def _values(body: dict[str, Any], field: str) -> list[Any]:
    return [result["listing"].get(field) for result in body["results"]]


def _ordered(values: list[Any], direction: str) -> bool:
    """Non-null values in order, nulls (if any) after them."""
    present = [value for value in values if value is not None]
    nulls_last = values[: len(present)] == present
    return nulls_last and present == sorted(present, reverse=direction == "desc")


def test_cheapest_returns_the_cheapest_listing_that_meets_the_filters(
    listings_client: Client, listings_db_url: str
) -> None:
    body = search(listings_client, {"query": "cheapest 3 bedroom in Ames", "limit": 20})
    assert body["sort"] == {"field": "ListPrice", "direction": "asc"}
    assert body["plan"] == "sorted"
    assert body["understanding"]["sort"] == body["sort"]
    prices = _values(body, "ListPrice")
    assert prices
    assert _ordered(prices, "asc")
    for result in body["results"]:
        assert {c["status"] for c in result["criteria"]} == {"met"}
    with psycopg.connect(listings_db_url) as connection:
        row = connection.execute(
            "SELECT min(list_price) FROM listings WHERE city = 'Ames' AND bedrooms_total >= 3"
            " AND lower(standard_status) = 'active'"
        ).fetchone()
    assert row is not None
    assert prices[0] == row[0]


@pytest.mark.parametrize(
    ("query", "field", "direction"),
    [
        ("largest house in Des Moines", "LivingArea", "desc"),
        ("newest homes in Austin", "YearBuilt", "desc"),
        ("oldest condo", "YearBuilt", "asc"),
        ("most bedrooms in Denver", "BedroomsTotal", "desc"),
        ("biggest lot in Ames", "LotSizeAcres", "desc"),
    ],
)
def test_superlatives_order_the_results(
    listings_client: Client, query: str, field: str, direction: str
) -> None:
    body = search(listings_client, {"query": query, "limit": 25})
    assert body["sort"] == {"field": field, "direction": direction}
    values = _values(body, field)
    assert values
    assert _ordered(values, direction)


def test_an_explicit_sort_replaces_the_one_the_query_asks_for(listings_client: Client) -> None:
    query = "cheapest condo in Austin"
    cheapest = search(listings_client, {"query": query, "limit": 50})
    sort = {"field": "LivingArea", "direction": "desc"}
    largest = search(listings_client, {"query": query, "limit": 50, "sort": sort})
    assert largest["sort"] == largest["understanding"]["sort"] == sort
    assert largest["total"] == cheapest["total"]  # the same listings, in another order
    assert _ordered(_values(largest, "LivingArea"), "desc")
    assert _ordered(_values(cheapest, "ListPrice"), "asc")
    assert _values(largest, "LivingArea") != _values(cheapest, "LivingArea")


def test_paging_a_sorted_search_continues_the_order(listings_client: Client) -> None:
    sort = {"field": "ListPrice", "direction": "desc"}
    whole = search(listings_client, {"query": "house in Ames", "limit": 20, "sort": sort})
    page = search(
        listings_client, {"query": "house in Ames", "limit": 10, "offset": 10, "sort": sort}
    )
    assert _values(page, "ListPrice") == _values(whole, "ListPrice")[10:]


@pytest.mark.parametrize(
    ("sort", "needle"),
    [
        ({"field": "City", "direction": "asc"}, "cannot sort by 'City'"),
        ({"field": "Price", "direction": "asc"}, "cannot sort by 'Price'"),
        ({"field": "ListPrice", "direction": "up"}, "direction must be 'asc' or 'desc'"),
    ],
)
def test_an_invalid_sort_is_400(listings_client: Client, sort: dict[str, str], needle: str) -> None:
    response = listings_client.post("/api/property-search", json={"query": "condo", "sort": sort})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_sort"
    assert needle in response.json()["error"]["message"]


def test_a_malformed_sort_is_a_validation_error(listings_client: Client) -> None:
    response = listings_client.post(
        "/api/property-search", json={"query": "condo", "sort": {"field": "ListPrice"}}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_negated_op_with_the_wrong_value_is_400(listings_client: Client) -> None:
    filters = [{"field": "City", "op": "not_in", "value": "Ames"}]
    response = listings_client.post("/api/property-search", json={"query": "x", "filters": filters})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_filter"
    assert "expects a non-empty list" in response.json()["error"]["message"]


def test_negations_and_either_or_hold_in_every_result(listings_client: Client) -> None:
    body = search(
        listings_client,
        {
            "query": "3 or 4 bed without central air, not a condo, in Ames or Des Moines",
            "limit": 50,
        },
    )
    assert body["understanding"]["filters"] == [
        {"field": "BedroomsTotal", "op": "in", "value": [3, 4]},
        {"field": "Cooling", "op": "not_contains", "value": "Central Air"},
        {"field": "PropertySubType", "op": "ne", "value": "Condominium"},
        {"field": "City", "op": "in", "value": ["Ames", "Des Moines"]},
    ]
    assert body["results"]
    for result in body["results"]:
        listing = result["listing"]
        assert listing["BedroomsTotal"] in (3, 4)
        assert "Central Air" not in (listing.get("Cooling") or [])
        assert listing["PropertySubType"] != "Condominium"
        assert listing["City"] in ("Ames", "Des Moines")
        assert "unmet" not in {c["status"] for c in result["criteria"]}


def test_half_baths_count_as_halves(listings_client: Client) -> None:
    body = search(listings_client, {"query": "2.5 baths in Ames", "limit": 50})
    assert {"field": "BathroomsFullAndHalf", "op": "gte", "value": 2.5} in body["filters"]
    assert body["results"]
    for result in body["results"]:
        listing = result["listing"]
        full, half = listing.get("BathroomsFull"), listing.get("BathroomsHalf") or 0
        status = next(c for c in result["criteria"] if c["field"] == "BathroomsFullAndHalf")
        if full is None:
            assert status["status"] == "unknown"
        else:
            assert full + half / 2 >= 2.5
            assert status["status"] == "met"


def test_understanding_lists_the_ignored_words(listings_client: Client) -> None:
    body = search(listings_client, {"query": "Show me the cheapest homes in Ames with a view"})
    understanding = body["understanding"]
    assert understanding["semantic_query"] == "view"
    assert understanding["ignored_words"] == ["show", "me", "the", "homes", "in", "with", "a"]
    assert understanding["parser"] == "rules"
    assert understanding["filters"] == [{"field": "City", "op": "eq", "value": "Ames"}]
    # applied = understood + the default status
    assert body["filters"] == [*understanding["filters"], {"field": "StandardStatus", "op": "eq",
                                                          "value": "Active"}]  # fmt: skip


# --- a real feed with half stories ----------------------------------------------------------

STORIES = {"H1": "1.5", "H2": "1.5", "H3": "2.5", "H4": "1", "H5": "2", "H6": "1.5"}


def _write_feed(path: Path, stories: dict[str, str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ListingKey", "City", "ListPrice", "PropertySubType", "Stories",
                         "StandardStatus", "PublicRemarks"])  # fmt: skip
        for key, count in stories.items():
            writer.writerow([key, "Ames", "250000", "Single Family Residence", count, "Active",
                             f"House {key} with a porch"])  # fmt: skip


def _ingest(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copilot_api", "listings", "ingest", str(path), "--no-progress"],
        env=_env(url, EMBEDDING_DIMENSIONS=str(DIMENSIONS)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_feed_with_half_stories_lands_whole_and_is_found(
    database_url: str, tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    feed = tmp_path / "feed.csv"
    # A row rejected once (a typo) is inserted when the corrected file is ingested again.
    _write_feed(feed, {**STORIES, "H6": "1.5.0"})
    first = _ingest(database_url, feed)
    assert first.returncode == 1, first.stderr
    assert "(H6): Stories: expected a number" in first.stderr
    assert first.stdout.startswith("inserted 5, updated 0, unchanged 0, rejected 1")
    _write_feed(feed, STORIES)
    second = _ingest(database_url, feed)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("inserted 1, updated 0, unchanged 5, rejected 0")

    settings = make_settings(
        database_url=database_url,
        load_sample_data=False,
        embedding_provider="local",
        embedding_dimensions=DIMENSIONS,
    )
    key = make_key(database_url, name=f"stories-{uuid.uuid4().hex[:8]}", scopes="search")
    with TestClient(create_app(settings)) as client:
        client.headers["X-API-Key"] = key
        for query, expected in (
            ("1.5 story house", {"H1", "H2", "H6"}),
            ("one and a half story home in Ames", {"H1", "H2", "H6"}),
            ("2.5 story house", {"H3"}),
            ("two-story house", {"H5"}),
        ):
            body = search(client, {"query": query, "limit": 50})
            found = {result["listing"]["ListingKey"] for result in body["results"]}
            assert found == expected, query
