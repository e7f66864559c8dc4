"""An explicit result order ("cheapest first", "newest"), applied after the hard filters.

Semantics (the parser produces it, a client may pass it, the search applies it): listings that
meet every filter come first, then the "unknown" tier, as without a sort; inside each tier the
sort field orders the listings, those whose field is null last; ties keep relevance order, then
ListingKey, so the order is stable and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SortDirection = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class Sort:
    field: str  # a RESO field name (a numeric filterable field, such as ListPrice)
    direction: SortDirection

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "direction": self.direction}
