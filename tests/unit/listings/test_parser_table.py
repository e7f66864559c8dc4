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
    ("2 or 3 bedrooms", [("BedroomsTotal", "in", [2, 3])], ""),
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
    # --- bathrooms: "2.5" is full + half / 2 >= 2.5 (two full and a half bath, or three full) -
    ("2.5 baths", [("BathroomsFullAndHalf", "gte", 2.5)], ""),
    (
        "1.5 bath condo less than 1200 sq ft",
        [
            ("BathroomsFullAndHalf", "gte", 1.5),
            ("PropertySubType", "eq", "Condominium"),
            ("LivingArea", "lte", 1200),
        ],
        "",
    ),
    ("more than 2 baths", [("BathroomsFullAndHalf", "gte", 2.5)], ""),
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
            ("PropertySubType", "in", ["Condominium", "Townhouse"]),
            ("City", "eq", "Denver"),
            ("StateOrProvince", "eq", "CO"),
        ],
        "",
    ),
    (
        "not a condo in Portland",
        [
            ("PropertySubType", "ne", "Condominium"),
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
    ("with a quiet street", [], "quiet street"),
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


# --- issue 12: negations, either/or, eras, half baths and stories, orders, possessives --------
# (query, filters, sort as (field, direction) or None, semantic remainder), phrased as agents
# type them. Sorts never filter: they order the listings that meet the filters.
ASC, DESC = "asc", "desc"
Sorted = tuple[str, str] | None
LANGUAGE_CASES: list[tuple[str, Expected, Sorted, str]] = [
    # negated features -> eq false / ne / not_contains
    ("homes without central air under 300k",
     [("Cooling", "not_contains", "Central Air"), ("ListPrice", "lte", 300000)], None, ""),
    ("no central a/c", [("Cooling", "not_contains", "Central Air")], None, ""),
    ("3 bed, no pool", [("BedroomsTotal", "gte", 3), ("PoolPrivateYN", "eq", False)], None, ""),
    ("pool-free backyard", [("PoolPrivateYN", "eq", False)], None, "backyard"),
    ("without a pool in Ames", [("PoolPrivateYN", "eq", False), ("City", "eq", "Ames")], None, ""),
    ("not a townhouse", [("PropertySubType", "ne", "Townhouse")], None, ""),
    ("anything but a condo in Austin",
     [("PropertySubType", "ne", "Condominium"), ("City", "eq", "Austin")], None, ""),
    ("no condos or townhomes",
     [("PropertySubType", "not_in", ["Condominium", "Townhouse"])], None, ""),
    ("no HOA", [("AssociationYN", "eq", False)], None, ""),
    ("HOA-free ranch", [("AssociationYN", "eq", False), ("Stories", "eq", 1)], None, ""),
    ("no hoa fees, quiet street", [("AssociationYN", "eq", False)], None, "quiet street"),
    ("without a basement", [("Basement", "contains", "None")], None, ""),
    ("finished basement and no garage",
     [("Basement", "contains", "Finished"), ("GarageYN", "eq", False)], None, ""),
    ("non-waterfront cabin", [("WaterfrontYN", "eq", False)], None, "cabin"),
    ("not new construction", [("NewConstructionYN", "eq", False)], None, ""),
    ("no fireplace please", [("FireplacesTotal", "eq", 0)], None, ""),
    ("house but not a duplex",
     [("PropertySubType", "eq", SFR), ("PropertySubType", "ne", "Duplex")], None, ""),
    # either/or -> in
    ("Ames or Des Moines", [("City", "in", ["Ames", "Des Moines"])], None, ""),
    ("duplex or townhouse", [("PropertySubType", "in", ["Duplex", "Townhouse"])], None, ""),
    ("3 or 4 bedrooms", [("BedroomsTotal", "in", [3, 4])], None, ""),
    ("three or four beds in Ames", [("BedroomsTotal", "in", [3, 4]), ("City", "eq", "Ames")],
     None, ""),
    ("2 or 3 baths", [("BathroomsFull", "in", [2, 3])], None, ""),
    ("1 or 2 car garage", [("GarageSpaces", "in", [1, 2])], None, ""),
    # decades and eras
    ("built in the 1990s", [("YearBuilt", "gte", 1990), ("YearBuilt", "lte", 1999)], None, ""),
    ("90s build", [("YearBuilt", "gte", 1990), ("YearBuilt", "lte", 1999)], None, "build"),
    ("a '70s ranch",
     [("YearBuilt", "gte", 1970), ("YearBuilt", "lte", 1979), ("Stories", "eq", 1)], None, ""),
    ("from the early 2000s", [("YearBuilt", "gte", 2000), ("YearBuilt", "lte", 2003)], None, ""),
    ("late 80s colonial", [("YearBuilt", "gte", 1986), ("YearBuilt", "lte", 1989)], None,
     "colonial"),
    ("pre-war charmer", [("YearBuilt", "lte", 1939)], None, "charmer"),
    ("prewar condo", [("YearBuilt", "lte", 1939), ("PropertySubType", "eq", "Condominium")],
     None, ""),
    ("post-war bungalow", [("YearBuilt", "gte", 1945)], None, "bungalow"),
    ("built 2000 or later", [("YearBuilt", "gte", 2000)], None, ""),
    ("built in 2010 or newer", [("YearBuilt", "gte", 2010)], None, ""),
    # half baths: full + half / 2
    ("2.5 baths", [("BathroomsFullAndHalf", "gte", 2.5)], None, ""),
    ("two and a half baths", [("BathroomsFullAndHalf", "gte", 2.5)], None, ""),
    ("3.5+ bathrooms", [("BathroomsFullAndHalf", "gte", 3.5)], None, ""),
    ("no more than 1.5 baths", [("BathroomsFullAndHalf", "lte", 1.5)], None, ""),
    ("2 full baths", [("BathroomsFull", "gte", 2)], None, ""),
    ("2 full baths and a half bath",
     [("BathroomsFull", "gte", 2), ("BathroomsHalf", "gte", 1)], None, ""),
    ("4 bed 3.5 bath", [("BedroomsTotal", "gte", 4), ("BathroomsFullAndHalf", "gte", 3.5)],
     None, ""),
    # stories, halves included
    ("1.5 story house", [("Stories", "eq", 1.5), ("PropertySubType", "eq", SFR)], None, ""),
    ("one and a half story home in Ames", [("Stories", "eq", 1.5), ("City", "eq", "Ames")],
     None, ""),
    ("1 1/2 story cape cod", [("Stories", "eq", 1.5)], None, "cape cod"),
    ("two-story colonial", [("Stories", "eq", 2)], None, "colonial"),
    ("2.5 story victorian", [("Stories", "eq", 2.5)], None, "victorian"),
    ("at least 2 stories", [("Stories", "gte", 2)], None, ""),
    # superlatives and explicit orders -> sort
    ("cheapest 3 bedroom in Ames", [("BedroomsTotal", "gte", 3), ("City", "eq", "Ames")],
     ("ListPrice", ASC), ""),
    ("least expensive condo", [("PropertySubType", "eq", "Condominium")], ("ListPrice", ASC), ""),
    ("most affordable homes in Des Moines", [("City", "eq", "Des Moines")],
     ("ListPrice", ASC), ""),
    ("largest house in Austin",
     [("PropertySubType", "eq", SFR), ("City", "eq", "Austin")], ("LivingArea", DESC), ""),
    ("biggest lot under 400k", [("ListPrice", "lte", 400000)], ("LotSizeAcres", DESC), ""),
    ("newest homes in Raleigh", [("City", "eq", "Raleigh")], ("YearBuilt", DESC), ""),
    ("oldest houses in Denver", [("PropertySubType", "eq", SFR), ("City", "eq", "Denver")],
     ("YearBuilt", ASC), ""),
    ("most bedrooms under 500k", [("ListPrice", "lte", 500000)], ("BedroomsTotal", DESC), ""),
    ("most expensive waterfront", [("WaterfrontYN", "eq", True)], ("ListPrice", DESC), ""),
    ("condos in Austin, price low to high",
     [("PropertySubType", "eq", "Condominium"), ("City", "eq", "Austin")],
     ("ListPrice", ASC), ""),
    ("sort by price high to low", [], ("ListPrice", DESC), ""),
    ("ranch homes, newest first", [("Stories", "eq", 1)], ("YearBuilt", DESC), ""),
    ("smallest condo in Denver",
     [("PropertySubType", "eq", "Condominium"), ("City", "eq", "Denver")],
     ("LivingArea", ASC), ""),
    # possessives and punctuation around places
    ("Ames' Somerset", [("City", "eq", "Ames"), ("SubdivisionName", "eq", "Somerset")], None, ""),
    ("Somerset, Ames", [("SubdivisionName", "eq", "Somerset"), ("City", "eq", "Ames")], None, ""),
    ("Des Moines's Beaverdale area",
     [("City", "eq", "Des Moines"), ("SubdivisionName", "eq", "Beaverdale")], None, "area"),
    ("condo in Denver's downtown",
     [("PropertySubType", "eq", "Condominium"), ("City", "eq", "Denver")], None, "downtown"),
    ("condo not in Ames", [("PropertySubType", "eq", "Condominium"), ("City", "ne", "Ames")],
     None, ""),
    ("3 beds outside Des Moines or Ames",
     [("BedroomsTotal", "gte", 3), ("City", "not_in", ["Des Moines", "Ames"])], None, ""),
    ("anywhere but Austin or Denver", [("City", "not_in", ["Austin", "Denver"])], None, ""),
    ("in Ames, not in Somerset",
     [("City", "eq", "Ames"), ("SubdivisionName", "ne", "Somerset")], None, ""),
    ("excluding Austin, excluding Denver", [("City", "not_in", ["Austin", "Denver"])], None, ""),
    # combinations
    ("3 or 4 bed, no pool, built in the 90s, cheapest first",
     [("BedroomsTotal", "in", [3, 4]), ("PoolPrivateYN", "eq", False),
      ("YearBuilt", "gte", 1990), ("YearBuilt", "lte", 1999)], ("ListPrice", ASC), ""),
    ("newest 2.5 bath townhouse or duplex in Ames, no HOA",
     [("BathroomsFullAndHalf", "gte", 2.5), ("PropertySubType", "in", ["Townhouse", "Duplex"]),
      ("City", "eq", "Ames"), ("AssociationYN", "eq", False)], ("YearBuilt", DESC), ""),
    ("largest 1.5 story home without central air in Ames or Des Moines",
     [("Stories", "eq", 1.5), ("Cooling", "not_contains", "Central Air"),
      ("City", "in", ["Ames", "Des Moines"])], ("LivingArea", DESC), ""),
    ("cheapest pre-war house, not a condo, with a fireplace",
     [("YearBuilt", "lte", 1939), ("PropertySubType", "eq", SFR),
      ("PropertySubType", "ne", "Condominium"), ("FireplacesTotal", "gte", 1)],
     ("ListPrice", ASC), ""),
    ("biggest lot in Ames' Somerset under $600k with a garage",
     [("City", "eq", "Ames"), ("SubdivisionName", "eq", "Somerset"),
      ("ListPrice", "lte", 600000), ("GarageYN", "eq", True)], ("LotSizeAcres", DESC), ""),
]  # fmt: skip


def test_the_language_table_is_long_enough() -> None:
    assert len(LANGUAGE_CASES) >= 60


@pytest.mark.parametrize(
    ("query", "expected", "sort", "semantic"), LANGUAGE_CASES, ids=[c[0] for c in LANGUAGE_CASES]
)
def test_language(
    vocabulary: Vocabulary, query: str, expected: Expected, sort: Sorted, semantic: str
) -> None:
    parsed = RuleParser(today=date(2025, 6, 1)).parse_now(query, vocabulary)
    assert [(f.field, f.op.value, f.value) for f in parsed.filters] == expected
    stated = (parsed.sort.field, parsed.sort.direction) if parsed.sort else None
    assert stated == sort
    assert parsed.semantic_text == semantic


def test_either_city_of_the_data() -> None:
    """ "Ames or Grinnell": every place the data knows joins one `in`."""
    vocabulary = vocabulary_from([{"City": "Ames"}, {"City": "Grinnell"}, {"City": "Story City"}])
    parsed = RuleParser().parse_now("2 bed in Ames or Grinnell", vocabulary)
    assert [(f.field, f.op.value, f.value) for f in parsed.filters] == [
        ("BedroomsTotal", "gte", 2),
        ("City", "in", ["Ames", "Grinnell"]),
    ]


def test_the_first_stated_order_wins_and_every_order_word_is_consumed() -> None:
    parsed = RuleParser().parse_now("newest, or else cheapest", Vocabulary())
    assert parsed.sort is not None
    assert (parsed.sort.field, parsed.sort.direction) == ("YearBuilt", "desc")
    assert parsed.semantic_text == "else"


def test_ignored_words_are_reported_not_lost() -> None:
    """Every word is a filter, a sort, semantic text or listed as ignored."""
    parsed = RuleParser().parse_now("Show me the cheapest homes with a view please", Vocabulary())
    assert parsed.semantic_text == "view"
    assert parsed.ignored_words == ["show", "me", "the", "homes", "with", "a", "please"]
