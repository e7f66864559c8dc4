"""Comparative market analysis maths: pure functions over a subject and its comparables.

Every figure carries `sources`, the ListingKeys it was computed from, so an agent can show a
client exactly where a number came from.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True, slots=True)
class Comparable:
    listing_key: str
    price: float
    price_basis: str  # "ClosePrice" for sales, "ListPrice" for listings
    living_area: float
    bedrooms: float | None
    year_built: float | None
    distance_miles: float | None
    similarity: float
    facts: Mapping[str, Any]

    @property
    def price_per_sqft(self) -> float:
        return self.price / self.living_area


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


def similarity(
    subject: Mapping[str, Any], candidate: Mapping[str, Any], miles: float | None
) -> float:
    """1.0 = identical on size, bedrooms, age and place; each difference costs a share."""
    penalty = 0.0
    area, other_area = subject.get("LivingArea"), candidate.get("LivingArea")
    if area and other_area:
        penalty += 1.5 * abs(float(other_area) - float(area)) / float(area)
    beds, other_beds = subject.get("BedroomsTotal"), candidate.get("BedroomsTotal")
    if beds is not None and other_beds is not None:
        penalty += 0.15 * abs(float(other_beds) - float(beds))
    year, other_year = subject.get("YearBuilt"), candidate.get("YearBuilt")
    if year and other_year:
        penalty += abs(float(other_year) - float(year)) / 60
    if miles is not None:
        penalty += miles / 25
    return round(1 / (1 + penalty), 4)


def _figure(value: float, sources: Sequence[Comparable], digits: int = 2) -> dict[str, Any]:
    return {"value": round(value, digits), "sources": [c.listing_key for c in sources]}


def analyse(subject: Mapping[str, Any], comparables: Sequence[Comparable]) -> dict[str, Any]:
    """Price-per-square-foot statistics and a suggested list-price range for the subject, as a
    flat mapping of cited figures ({"value", "sources"}) that the narrative quotes verbatim."""
    ordered = sorted(comparables, key=lambda c: (c.price_per_sqft, c.listing_key))
    values = [c.price_per_sqft for c in ordered]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    middle = len(ordered) // 2
    median_sources = (
        ordered[middle - 1 : middle + 1] if len(ordered) % 2 == 0 else [ordered[middle]]
    )
    area = float(subject["LivingArea"])
    figures = {
        "count": {"value": len(ordered), "sources": [c.listing_key for c in ordered]},
        "median_price_per_sqft": _figure(median, median_sources),
        "mean_price_per_sqft": _figure(statistics.fmean(values), ordered),
        "p25_price_per_sqft": _figure(q1, ordered),
        "p75_price_per_sqft": _figure(q3, ordered),
        "min_price_per_sqft": _figure(values[0], ordered[:1]),
        "max_price_per_sqft": _figure(values[-1], ordered[-1:]),
        # Quartiles interpolate over every comparable, so the range cites them all.
        "suggested_price_low": _figure(_round_price(q1 * area), ordered, 0),
        "suggested_price_high": _figure(_round_price(q3 * area), ordered, 0),
        "estimated_value": _figure(_round_price(median * area), median_sources, 0),
    }
    method = (
        f"Suggested range: the comparables' middle half of price per sq ft (p25 {q1:.2f} to "
        f"p75 {q3:.2f}) times the subject's {area:,.0f} sq ft; estimate: the median "
        f"({median:.2f}) times the same area."
    )
    return {"statistics": figures, "method": method}


def _round_price(value: float) -> float:
    return float(round(value / 1000) * 1000)
