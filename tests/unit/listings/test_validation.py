"""Row validation: typed RESO fields, ranges, every reason at once, unknown fields kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from copilot_api.listings.validation import InvalidListingError, validate_listing

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def reasons(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidListingError) as caught:
        validate_listing(raw, now=NOW)
    return caught.value.reasons


def test_csv_strings_become_typed_values_and_unknown_fields_stay() -> None:
    listing = validate_listing(
        {
            "ListingKey": " K-1 ",
            "ListPrice": "250000",
            "BedroomsTotal": "3",
            "LotSizeAcres": "0.25",
            "GarageYN": "Yes",
            "PoolPrivateYN": "0",
            "Cooling": "Central Air, Ceiling Fan(s)",
            "PostalCode": 50010,
            "StandardStatus": "active",
            "MlsCustomField": {"kept": True},
        },
        now=NOW,
    )
    assert listing.key == "K-1"
    assert listing.data == {
        "ListingKey": "K-1",
        "ListPrice": 250000,
        "BedroomsTotal": 3,
        "LotSizeAcres": 0.25,
        "GarageYN": True,
        "PoolPrivateYN": False,
        "Cooling": ["Central Air", "Ceiling Fan(s)"],
        "PostalCode": "50010",
        "StandardStatus": "Active",
        "MlsCustomField": {"kept": True},
    }


def test_every_problem_is_reported() -> None:
    found = reasons(
        {
            "ListPrice": -5,
            "BedroomsTotal": "3.5",
            "YearBuilt": 2035,
            "Latitude": 123,
            "GarageYN": "sometimes",
            "StandardStatus": "For Sale",
        }
    )
    assert found[0] == "ListingKey is missing"
    assert "ListPrice: must be at least 1 (got -5)" in found
    assert "BedroomsTotal: expected a whole number, got '3.5'" in found
    assert "YearBuilt: must be at most 2030 (got 2035)" in found
    assert "Latitude: must be at most 90 (got 123)" in found
    assert "GarageYN: expected true or false, got 'sometimes'" in found
    assert any(reason.startswith("StandardStatus: 'For Sale' is not a RESO") for reason in found)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"ListingKey": ""}, "ListingKey is missing"),
        ({"ListingKey": "a/b"}, "ListingKey contains a control character or '/'"),
        ({"ListingKey": "x" * 300}, "ListingKey is longer than 255 characters"),
        ({"ListingKey": "k", "ListPrice": "NaN"}, "ListPrice: expected a number, got 'NaN'"),
        (
            {"ListingKey": "k", "ListPrice": float("inf")},
            "ListPrice: expected a finite number, got inf",
        ),
        ({"ListingKey": "k", "ListPrice": True}, "ListPrice: expected a number, got True"),
        ({"ListingKey": "k", "City": ["Ames"]}, "City: expected text, got ['Ames']"),
        ({"ListingKey": "k", "Cooling": [1]}, "Cooling: expected a list of text values, got [1]"),
    ],
)
def test_single_reasons(raw: dict[str, Any], reason: str) -> None:
    assert reasons(raw) == [reason]


def test_hashes_change_with_content_and_text_separately() -> None:
    base = {"ListingKey": "k", "ListPrice": 300000, "PublicRemarks": "Sunny"}
    first = validate_listing(base, now=NOW)
    cheaper = validate_listing({**base, "ListPrice": 290000}, now=NOW)
    reworded = validate_listing({**base, "PublicRemarks": "Bright"}, now=NOW)
    assert first.content_hash != cheaper.content_hash
    assert first.text_hash == cheaper.text_hash  # price is not in the embedded text
    assert first.text_hash != reworded.text_hash
    assert (
        validate_listing(dict(reversed(base.items())), now=NOW).content_hash == first.content_hash
    )


def test_private_remarks_never_reach_the_embedded_text() -> None:
    listing = validate_listing(
        {"ListingKey": "k", "PublicRemarks": "Sunny", "PrivateRemarks": "code 1234"}, now=NOW
    )
    assert "1234" not in listing.text
    assert "Sunny" in listing.text


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("Stories", "1.5", 1.5),  # RESO says whole number; real feeds carry half stories
        ("Stories", 2.5, 2.5),
        ("GarageSpaces", "2.5", 2.5),  # tandem spaces: RESO types it as a decimal
        ("LotSizeAcres", "0.25", 0.25),
        ("Basement", "Finished, Walk-Out", ["Finished", "Walk-Out"]),
        ("AssociationYN", "N", False),
    ],
)
def test_decimal_and_new_fields_keep_their_values(field: str, value: Any, stored: Any) -> None:
    listing = validate_listing({"ListingKey": "K1", field: value})
    assert listing.data[field] == stored


def test_derived_fields_are_not_taken_from_the_document() -> None:
    """BathroomsFullAndHalf is computed; a feed's value is kept as an unknown field, unchecked."""
    listing = validate_listing({"ListingKey": "K1", "BathroomsFullAndHalf": "many"})
    assert listing.data["BathroomsFullAndHalf"] == "many"
