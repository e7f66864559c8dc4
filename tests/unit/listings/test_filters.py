"""Filter validation, merging and the criteria statuses shown with each result."""

from __future__ import annotations

from typing import Any

import pytest

from copilot_api.listings.fields import Op
from copilot_api.listings.filters import (
    Filter,
    FilterError,
    merge_filters,
    parse_filter,
    status_of,
    with_default_status,
)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"field": "Colour", "op": "eq", "value": "red"}, "unknown filter field 'Colour'"),
        ({"field": "ListPrice", "op": "between", "value": 1}, "unknown op 'between'"),
        (
            {"field": "ListPrice", "op": "contains", "value": 1},
            "ListPrice does not support 'contains'",
        ),
        ({"field": "GarageYN", "op": "gte", "value": True}, "GarageYN does not support 'gte'"),
        ({"field": "ListPrice", "op": "lte", "value": "cheap"}, "ListPrice lte: expects a number"),
        ({"field": "ListPrice", "op": "lte", "value": True}, "ListPrice lte: expects a number"),
        ({"field": "GarageYN", "op": "eq", "value": "yes"}, "GarageYN eq: expects true or false"),
        ({"field": "City", "op": "in", "value": []}, "City in: expects a non-empty list"),
        ({"field": "City", "op": "eq", "value": "  "}, "City eq: expects non-empty text"),
        ({"field": "Cooling", "op": "contains", "value": "a|b"}, "cannot contain '|'"),
        (
            {"field": "PublicRemarks", "op": "eq", "value": "x"},
            "PublicRemarks does not support 'eq'",
        ),
        (
            {"field": "City", "op": "not_in", "value": "Ames"},
            "City not_in: expects a non-empty list",
        ),
        ({"field": "GarageYN", "op": "not_in", "value": [True]}, "GarageYN does not support"),
        ({"field": "ListPrice", "op": "not_contains", "value": 1}, "does not support"),
    ],
)
def test_invalid_filters_say_what_is_wrong(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace("|", r"\|")):
        parse_filter(raw, 0)


def test_zip_codes_may_be_numbers() -> None:
    assert parse_filter({"field": "PostalCode", "op": "eq", "value": 50010}).value == "50010"


def test_client_filters_replace_parsed_ones_on_their_field() -> None:
    parsed = [Filter("City", Op.EQ, "Ames"), Filter("ListPrice", Op.LTE, 300000)]
    merged = merge_filters(parsed, [Filter("City", Op.IN, ["Austin", "Denver"])])
    assert merged == [
        Filter("ListPrice", Op.LTE, 300000),
        Filter("City", Op.IN, ["Austin", "Denver"]),
    ]


def test_active_listings_unless_a_status_is_given() -> None:
    assert with_default_status([]) == [Filter("StandardStatus", Op.EQ, "Active")]
    closed = [Filter("StandardStatus", Op.EQ, "Closed")]
    assert with_default_status(closed) == closed


@pytest.mark.parametrize(
    ("item", "listing", "status"),
    [
        (Filter("ListPrice", Op.LTE, 300000), {"ListPrice": 300000}, "met"),
        (Filter("ListPrice", Op.LTE, 300000), {"ListPrice": 300001}, "unmet"),
        (Filter("ListPrice", Op.LTE, 300000), {}, "unknown"),
        (Filter("ListPrice", Op.LTE, 300000), {"ListPrice": None}, "unknown"),
        (Filter("City", Op.EQ, "ames"), {"City": "Ames"}, "met"),
        (Filter("City", Op.IN, ["Austin", "AMES"]), {"City": "Ames"}, "met"),
        (Filter("City", Op.CONTAINS, "des m"), {"City": "West Des Moines"}, "met"),
        (Filter("Cooling", Op.CONTAINS, "central air"), {"Cooling": ["Central Air"]}, "met"),
        (Filter("Cooling", Op.CONTAINS, "central air"), {"Cooling": ["Window Unit(s)"]}, "unmet"),
        (Filter("Cooling", Op.CONTAINS, "central air"), {"Cooling": []}, "unknown"),
        (Filter("GarageYN", Op.EQ, False), {"GarageYN": False}, "met"),
        (Filter("BedroomsTotal", Op.IN, [2.0, 3.0]), {"BedroomsTotal": 3}, "met"),
        # negations: the opposite of the positive test; null stays unknown
        (Filter("City", Op.NE, "ames"), {"City": "Ames"}, "unmet"),
        (Filter("City", Op.NE, "ames"), {"City": "Austin"}, "met"),
        (Filter("City", Op.NE, "ames"), {}, "unknown"),
        (
            Filter("PropertySubType", Op.NOT_IN, ["Condominium", "Townhouse"]),
            {"PropertySubType": "townhouse"},
            "unmet",
        ),
        (Filter("BedroomsTotal", Op.NOT_IN, [2.0, 3.0]), {"BedroomsTotal": 4}, "met"),
        (Filter("Cooling", Op.NOT_CONTAINS, "central air"), {"Cooling": ["Central Air"]}, "unmet"),
        (Filter("Cooling", Op.NOT_CONTAINS, "central air"), {"Cooling": ["Ductless"]}, "met"),
        (Filter("Cooling", Op.NOT_CONTAINS, "central air"), {"Cooling": []}, "unknown"),
        (Filter("PoolPrivateYN", Op.NE, True), {"PoolPrivateYN": False}, "met"),
        # full + half / 2, derived from the document; no full-bath count: unknown
        (
            Filter("BathroomsFullAndHalf", Op.GTE, 2.5),
            {"BathroomsFull": 2, "BathroomsHalf": 1},
            "met",
        ),
        (Filter("BathroomsFullAndHalf", Op.GTE, 2.5), {"BathroomsFull": 3}, "met"),
        (
            Filter("BathroomsFullAndHalf", Op.GTE, 2.5),
            {"BathroomsFull": 2, "BathroomsHalf": 0},
            "unmet",
        ),
        (Filter("BathroomsFullAndHalf", Op.GTE, 2.5), {"BathroomsHalf": 1}, "unknown"),
        (Filter("Stories", Op.EQ, 1.5), {"Stories": 1.5}, "met"),
    ],
)
def test_criteria_status(item: Filter, listing: dict[str, Any], status: str) -> None:
    assert status_of(item, listing) == status
