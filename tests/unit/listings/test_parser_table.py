"""The rule parser, phrase by phrase: each row is how an ambiguous phrasing is read (the README's
"Property search" section documents the same choices)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from copilot_api.listings.parsing.rules import RuleParser
from copilot_api.listings.samples import generate_listings
from copilot_api.listings.vocabulary import Vocabulary, vocabulary_from

SFR = "Single Family Residence"
Expected = list[tuple[str, str, Any]]

CASES: list[tuple[str, Expected, str]] = [
    # --- the example --------------------------------------------------------------
    (
        "3 bed 2 bath in Ames under $250k with a garage",
        [
            ("BedroomsTotal", "gte", 3),
            ("BathroomsFull", "gte", 2),
            ("City", "eq", "Ames"),
            ("ListPrice", "lte", 250000),
            ("GarageYN", "eq", True),
        ],
        "",
    ),
    # --- bedroom counts: a bare count is a minimum ------------------------------------------
    (
        "three bedroom house in Des Moines",
        [("BedroomsTotal", "gte", 3), ("PropertySubType", "eq", SFR), ("City", "eq", "Des Moines")],
        "",
    ),
    ("3+ beds", [("BedroomsTotal", "gte", 3)], ""),
    ("at least 3 bedrooms", [("BedroomsTotal", "gte", 3)], ""),
    ("3-4 bedrooms", [("BedroomsTotal", "gte", 3), ("BedroomsTotal", "lte", 4)], ""),
    ("2 or 3 bedrooms", [("BedroomsTotal", "gte", 2), ("BedroomsTotal", "lte", 3)], ""),
    ("no more than 2 beds", [("BedroomsTotal", "lte", 2)], ""),
    ("4 or more bedrooms", [("BedroomsTotal", "gte", 4)], ""),
    ("4 bedrooms minimum", [("BedroomsTotal", "gte", 4)], ""),
    ("fewer than 3 bedrooms", [("BedroomsTotal", "lte", 2)], ""),
    ("more than 2 bedrooms", [("BedroomsTotal", "gte", 3)], ""),
    ("exactly 3 bedrooms", [("BedroomsTotal", "eq", 3)], ""),
    (
        "studio apartment under 200k",
        [
            ("BedroomsTotal", "eq", 0),
            ("PropertySubType", "eq", "Condominium"),
            ("ListPrice", "lte", 200000),
        ],
        "",
    ),
    ("3br/2ba", [("BedroomsTotal", "gte", 3), ("BathroomsFull", "gte", 2)], ""),
    (
        "3/2 in Austin under 500k",
        [
            ("BedroomsTotal", "gte", 3),
            ("BathroomsFull", "gte", 2),
            ("City", "eq", "Austin"),
            ("ListPrice", "lte", 500000),
        ],
        "",
    ),
    (
        "three-bedroom two-bath townhome",
        [
            ("BedroomsTotal", "gte", 3),
            ("BathroomsFull", "gte", 2),
            ("PropertySubType", "eq", "Townhouse"),
        ],
        "",
    ),
    # --- bathrooms: "2.5" is two full baths and a half bath -------------------------------
    ("2.5 baths", [("BathroomsFull", "gte", 2), ("BathroomsTotalInteger", "gte", 3)], ""),
    (
        "1.5 bath condo less than 1200 sq ft",
        [
            ("BathroomsFull", "gte", 1),
            ("BathroomsTotalInteger", "gte", 2),
            ("PropertySubType", "eq", "Condominium"),
            ("LivingArea", "lte", 1200),
        ],
        "",
    ),
    ("more than 2 baths", [("BathroomsFull", "gte", 2), ("BathroomsTotalInteger", "gte", 3)], ""),
    ("no more than 2 bathrooms", [("BathroomsTotalInteger", "lte", 2)], ""),
    ("exactly 2 baths", [("BathroomsFull", "eq", 2), ("BathroomsHalf", "eq", 0)], ""),
    # --- prices: caps are inclusive, a lone amount is a budget -----------------------------
    ("under $450k", [("ListPrice", "lte", 450000)], ""),
    ("450,000", [("ListPrice", "lte", 450000)], ""),
    ("between 300k and 400k", [("ListPrice", "gte", 300000), ("ListPrice", "lte", 400000)], ""),
    (
        "between $300,000 and $400,000",
        [("ListPrice", "gte", 300000), ("ListPrice", "lte", 400000)],
        "",
    ),
    ("$1.2M", [("ListPrice", "lte", 1200000)], ""),
    ("max 350k", [("ListPrice", "lte", 350000)], ""),
    (
        "300-400k condo in Austin",
        [
            ("ListPrice", "gte", 300000),
            ("ListPrice", "lte", 400000),
            ("PropertySubType", "eq", "Condominium"),
            ("City", "eq", "Austin"),
        ],
        "",
    ),
    (
        "house under 300 in ames",
        [("PropertySubType", "eq", SFR), ("ListPrice", "lte", 300000), ("City", "eq", "Ames")],
        "",
    ),
    (
        "under a million in Travis Heights",
        [("ListPrice", "lte", 1000000), ("SubdivisionName", "eq", "Travis Heights")],
        "",
    ),
    (
        "under 1.5 million with a pool in Austin",
        [("ListPrice", "lte", 1500000), ("PoolPrivateYN", "eq", True), ("City", "eq", "Austin")],
        "",
    ),
    (
        "around $400k in Circle C Ranch",
        [
            ("ListPrice", "gte", 360000),
            ("ListPrice", "lte", 440000),
            ("SubdivisionName", "eq", "Circle C Ranch"),
        ],
        "",
    ),
    ("something in the 400s", [("ListPrice", "gte", 400000), ("ListPrice", "lte", 500000)], ""),
    (
        "high 300s in Ames",
        [("ListPrice", "gte", 366000), ("ListPrice", "lte", 400000), ("City", "eq", "Ames")],
        "",
    ),
    ("over 500k", [("ListPrice", "gte", 500000)], ""),
    ("350k or less", [("ListPrice", "lte", 350000)], ""),
    ("price range 350-450k", [("ListPrice", "gte", 350000), ("ListPrice", "lte", 450000)], ""),
    (
        "price under 275000 in 50014",
        [("ListPrice", "lte", 275000), ("PostalCode", "eq", "50014")],
        "",
    ),
    # --- living area, lot size ------------------------------------------------------------
    ("over 2,000 sq ft", [("LivingArea", "gte", 2000)], ""),
    ("2000+ sqft", [("LivingArea", "gte", 2000)], ""),
    (
        "under 2,000 square feet single level",
        [("LivingArea", "lte", 2000), ("Stories", "eq", 1)],
        "",
    ),
    ("10,000 sq ft lot", [("LotSizeSquareFeet", "gte", 10000)], ""),
    ("at least an acre", [("LotSizeAcres", "gte", 1)], ""),
    ("half acre lot", [("LotSizeAcres", "gte", 0.5)], ""),
    (
        "1-2 acres with a detached garage in Story County",
        [
            ("LotSizeAcres", "gte", 1),
            ("LotSizeAcres", "lte", 2),
            ("GarageYN", "eq", True),
            ("CountyOrParish", "eq", "Story"),
        ],
        "",
    ),
    (
        "5 bedroom home on 2 acres with a barn",
        [("BedroomsTotal", "gte", 5), ("LotSizeAcres", "gte", 2)],
        "barn",
    ),
    # --- year built: "after 2000" excludes 2000 -------------------------------------------
    ("built after 2000", [("YearBuilt", "gte", 2001)], ""),
    ("built before 1950 craftsman", [("YearBuilt", "lte", 1949)], "craftsman"),
    (
        "homes built in 2020 or later with central air",
        [("YearBuilt", "gte", 2020), ("Cooling", "contains", "Central Air")],
        "",
    ),
    ("newer than 2015", [("YearBuilt", "gte", 2016)], ""),
    (
        "half acre lot built in the 1990s",
        [("LotSizeAcres", "gte", 0.5), ("YearBuilt", "gte", 1990), ("YearBuilt", "lte", 1999)],
        "",
    ),
    ("homes less than 10 years old", [("YearBuilt", "gte", 2015)], ""),
    ("2000 sq ft built after 2000", [("LivingArea", "gte", 2000), ("YearBuilt", "gte", 2001)], ""),
    ("new construction", [("NewConstructionYN", "eq", True)], ""),
    (
        "new build in West Des Moines",
        [("NewConstructionYN", "eq", True), ("City", "eq", "West Des Moines")],
        "",
    ),
    # --- places: matched against the data -------------------------------------------------
    ("homes in 50010", [("PostalCode", "eq", "50010")], ""),
    ("duplex in Iowa", [("PropertySubType", "eq", "Duplex"), ("StateOrProvince", "eq", "IA")], ""),
    ("homes in tx", [("StateOrProvince", "eq", "TX")], ""),
    ("Portland, OR", [("City", "eq", "Portland"), ("StateOrProvince", "eq", "OR")], ""),
    ("Portland, or Denver", [("City", "in", ["Portland", "Denver"])], ""),
    (
        "condos in Des Moines or West Des Moines",
        [
            ("PropertySubType", "eq", "Condominium"),
            ("City", "in", ["Des Moines", "West Des Moines"]),
        ],
        "",
    ),
    ("AUSTIN HOMES IN TX", [("City", "eq", "Austin"), ("StateOrProvince", "eq", "TX")], ""),
    (
        "sold homes in Five Points Raleigh",
        [
            ("StandardStatus", "eq", "Closed"),
            ("SubdivisionName", "eq", "Five Points"),
            ("City", "eq", "Raleigh"),
        ],
        "",
    ),
    (
        "single-story home with no stairs in Mueller",
        [("Stories", "eq", 1), ("SubdivisionName", "eq", "Mueller")],
        "",
    ),
    (
        "3 beds under $1.2 million in Washington Park",
        [
            ("BedroomsTotal", "gte", 3),
            ("ListPrice", "lte", 1200000),
            ("SubdivisionName", "eq", "Washington Park"),
        ],
        "",
    ),
    (
        "under 300k with 2 car garage in 50010 or 50014",
        [
            ("ListPrice", "lte", 300000),
            ("GarageSpaces", "gte", 2),
            ("PostalCode", "in", ["50010", "50014"]),
        ],
        "",
    ),
    (
        "homes in Madison, WI near the lake",
        [("City", "eq", "Madison"), ("StateOrProvince", "eq", "WI")],
        "lake",
    ),
    # --- subtypes: "home" is not a subtype, "house" is ------------------------------------
    (
        "condo or townhouse in Denver, CO",
        [
            ("PropertySubType", "in", ["Townhouse", "Condominium"]),
            ("City", "eq", "Denver"),
            ("StateOrProvince", "eq", "CO"),
        ],
        "",
    ),
    (
        "not a condo in Portland",
        [
            ("PropertySubType", "in", ["Duplex", "Manufactured Home", SFR, "Townhouse"]),
            ("City", "eq", "Portland"),
        ],
        "",
    ),
    (
        "townhouse or duplex under 350k in Des Moines",
        [
            ("PropertySubType", "in", ["Townhouse", "Duplex"]),
            ("ListPrice", "lte", 350000),
            ("City", "eq", "Des Moines"),
        ],
        "",
    ),
    (
        "a house with character and a big porch",
        [("PropertySubType", "eq", SFR)],
        "character big porch",
    ),
    (
        "loft-style condo with city views",
        [("PropertySubType", "eq", "Condominium")],
        "loft-style city views",
    ),
    (
        "single-story ranch in West Des Moines",
        [("Stories", "eq", 1), ("City", "eq", "West Des Moines")],
        "",
    ),
    (
        "2 story house with 4 car garage",
        [("Stories", "eq", 2), ("PropertySubType", "eq", SFR), ("GarageSpaces", "gte", 4)],
        "",
    ),
    (
        "multi-level home with 2 fireplaces",
        [("Stories", "gte", 2), ("FireplacesTotal", "gte", 2)],
        "",
    ),
    # --- features, including negations and look-alikes ------------------------------------
    ("2-car garage with pool", [("GarageSpaces", "gte", 2), ("PoolPrivateYN", "eq", True)], ""),
    (
        "waterfront home with fireplace and central air",
        [
            ("WaterfrontYN", "eq", True),
            ("FireplacesTotal", "gte", 1),
            ("Cooling", "contains", "Central Air"),
        ],
        "",
    ),
    (
        "a 3 bed home, no pool, not waterfront",
        [
            ("BedroomsTotal", "gte", 3),
            ("PoolPrivateYN", "eq", False),
            ("WaterfrontYN", "eq", False),
        ],
        "",
    ),
    (
        "community pool and pool table, no garage",
        [("GarageYN", "eq", False)],
        "community pool pool table",
    ),
    ("lakefront cabin", [("WaterfrontYN", "eq", True)], "cabin"),
    ("swimming pool and a hot tub", [("PoolPrivateYN", "eq", True)], "hot tub"),
    (
        "4+ bedroom home with 3 car garage and fireplace",
        [("BedroomsTotal", "gte", 4), ("GarageSpaces", "gte", 3), ("FireplacesTotal", "gte", 1)],
        "",
    ),
    (
        "pending listings in Austin",
        [("StandardStatus", "in", ["Pending", "Active Under Contract"]), ("City", "eq", "Austin")],
        "",
    ),
    # --- nothing to filter: everything is semantic -----------------------------------------
    ("cozy cottage near downtown with big backyard", [], "cozy cottage downtown big backyard"),
    ("with lots of natural light", [], "lots natural light"),
    ("no HOA, quiet street", [], "no HOA quiet street"),
]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return vocabulary_from(generate_listings())


def test_the_table_is_long_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("query", "expected", "semantic"), CASES, ids=[c[0] for c in CASES])
def test_phrasing(vocabulary: Vocabulary, query: str, expected: Expected, semantic: str) -> None:
    parsed = RuleParser(today=date(2025, 6, 1)).parse_now(query, vocabulary)
    assert [(f.field, f.op.value, f.value) for f in parsed.filters] == expected
    assert parsed.semantic_text == semantic
    assert parsed.parser == "rules"


def test_places_need_the_data() -> None:
    """Without the place vocabulary, "Ames" is just a word (kept for ranking)."""
    parsed = RuleParser(today=date(2025, 6, 1)).parse_now("3 bed in Ames", Vocabulary())
    assert [(f.field, f.op.value, f.value) for f in parsed.filters] == [("BedroomsTotal", "gte", 3)]
    assert parsed.semantic_text == "Ames"


def test_place_spelling_comes_from_the_data() -> None:
    vocabulary = vocabulary_from([{"City": "McAllen", "StateOrProvince": "Tx"}] * 3)
    parsed = RuleParser(today=date(2025, 6, 1)).parse_now("homes in MCALLEN, tx", vocabulary)
    assert [(f.field, f.value) for f in parsed.filters] == [
        ("City", "McAllen"),
        ("StateOrProvince", "Tx"),
    ]
