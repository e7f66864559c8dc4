"""Follow-up queries refine the session's filters: "cheaper", "under 300k instead", "with a pool".

The new query is parsed like any other; its filters then replace the previous filters they
conflict with (same field and bound, or the same family: a new city replaces the old ZIP code),
and relative words ("cheaper", "bigger", "newer", "more bedrooms") move a bound relative to the
previous one, or to the previous results when there was no bound.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Filter = dict[str, Any]

# A new filter on any field of a family replaces every previous filter of that family.
_FAMILIES = (
    frozenset({"City", "StateOrProvince", "PostalCode", "SubdivisionName", "CountyOrParish"}),
    frozenset({"PropertyType", "PropertySubType"}),
)
_RELATIVE_STEP = 0.10  # "cheaper" = 10 % below the previous ceiling (or the results' median)


@dataclass(frozen=True, slots=True)
class _Relative:
    pattern: re.Pattern[str]
    field: str
    op: str  # the bound it sets: "lte" moves the ceiling down, "gte" moves the floor up
    factor: float | None  # multiplicative move; None means +1 (counts)


_RELATIVES = (
    _Relative(
        re.compile(r"\b(cheaper|less expensive|lower(?:[- ]priced)?|more affordable)\b"),
        "ListPrice",
        "lte",
        1 - _RELATIVE_STEP,
    ),
    _Relative(
        re.compile(r"\b(pricier|more expensive|higher[- ]end|nicer)\b"),
        "ListPrice",
        "gte",
        1 + _RELATIVE_STEP,
    ),
    _Relative(
        re.compile(r"\b(bigger|larger|more space|roomier)\b"),
        "LivingArea",
        "gte",
        1 + _RELATIVE_STEP,
    ),
    _Relative(re.compile(r"\bsmaller\b"), "LivingArea", "lte", 1 - _RELATIVE_STEP),
    _Relative(re.compile(r"\bnewer\b"), "YearBuilt", "gte", None),
    _Relative(re.compile(r"\bmore (bed(room)?s?|rooms)\b"), "BedroomsTotal", "gte", None),
)


# Any relative word: a follow-up's semantic text is what remains without them.
RELATIVE_WORDS = re.compile("|".join(relative.pattern.pattern for relative in _RELATIVES), re.I)


@dataclass(frozen=True, slots=True)
class PreviousResults:
    prices: Sequence[float] = ()
    areas: Sequence[float] = ()


def refine_filters(
    previous: list[Filter], parsed: list[Filter], query: str, results: PreviousResults
) -> list[Filter]:
    refined = list(previous)
    for new in parsed:
        refined = _replace(refined, new)
    parsed_fields = {f["field"] for f in parsed}
    text = query.lower()
    for relative in _RELATIVES:
        if relative.field in parsed_fields or not relative.pattern.search(text):
            continue
        moved = _move(relative, refined, results)
        if moved is not None:
            refined = _replace(refined, moved)
    return refined


def _replace(filters: list[Filter], new: Filter) -> list[Filter]:
    """Drop what `new` supersedes, including an opposite bound it contradicts
    ("between 300k and 400k", then "under 250k instead": the 300k floor goes too)."""
    kept = [old for old in filters if not _conflicts(old, new) and not _contradicts(old, new)]
    return [*kept, new]


def _contradicts(old: Filter, new: Filter) -> bool:
    if old["field"] != new["field"] or {old["op"], new["op"]} != {"gte", "lte"}:
        return False
    low, high = (old, new) if old["op"] == "gte" else (new, old)
    try:
        return bool(low["value"] > high["value"])
    except TypeError:
        return False


def _conflicts(old: Filter, new: Filter) -> bool:
    if old["field"] != new["field"]:
        return any(old["field"] in family and new["field"] in family for family in _FAMILIES)
    if new["op"] in ("eq", "in", "contains") or old["op"] in ("eq", "in", "contains"):
        return True
    return bool(old["op"] == new["op"])


def _move(relative: _Relative, filters: list[Filter], results: PreviousResults) -> Filter | None:
    current = [
        f for f in filters if f["field"] == relative.field and f["op"] in (relative.op, "eq")
    ]
    base: float | None = None
    if current and isinstance(current[-1]["value"], int | float):
        base = float(current[-1]["value"])
    elif relative.field == "ListPrice" and results.prices:
        base = statistics.median(results.prices)
    elif relative.field == "LivingArea" and results.areas:
        base = statistics.median(results.areas)
    if relative.factor is None:
        if base is None:
            return None
        step = 10 if relative.field == "YearBuilt" else 1
        return {"field": relative.field, "op": relative.op, "value": int(base) + step}
    if base is None:
        return None
    value = base * relative.factor
    rounded = (
        round(value / 1000) * 1000 if relative.field == "ListPrice" else round(value / 10) * 10
    )
    return {"field": relative.field, "op": relative.op, "value": rounded}
