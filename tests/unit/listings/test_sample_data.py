"""The bundled sample listings: deterministic, valid, varied, and telling the truth."""

from __future__ import annotations

from collections import Counter

from copilot_api.listings.fields import public_listing
from copilot_api.listings.samples import DEFAULT_COUNT, generate_listings
from copilot_api.listings.validation import validate_listing


def test_enough_valid_deterministic_listings_across_markets() -> None:
    listings = list(generate_listings())
    assert len(listings) == DEFAULT_COUNT >= 2_000
    assert listings == list(generate_listings())
    assert len({listing["ListingKey"] for listing in listings}) == len(listings)
    for listing in listings:
        validate_listing(listing)  # raises on any invalid field
    cities = Counter(f"{item['City']}, {item['StateOrProvince']}" for item in listings)
    assert len(cities) >= 6
    assert min(cities.values()) >= 150
    subtypes = Counter(item["PropertySubType"] for item in listings)
    assert len(subtypes) >= 4
    prices = sorted(item["ListPrice"] for item in listings)
    assert prices[len(prices) // 10] < 250_000 < 600_000 < prices[-len(prices) // 10]
    assert len({item["PublicRemarks"] for item in listings}) == len(listings)


def test_remarks_agree_with_the_fields() -> None:
    for listing in generate_listings(500):
        remarks = listing["PublicRemarks"].lower()
        assert ("pool" in remarks) == listing["PoolPrivateYN"]
        assert ("garage" in remarks or "stall" in remarks) == listing["GarageYN"]
        assert ("waterfront" in remarks or "frontage" in remarks) == listing["WaterfrontYN"]


def test_agent_only_fields_are_filled_and_never_public() -> None:
    listing = next(generate_listings(1))
    assert listing["PrivateRemarks"]
    assert listing["ShowingInstructions"]
    public = public_listing(listing)
    assert "PrivateRemarks" not in public
    assert "ShowingInstructions" not in public
    assert public["ListingKey"] == listing["ListingKey"]
