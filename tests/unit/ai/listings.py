"""RESO listings shared by the AI tests."""

from __future__ import annotations

from typing import Any

SUBJECT: dict[str, Any] = {
    "ListingKey": "L-1001",
    "ListPrice": 425000,
    "BedroomsTotal": 3,
    "BathroomsFull": 2,
    "BathroomsHalf": 1,
    "LivingArea": 2150,
    "LotSizeAcres": 0.25,
    "YearBuilt": 1998,
    "PropertyType": "Residential",
    "PropertySubType": "Single Family Residence",
    "City": "Austin",
    "StateOrProvince": "TX",
    "SubdivisionName": "Maple Ridge",
    "UnparsedAddress": "123 Oak Lane",
    "GarageSpaces": 2,
    "PoolPrivateYN": True,
    "FireplacesTotal": 1,
    "Cooling": ["Central Air"],
    "Heating": ["Forced Air"],
    "InteriorFeatures": ["Kitchen Island", "Walk-In Closet(s)"],
    "Stories": 2,
    "PrivateRemarks": "Seller motivated; lockbox code 4417",
    "ShowingInstructions": "Call listing agent at 555-0100",
}

COMPARABLES: list[dict[str, Any]] = [
    {
        "ListingKey": f"C{number}",
        "UnparsedAddress": f"{100 + number} Elm St",
        "City": "Austin",
        "StateOrProvince": "TX",
        "ListPrice": 400_000 + number * 10_000,
        "LivingArea": 2000 + number * 50,
        "BedroomsTotal": 3,
        "BathroomsTotalInteger": 2,
        "YearBuilt": 1995 + number,
        "distance_miles": 0.3 * number,
    }
    for number in range(1, 6)
]

STATISTICS: dict[str, Any] = {
    "median_price_per_sqft": {"value": 200.0, "sources": ["C1", "C2", "C3", "C4", "C5"]},
    "min_price_per_sqft": {"value": 198.5, "sources": ["C1"]},
    "max_price_per_sqft": {"value": 203.25, "sources": ["C5"]},
    "estimated_value": {"value": 430000, "sources": ["C1", "C2", "C3", "C4", "C5"]},
    "suggested_price_low": {"value": 420000, "sources": ["C2", "C3", "C4"]},
    "suggested_price_high": {"value": 440000, "sources": ["C2", "C3", "C4"]},
}
