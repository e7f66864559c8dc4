from __future__ import annotations

import pytest

from copilot_api.sessions.refine import Filter, PreviousResults, refine_filters


def f(field: str, op: str, value: object) -> Filter:
    return {"field": field, "op": op, "value": value}


BASE = [f("BedroomsTotal", "gte", 3), f("City", "eq", "Ames"), f("ListPrice", "lte", 450_000)]


def test_a_new_bound_replaces_the_same_bound() -> None:
    refined = refine_filters(
        BASE, [f("ListPrice", "lte", 300_000)], "under 300k instead", PreviousResults()
    )
    assert f("ListPrice", "lte", 300_000) in refined
    assert f("ListPrice", "lte", 450_000) not in refined
    assert f("BedroomsTotal", "gte", 3) in refined


def test_a_feature_is_added() -> None:
    refined = refine_filters(
        BASE, [f("PoolPrivateYN", "eq", True)], "with a pool", PreviousResults()
    )
    assert refined == [*BASE, f("PoolPrivateYN", "eq", True)]


def test_a_new_subtype_replaces_the_old_one() -> None:
    previous = [*BASE, f("PropertySubType", "eq", "Single Family Residence")]
    refined = refine_filters(
        previous,
        [f("PropertySubType", "eq", "Condominium")],
        "show me condos instead",
        PreviousResults(),
    )
    subtypes = [x for x in refined if x["field"] in ("PropertySubType", "PropertyType")]
    assert subtypes == [f("PropertySubType", "eq", "Condominium")]


def test_a_new_place_replaces_the_whole_location_family() -> None:
    previous = [f("PostalCode", "eq", "50010"), f("City", "eq", "Ames")]
    refined = refine_filters(
        previous, [f("City", "eq", "Denver")], "in Denver instead", PreviousResults()
    )
    assert refined == [f("City", "eq", "Denver")]


def test_cheaper_lowers_the_existing_ceiling_by_ten_percent() -> None:
    refined = refine_filters(BASE, [], "cheaper", PreviousResults())
    assert f("ListPrice", "lte", 405_000) in refined
    assert f("ListPrice", "lte", 450_000) not in refined


def test_cheaper_without_a_ceiling_uses_the_previous_results() -> None:
    previous = [f("City", "eq", "Ames")]
    refined = refine_filters(
        previous, [], "something cheaper", PreviousResults(prices=[200_000, 300_000, 400_000])
    )
    assert f("ListPrice", "lte", 270_000) in refined


def test_cheaper_with_nothing_to_compare_changes_nothing() -> None:
    previous = [f("City", "eq", "Ames")]
    assert refine_filters(previous, [], "cheaper", PreviousResults()) == previous


def test_an_explicit_price_wins_over_a_relative_word() -> None:
    refined = refine_filters(
        BASE, [f("ListPrice", "lte", 350_000)], "cheaper, under 350k", PreviousResults()
    )
    assert [x for x in refined if x["field"] == "ListPrice"] == [f("ListPrice", "lte", 350_000)]


def test_a_contradicting_opposite_bound_is_dropped() -> None:
    previous = [f("ListPrice", "gte", 300_000), f("ListPrice", "lte", 400_000)]
    refined = refine_filters(
        previous, [f("ListPrice", "lte", 250_000)], "under 250k instead", PreviousResults()
    )
    assert refined == [f("ListPrice", "lte", 250_000)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bigger", f("LivingArea", "gte", 2200)),
        ("more bedrooms", f("BedroomsTotal", "gte", 4)),
        ("newer", f("YearBuilt", "gte", 2010)),
    ],
)
def test_relative_words(query: str, expected: Filter) -> None:
    previous = [
        f("LivingArea", "gte", 2000),
        f("BedroomsTotal", "gte", 3),
        f("YearBuilt", "gte", 2000),
    ]
    assert expected in refine_filters(previous, [], query, PreviousResults())
