"""The RESO fields the service understands: their types, ranges, SQL columns and filter ops.

A listing is stored as given (every field, unknown ones included) in a JSONB document; the fields
below also get typed, indexed columns generated from that document (see migration 0002), which
is what filters compare against. Anything not listed here is kept and returned but not filtered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final


class FieldKind(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    TEXT = "text"  # short values compared case-insensitively (City, PostalCode, ...)
    LONG_TEXT = "long_text"  # prose; only substring filters
    LIST = "list"  # RESO multi-select lookups (Cooling, Heating): a list of strings


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    GTE = "gte"
    LTE = "lte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"

    @property
    def takes_list(self) -> bool:
        return self in (Op.IN, Op.NOT_IN)


# The negated ops ("no pool", "not a townhouse", "without central air") and their positives.
NEGATIONS: Final[Mapping[Op, Op]] = {
    Op.NE: Op.EQ,
    Op.NOT_IN: Op.IN,
    Op.NOT_CONTAINS: Op.CONTAINS,
}

_NUMBER_OPS: Final = frozenset({Op.EQ, Op.NE, Op.GTE, Op.LTE, Op.IN, Op.NOT_IN})
OPS_BY_KIND: Final[Mapping[FieldKind, frozenset[Op]]] = {
    FieldKind.INTEGER: _NUMBER_OPS,
    FieldKind.DECIMAL: _NUMBER_OPS,
    FieldKind.BOOLEAN: frozenset({Op.EQ, Op.NE}),
    FieldKind.TEXT: frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.NOT_CONTAINS}),
    FieldKind.LONG_TEXT: frozenset({Op.CONTAINS, Op.NOT_CONTAINS}),
    FieldKind.LIST: frozenset({Op.CONTAINS, Op.NOT_CONTAINS}),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # the RESO Data Dictionary name
    kind: FieldKind
    column: str  # SQL expression of the typed value (generated column or JSONB access)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 200
    # A value computed from other fields (never read from, nor validated in, the document).
    derive: Callable[[Mapping[str, Any]], Any] | None = None

    def value_in(self, listing: Mapping[str, Any]) -> Any:
        return self.derive(listing) if self.derive else listing.get(self.name)

    @property
    def ops(self) -> frozenset[Op]:
        return OPS_BY_KIND[self.kind]

    @property
    def is_numeric(self) -> bool:
        return self.kind in (FieldKind.INTEGER, FieldKind.DECIMAL)


def _full_and_half_baths(listing: Mapping[str, Any]) -> float | None:
    """Baths as agents count them: 2 full and 1 half = 2.5. A missing half count is none."""
    full, half = _number(listing.get("BathroomsFull")), _number(listing.get("BathroomsHalf"))
    return None if full is None else full + (half or 0.0) / 2


def _number(value: Any) -> float | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number else None


# Derived, not RESO: "2.5 baths" compares full + half / 2 (RESO's BathroomsTotalDecimal, where
# feeds send it, also counts three-quarter baths; this one is computed the same way everywhere).
FULL_AND_HALF_BATHS: Final = "BathroomsFullAndHalf"

# The year bound is checked against the current year at validation time (see validation.py).
YEAR_BUILT_FUTURE_MARGIN: Final = 5

_SPECS: Final = (
    FieldSpec("ListPrice", FieldKind.DECIMAL, "list_price", 1, 10_000_000_000),
    FieldSpec("BedroomsTotal", FieldKind.INTEGER, "bedrooms_total", 0, 100),
    FieldSpec("BathroomsTotalInteger", FieldKind.INTEGER, "bathrooms_total_integer", 0, 100),
    FieldSpec("BathroomsFull", FieldKind.INTEGER, "bathrooms_full", 0, 100),
    FieldSpec("BathroomsHalf", FieldKind.INTEGER, "bathrooms_half", 0, 100),
    FieldSpec(
        FULL_AND_HALF_BATHS,
        FieldKind.DECIMAL,
        "(bathrooms_full + coalesce(bathrooms_half, 0) / 2)",
        0,
        200,
        derive=_full_and_half_baths,
    ),
    FieldSpec("LivingArea", FieldKind.DECIMAL, "living_area", 1, 1_000_000),
    FieldSpec("LotSizeAcres", FieldKind.DECIMAL, "lot_size_acres", 0, 1_000_000),
    FieldSpec("LotSizeSquareFeet", FieldKind.DECIMAL, "lot_size_square_feet", 0, 50_000_000_000),
    FieldSpec("YearBuilt", FieldKind.INTEGER, "year_built", 1600, None),
    FieldSpec("PropertyType", FieldKind.TEXT, "property_type"),
    FieldSpec("PropertySubType", FieldKind.TEXT, "property_sub_type"),
    FieldSpec("StandardStatus", FieldKind.TEXT, "standard_status"),
    FieldSpec("City", FieldKind.TEXT, "city"),
    FieldSpec("StateOrProvince", FieldKind.TEXT, "state_or_province", max_length=50),
    FieldSpec("PostalCode", FieldKind.TEXT, "postal_code", max_length=20),
    FieldSpec("CountyOrParish", FieldKind.TEXT, "county_or_parish"),
    FieldSpec("SubdivisionName", FieldKind.TEXT, "subdivision_name"),
    FieldSpec("UnparsedAddress", FieldKind.TEXT, "unparsed_address", max_length=500),
    FieldSpec("Latitude", FieldKind.DECIMAL, "latitude", -90, 90),
    FieldSpec("Longitude", FieldKind.DECIMAL, "longitude", -180, 180),
    FieldSpec("GarageSpaces", FieldKind.DECIMAL, "garage_spaces", 0, 100),
    FieldSpec("GarageYN", FieldKind.BOOLEAN, "garage_yn"),
    FieldSpec("PoolPrivateYN", FieldKind.BOOLEAN, "pool_private_yn"),
    FieldSpec("WaterfrontYN", FieldKind.BOOLEAN, "waterfront_yn"),
    FieldSpec("FireplacesTotal", FieldKind.INTEGER, "fireplaces_total", 0, 100),
    FieldSpec("Cooling", FieldKind.LIST, "cooling"),
    FieldSpec("Heating", FieldKind.LIST, "heating"),
    FieldSpec("NewConstructionYN", FieldKind.BOOLEAN, "new_construction_yn"),
    # RESO types Stories as a whole number; real feeds send 1.5 and 2.5 (a standard US
    # category), so it is a decimal here (a deliberate deviation, see the README).
    FieldSpec("Stories", FieldKind.DECIMAL, "stories", 0, 200),
    FieldSpec("AssociationYN", FieldKind.BOOLEAN, "association_yn"),
    FieldSpec("Basement", FieldKind.LIST, "basement"),
    FieldSpec("PublicRemarks", FieldKind.LONG_TEXT, "(data->>'PublicRemarks')", max_length=50_000),
)

FIELDS: Final[Mapping[str, FieldSpec]] = {spec.name: spec for spec in _SPECS}
FILTERABLE_FIELDS: Final = tuple(FIELDS)

LISTING_KEY: Final = "ListingKey"
LISTING_KEY_MAX_LENGTH: Final = 255

# RESO StandardStatus lookup values; input is matched case-insensitively and stored like this.
STANDARD_STATUSES: Final = (
    "Active",
    "Active Under Contract",
    "Canceled",
    "Closed",
    "Coming Soon",
    "Delete",
    "Expired",
    "Hold",
    "Incomplete",
    "Pending",
    "Withdrawn",
)

# Agent-only data (RESO marks these as private/showing/security information): never returned by
# the API, never embedded, never indexed for full-text search.
PRIVATE_FIELD_PREFIXES: Final = ("Private", "Showing", "LockBox")
PRIVATE_FIELDS: Final = frozenset({"SecurityCodes", "OwnerName", "OwnerPhone", "OccupantPhone"})


def is_private_field(name: str) -> bool:
    return name in PRIVATE_FIELDS or name.startswith(PRIVATE_FIELD_PREFIXES)


def public_listing(data: Mapping[str, Any]) -> dict[str, Any]:
    """The listing as clients may see it: every field except the agent-only ones."""
    return {key: value for key, value in data.items() if not is_private_field(key)}


def embedding_text(data: Mapping[str, Any]) -> str:
    """What a listing's embedding (and full-text document) is computed from: public facts first,
    then the public remarks. Private remarks never enter it."""
    facts = [
        _joined(data.get("PropertySubType") or data.get("PropertyType")),
        _joined(data.get("City"), data.get("StateOrProvince"), sep=", ", prefix="in "),
        _joined(data.get("SubdivisionName")),
        _quantity(data.get("BedroomsTotal"), "bedrooms"),
        _quantity(data.get("BathroomsTotalInteger"), "bathrooms"),
        _quantity(data.get("LivingArea"), "sq ft"),
        _quantity(data.get("YearBuilt"), "", prefix="built "),
    ]
    head = ", ".join(part for part in facts if part)
    remarks = data.get("PublicRemarks")
    return f"{head}. {remarks}" if isinstance(remarks, str) and remarks else head


def _joined(*values: Any, sep: str = " ", prefix: str = "") -> str:
    parts = [str(value) for value in values if value not in (None, "")]
    return prefix + sep.join(parts) if parts else ""


def _quantity(value: Any, unit: str, prefix: str = "") -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{prefix}{value} {unit}".strip()
