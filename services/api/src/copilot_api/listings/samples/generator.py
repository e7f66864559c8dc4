"""Deterministic sample listings: realistic RESO records across eight US markets.

The same seed always yields the same listings (keys, prices, remarks), so demos, tests and the
benchmark are reproducible. Facts in the remarks agree with the fields (a pool is mentioned only
when `PoolPrivateYN` is true), and the agent-only fields are filled so that tests can check they
never leak.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from copilot_api.listings.samples.remarks import RemarkFacts, remarks

DEFAULT_COUNT: Final = 2_400
DEFAULT_SEED: Final = 20_240_601
# Listing dates and "new construction" are relative to this day, not today, for determinism.
REFERENCE_DAY: Final = date(2025, 6, 1)


@dataclass(frozen=True, slots=True)
class Market:
    city: str
    state: str
    county: str
    postal_codes: tuple[str, ...]
    latitude: float
    longitude: float
    median_price: int
    subdivisions: tuple[str, ...]
    streets: tuple[str, ...]
    local_touches: tuple[str, ...]
    pool_rate: float
    waterfront_rate: float
    water_name: str
    weight: float


MARKETS: Final = (
    Market(
        "Ames",
        "IA",
        "Story",
        ("50010", "50011", "50014"),
        42.0308,
        -93.6319,
        255_000,
        ("Somerset", "Northridge Heights", "Sunset Ridge", "Bloomington Heights", "Ringgold"),
        ("Lincoln Way", "Stange Rd", "Duff Ave", "Hyland Ave", "Ontario St", "Mortensen Rd"),
        (
            "a short bike ride to Iowa State",
            "close to Ada Hayden Heritage Park",
            "minutes from the CyRide bus line",
            "near Main Street Cultural District",
        ),
        0.03,
        0.02,
        "Ada Hayden Lake",
        1.0,
    ),
    Market(
        "Des Moines",
        "IA",
        "Polk",
        ("50309", "50310", "50311", "50312", "50315", "50320"),
        41.5868,
        -93.6250,
        235_000,
        ("Beaverdale", "Sherman Hill", "Waterbury", "Drake Park", "Woodland Heights"),
        ("Ingersoll Ave", "Beaver Ave", "Grand Ave", "University Ave", "Park Ave"),
        (
            "near the East Village shops",
            "close to Gray's Lake trails",
            "minutes from the Principal Riverwalk",
            "walk to Drake University",
        ),
        0.04,
        0.02,
        "the Des Moines River",
        1.2,
    ),
    Market(
        "West Des Moines",
        "IA",
        "Polk",
        ("50265", "50266"),
        41.5772,
        -93.7113,
        385_000,
        ("Jordan Creek", "Valley Junction", "Glen Oaks", "Wendover Place"),
        ("Mills Civic Pkwy", "Grand Ave", "Ashworth Rd", "Fuller Rd"),
        (
            "close to Jordan Creek Town Center",
            "near Raccoon River Park",
            "in the award-winning WDM school district",
        ),
        0.06,
        0.03,
        "Blue Heron Lake",
        0.7,
    ),
    Market(
        "Austin",
        "TX",
        "Travis",
        ("78702", "78704", "78722", "78731", "78745", "78749", "78757"),
        30.2672,
        -97.7431,
        560_000,
        ("Mueller", "Travis Heights", "Circle C Ranch", "Barton Hills", "Crestview", "Zilker"),
        ("S Congress Ave", "Manor Rd", "Burnet Rd", "Slaughter Ln", "Barton Springs Rd"),
        (
            "minutes from Lady Bird Lake",
            "close to the Barton Creek Greenbelt",
            "near South Congress restaurants",
            "easy commute to downtown and the Domain",
        ),
        0.22,
        0.04,
        "Lake Austin",
        1.4,
    ),
    Market(
        "Denver",
        "CO",
        "Denver",
        ("80203", "80205", "80206", "80209", "80211", "80238"),
        39.7392,
        -104.9903,
        610_000,
        ("Washington Park", "Highlands", "Congress Park", "Cherry Creek", "Sloan's Lake"),
        ("Federal Blvd", "Colfax Ave", "Downing St", "Tennyson St", "Speer Blvd"),
        (
            "with views of the Front Range",
            "near the Cherry Creek Trail",
            "a quick drive to I-70 and the mountains",
            "close to Washington Park",
        ),
        0.05,
        0.02,
        "Sloan's Lake",
        1.3,
    ),
    Market(
        "Raleigh",
        "NC",
        "Wake",
        ("27603", "27604", "27605", "27608", "27612", "27617"),
        35.7796,
        -78.6382,
        430_000,
        ("Oakwood", "Five Points", "North Hills", "Brier Creek", "Hayes Barton", "Wakefield"),
        ("Glenwood Ave", "Oberlin Rd", "Six Forks Rd", "Falls of Neuse Rd", "Hillsborough St"),
        (
            "close to Research Triangle Park",
            "near the Capital Area Greenway",
            "minutes from NC State",
            "walk to North Hills shopping",
        ),
        0.12,
        0.03,
        "Falls Lake",
        1.1,
    ),
    Market(
        "Portland",
        "OR",
        "Multnomah",
        ("97202", "97206", "97209", "97211", "97214", "97232"),
        45.5152,
        -122.6784,
        525_000,
        ("Sellwood", "Laurelhurst", "Alberta Arts", "Hawthorne", "Pearl District", "St. Johns"),
        ("SE Hawthorne Blvd", "NE Alberta St", "SE Division St", "N Lombard St", "NW 23rd Ave"),
        (
            "near Forest Park trails",
            "close to the Springwater Corridor",
            "walk to neighborhood coffee shops",
            "minutes from the Eastbank Esplanade",
        ),
        0.02,
        0.05,
        "the Willamette River",
        1.1,
    ),
    Market(
        "Madison",
        "WI",
        "Dane",
        ("53703", "53704", "53705", "53711", "53714", "53719"),
        43.0731,
        -89.4012,
        395_000,
        ("Vilas", "Tenney-Lapham", "Westmorland", "Maple Bluff", "Nakoma"),
        ("Monroe St", "Williamson St", "Atwood Ave", "Mineral Point Rd", "University Ave"),
        (
            "close to the UW campus",
            "near the Capital City bike trail",
            "minutes from the Capitol Square farmers market",
        ),
        0.03,
        0.08,
        "Lake Monona",
        0.9,
    ),
)

# (PropertySubType, PropertyType, weight)
SUBTYPES: Final = (
    ("Single Family Residence", "Residential", 0.64),
    ("Condominium", "Residential", 0.15),
    ("Townhouse", "Residential", 0.13),
    ("Duplex", "Residential Income", 0.05),
    ("Manufactured Home", "Residential", 0.03),
)
STATUSES: Final = (
    ("Active", 0.8),
    ("Pending", 0.07),
    ("Active Under Contract", 0.03),
    ("Coming Soon", 0.03),
    ("Closed", 0.07),
)

_COOLING_OTHER: Final = (["Window Unit(s)"], ["Ductless"], ["None"], ["Evaporative Cooling"])
_HEATING: Final = (
    ["Forced Air", "Natural Gas"],
    ["Heat Pump"],
    ["Forced Air"],
    ["Radiant"],
    ["Baseboard"],
)
_APPLIANCES: Final = (
    "Dishwasher",
    "Microwave",
    "Refrigerator",
    "Range",
    "Washer",
    "Dryer",
    "Disposal",
)
_STYLES: Final = ("Ranch", "Traditional", "Craftsman", "Colonial", "Contemporary", "Bungalow")


def generate_listings(
    count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED
) -> Iterator[dict[str, Any]]:
    """`count` listings; the i-th listing depends only on (seed, i)."""
    for index in range(count):
        yield _listing(random.Random(seed * 1_000_003 + index), index)  # noqa: S311 - not security


def _listing(rng: random.Random, index: int) -> dict[str, Any]:
    market = rng.choices(MARKETS, weights=[m.weight for m in MARKETS])[0]
    subtype, property_type, _ = rng.choices(SUBTYPES, weights=[s[2] for s in SUBTYPES])[0]
    status = rng.choices([s[0] for s in STATUSES], weights=[s[1] for s in STATUSES])[0]
    year = _year_built(rng)
    new_construction = year >= REFERENCE_DAY.year - 1 and rng.random() < 0.8
    beds, full, half = _rooms(rng, subtype)
    area = _living_area(rng, subtype, beds)
    lot_acres = _lot_acres(rng, subtype)
    stories = _stories(rng, subtype)
    garage_spaces = _garage(rng, subtype)
    pool = subtype == "Single Family Residence" and rng.random() < market.pool_rate * 1.4
    waterfront = rng.random() < market.waterfront_rate
    fireplaces = rng.choice((1, 1, 1, 2)) if rng.random() < 0.45 else 0
    central_air = rng.random() < (0.55 if market.city == "Portland" else 0.85)
    cooling = ["Central Air"] if central_air else list(rng.choice(_COOLING_OTHER))
    if rng.random() < 0.3:
        cooling.append("Ceiling Fan(s)")
    price = _price(rng, market, subtype, area, year, lot_acres, pool, waterfront, garage_spaces)
    on_market = REFERENCE_DAY - timedelta(days=rng.randint(0, 120))
    subdivision = rng.choice(market.subdivisions) if rng.random() < 0.85 else None
    street = f"{rng.randint(100, 9899)} {rng.choice(market.streets)}"
    unit = f" Unit {rng.randint(1, 40)}{rng.choice('ABCD')}" if subtype == "Condominium" else ""
    postal_code = rng.choice(market.postal_codes)
    listing: dict[str, Any] = {
        "ListingKey": f"SAMPLE-{index + 1:06d}",
        "ListingId": f"{market.state}{rng.randint(1_000_000, 9_999_999)}",
        "StandardStatus": status,
        "PropertyType": property_type,
        "PropertySubType": subtype,
        "ListPrice": price,
        "BedroomsTotal": beds,
        "BathroomsFull": full,
        "BathroomsHalf": half,
        "BathroomsTotalInteger": full + half,
        "LivingArea": area,
        "LivingAreaUnits": "Square Feet",
        "LotSizeAcres": lot_acres,
        "LotSizeSquareFeet": None if lot_acres is None else round(lot_acres * 43_560),
        "YearBuilt": year,
        "NewConstructionYN": new_construction,
        "Stories": stories,
        "GarageYN": garage_spaces > 0,
        "GarageSpaces": garage_spaces,
        "PoolPrivateYN": pool,
        "WaterfrontYN": waterfront,
        "FireplacesTotal": fireplaces,
        "Cooling": cooling,
        "Heating": list(rng.choice(_HEATING)),
        "Appliances": sorted(rng.sample(_APPLIANCES, rng.randint(2, 6))),
        "ArchitecturalStyle": ["Ranch"]
        if stories == 1 and rng.random() < 0.5
        else [rng.choice(_STYLES)],
        "UnparsedAddress": f"{street}{unit}, {market.city}, {market.state} {postal_code}",
        "City": market.city,
        "StateOrProvince": market.state,
        "PostalCode": postal_code,
        "CountyOrParish": market.county,
        "SubdivisionName": subdivision,
        "Latitude": round(market.latitude + rng.uniform(-0.08, 0.08), 6),
        "Longitude": round(market.longitude + rng.uniform(-0.1, 0.1), 6),
        "OnMarketDate": on_market.isoformat(),
        "DaysOnMarket": (REFERENCE_DAY - on_market).days,
        "AssociationFee": rng.randrange(150, 600, 5)
        if subtype in ("Condominium", "Townhouse")
        else None,
        "TaxAnnualAmount": round(price * rng.uniform(0.011, 0.021)),
        "PublicRemarks": remarks(
            rng,
            RemarkFacts(
                subtype,
                beds,
                full,
                half,
                garage_spaces,
                pool,
                waterfront,
                market.water_name,
                fireplaces,
                central_air,
                new_construction,
                stories,
                lot_acres,
                subdivision or market.city,
                market.local_touches,
                year,
            ),
        ),
        "PrivateRemarks": f"Lockbox on the side door, code {rng.randint(1000, 9999)}. "
        + rng.choice(("Seller prefers a 30-day close.", "Motivated seller.", "Tenant occupied.")),
        "ShowingInstructions": rng.choice(
            ("Call listing agent 24 hours ahead.", "Use ShowingTime.", "Vacant; go and show.")
        ),
    }
    return {key: value for key, value in listing.items() if value is not None}


def _year_built(rng: random.Random) -> int:
    era = rng.random()
    if era < 0.15:
        return rng.randint(1900, 1949)
    if era < 0.45:
        return rng.randint(1950, 1989)
    if era < 0.85:
        return rng.randint(1990, 2019)
    return rng.randint(2020, REFERENCE_DAY.year)


def _rooms(rng: random.Random, subtype: str) -> tuple[int, int, int]:
    if subtype == "Condominium":
        beds = rng.choices((0, 1, 2, 3), weights=(0.08, 0.37, 0.42, 0.13))[0]
    elif subtype == "Townhouse":
        beds = rng.choices((2, 3, 4), weights=(0.35, 0.5, 0.15))[0]
    elif subtype == "Duplex":
        beds = rng.choice((4, 4, 5, 6))
    else:
        beds = rng.choices((1, 2, 3, 4, 5, 6), weights=(0.02, 0.15, 0.4, 0.3, 0.1, 0.03))[0]
    full = max(1, min(beds, rng.choices((1, 2, 3, 4), weights=(0.3, 0.45, 0.2, 0.05))[0]))
    half = 1 if beds >= 2 and rng.random() < 0.45 else 0
    return beds, full, half


def _living_area(rng: random.Random, subtype: str, beds: int) -> int:
    if subtype == "Condominium":
        base = 550 + beds * 380
    elif subtype == "Manufactured Home":
        base = 800 + beds * 250
    else:
        base = 700 + beds * 480
    return round(base * rng.uniform(0.8, 1.3) / 10) * 10


def _lot_acres(rng: random.Random, subtype: str) -> float | None:
    if subtype == "Condominium":
        return None
    if subtype == "Townhouse":
        return round(rng.uniform(0.03, 0.09), 2)
    roll = rng.random()
    if roll < 0.06:
        return round(rng.uniform(1.0, 10.0), 2)
    if roll < 0.16:
        return round(rng.uniform(0.5, 1.0), 2)
    return round(rng.uniform(0.1, 0.5), 2)


def _stories(rng: random.Random, subtype: str) -> int:
    if subtype in ("Condominium", "Manufactured Home"):
        return 1
    if subtype == "Townhouse":
        return rng.choice((2, 2, 3))
    return rng.choices((1, 2, 3), weights=(0.45, 0.5, 0.05))[0]


def _garage(rng: random.Random, subtype: str) -> int:
    chance = {"Condominium": 0.3, "Townhouse": 0.7, "Manufactured Home": 0.2}.get(subtype, 0.85)
    if rng.random() >= chance:
        return 0
    if subtype in ("Condominium", "Manufactured Home"):
        return 1
    return rng.choices((1, 2, 3), weights=(0.25, 0.6, 0.15))[0]


def _price(
    rng: random.Random,
    market: Market,
    subtype: str,
    area: int,
    year: int,
    lot_acres: float | None,
    pool: bool,
    waterfront: bool,
    garage_spaces: int,
) -> int:
    typical_area = 1_900
    factor = (area / typical_area) ** 0.85
    factor *= {"Condominium": 0.85, "Townhouse": 0.9, "Manufactured Home": 0.45}.get(subtype, 1.0)
    factor *= 1.0 + max(0, year - 1990) * 0.004
    factor *= 1.0 + min(lot_acres or 0.0, 10.0) * 0.03
    factor *= (1.08 if pool else 1.0) * (1.35 if waterfront else 1.0)
    factor *= 1.0 + garage_spaces * 0.015
    # 0.88: the factors above average slightly above 1 across the mix.
    price = 0.88 * market.median_price * factor * rng.lognormvariate(0, 0.18)
    step = 5_000 if price > 1_000_000 else 100
    rounded = int(price / step + 0.5) * step
    return max(20_000, rounded - (100 if rng.random() < 0.4 else 0))
