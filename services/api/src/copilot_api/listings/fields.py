"""The RESO fields the service understands: their types, ranges, SQL columns and filter ops.

A listing is stored as given (every field, unknown ones included) in a JSONB document; the fields
below also get typed, indexed columns generated from that document (see migration 0002), which
is what filters compare against. Anything not listed here is kept and returned but not filtered.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    GTE = "gte"
    LTE = "lte"
    IN = "in"
    CONTAINS = "contains"


OPS_BY_KIND: Final[Mapping[FieldKind, frozenset[Op]]] = {
    FieldKind.INTEGER: frozenset({Op.EQ, Op.GTE, Op.LTE, Op.IN}),
    FieldKind.DECIMAL: frozenset({Op.EQ, Op.GTE, Op.LTE, Op.IN}),
    FieldKind.BOOLEAN: frozenset({Op.EQ}),
    FieldKind.TEXT: frozenset({Op.EQ, Op.IN, Op.CONTAINS}),
    FieldKind.LONG_TEXT: frozenset({Op.CONTAINS}),
    FieldKind.LIST: frozenset({Op.CONTAINS}),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # the RESO Data Dictionary name
    kind: FieldKind
    column: str  # SQL expression of the typed value (generated column or JSONB access)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 200

    @property
    def ops(self) -> frozenset[Op]:
        return OPS_BY_KIND[self.kind]

    @property
    def is_numeric(self) -> bool:
        return self.kind in (FieldKind.INTEGER, FieldKind.DECIMAL)


# The year bound is checked against the current year at validation time (see validation.py).
YEAR_BUILT_FUTURE_MARGIN: Final = 5

_SPECS: Final = (
    FieldSpec("ListPrice", FieldKind.DECIMAL, "list_price", 1, 10_000_000_000),
    FieldSpec("BedroomsTotal", FieldKind.INTEGER, "bedrooms_total", 0, 100),
    FieldSpec("BathroomsTotalInteger", FieldKind.INTEGER, "bathrooms_total_integer", 0, 100),
    FieldSpec("BathroomsFull", FieldKind.INTEGER, "bathrooms_full", 0, 100),
    FieldSpec("BathroomsHalf", FieldKind.INTEGER, "bathrooms_half", 0, 100),
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
    FieldSpec("Stories", FieldKind.INTEGER, "stories", 0, 200),
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
