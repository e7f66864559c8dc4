"""CMA maths against hand-computed values."""

from __future__ import annotations

import pytest

from copilot_api.workflows.cma import Comparable, analyse, distance_miles, similarity


def comparable(key: str, price: float, area: float) -> Comparable:
    return Comparable(key, price, "ListPrice", area, 3, 2000, None, 1.0, {})


# Price per sq ft: A 100, B 150, C 200, D 250.
COMPS = [
    comparable("C", 400_000, 2000),
    comparable("A", 200_000, 2000),
    comparable("D", 500_000, 2000),
    comparable("B", 300_000, 2000),
]


def test_statistics_and_range_by_hand() -> None:
    stats = analyse({"LivingArea": 1000}, COMPS)["statistics"]
    assert stats["count"] == {"value": 4, "sources": ["A", "B", "C", "D"]}
    # inclusive quartiles of 100, 150, 200, 250: q1 = 137.5, median = 175, q3 = 212.5
    assert stats["median_price_per_sqft"] == {"value": 175.0, "sources": ["B", "C"]}
    assert stats["mean_price_per_sqft"]["value"] == 175.0
    assert stats["p25_price_per_sqft"]["value"] == 137.5
    assert stats["p75_price_per_sqft"]["value"] == 212.5
    assert stats["min_price_per_sqft"] == {"value": 100.0, "sources": ["A"]}
    assert stats["max_price_per_sqft"] == {"value": 250.0, "sources": ["D"]}
    assert stats["suggested_price_low"]["value"] == 138_000  # 137.5 * 1000, to the $1,000
    assert stats["suggested_price_high"]["value"] == 212_000  # 212.5 * 1000 rounds half to even
    assert stats["estimated_value"] == {"value": 175_000, "sources": ["B", "C"]}


def test_odd_count_median_cites_the_middle_comparable() -> None:
    stats = analyse({"LivingArea": 1500}, COMPS[:3])["statistics"]
    assert stats["median_price_per_sqft"] == {"value": 200.0, "sources": ["C"]}


def test_distance_and_similarity() -> None:
    # Ames to Des Moines is about 30 miles as the crow flies.
    assert distance_miles(42.0308, -93.6319, 41.5868, -93.6250) == pytest.approx(30.7, abs=0.5)
    subject = {"LivingArea": 2000, "BedroomsTotal": 3, "YearBuilt": 2000}
    assert similarity(subject, subject, 0.0) == 1.0
    bigger = {"LivingArea": 2400, "BedroomsTotal": 4, "YearBuilt": 2000}
    assert similarity(subject, bigger, 5.0) < similarity(subject, bigger, 0.0) < 1.0
