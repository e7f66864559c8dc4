"""An explicit result order ("cheapest first", "newest"), applied after the hard filters.

Semantics (the parser produces it, a client may pass it, the search applies it): listings that
meet every filter come first, then the "unknown" tier, as without a sort; inside each tier the
sort field orders the listings, those whose field is null last; ties keep relevance order, then
ListingKey, so the order is stable and deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from copilot_api.listings.fields import FIELDS

SortDirection = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class Sort:
    field: str  # a RESO field name (a numeric filterable field, such as ListPrice)
    direction: SortDirection

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "direction": self.direction}


class SortError(ValueError):
    """An explicit sort a client sent that the search cannot apply."""


SORT_DIRECTIONS: Final = ("asc", "desc")


# Numeric fields: an order of text values ("sort by city") is no superlative agents use.
SORTABLE_FIELDS: Final = tuple(name for name, spec in FIELDS.items() if spec.is_numeric)


def parse_sort(raw: Mapping[str, Any]) -> Sort:
    """Validate `{"field", "direction"}` (from a client or an LLM)."""
    field = raw.get("field")
    if not isinstance(field, str) or field not in SORTABLE_FIELDS:
        raise SortError(f"cannot sort by {field!r}; sortable fields: {', '.join(SORTABLE_FIELDS)}")
    direction = raw.get("direction")
    if direction not in SORT_DIRECTIONS:
        raise SortError(f"sort direction must be 'asc' or 'desc', got {direction!r}")
    return Sort(field, "asc" if direction == "asc" else "desc")
