"""Search filters `{"field", "op", "value"}` over RESO fields: validation, SQL, criteria.

Semantics (shared by SQL and the per-result `criteria`):
- text comparisons (`eq`, `in`, `contains`) ignore case; `contains` is a substring test and, on
  multi-select fields (Cooling, Heating), is true when any value contains it;
- `gte`/`lte` are inclusive;
- `ne`, `not_in` and `not_contains` are the negations of `eq`, `in` and `contains` ("no pool",
  "not a townhouse", "without central air"); like every filter they say nothing about a listing
  whose field is null, which stays "unknown";
- a listing whose tested field is null neither meets nor violates the filter: it is "unknown".
  Search returns such listings only after every listing that meets all filters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from psycopg import sql

from copilot_api.listings.fields import FIELDS, NEGATIONS, FieldKind, FieldSpec, Op

Status = Literal["met", "unmet", "unknown"]
FilterValue = bool | int | float | str | list[int | float] | list[str]

MAX_IN_VALUES: Final = 100
MAX_TEXT_VALUE: Final = 200
DEFAULT_STATUS: Final = "Active"


class FilterError(ValueError):
    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: Op
    value: FilterValue

    @property
    def spec(self) -> FieldSpec:
        return FIELDS[self.field]

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op.value, "value": self.value}


def parse_filter(raw: Mapping[str, Any], index: int | None = None) -> Filter:
    """Validate one `{"field", "op", "value"}` mapping (from a client or an LLM)."""
    field = raw.get("field")
    spec = FIELDS.get(field) if isinstance(field, str) else None
    if spec is None:
        raise FilterError(
            f"unknown filter field {field!r}; filterable fields: {', '.join(FIELDS)}", index
        )
    try:
        op = Op(str(raw.get("op")))
    except ValueError:
        raise FilterError(
            f"unknown op {raw.get('op')!r} for {spec.name}; use one of "
            f"{', '.join(sorted(o.value for o in spec.ops))}",
            index,
        ) from None
    if op not in spec.ops:
        raise FilterError(
            f"{spec.name} does not support {op.value!r}; use one of "
            f"{', '.join(sorted(o.value for o in spec.ops))}",
            index,
        )
    try:
        value = _value(spec, op, raw.get("value"))
    except ValueError as error:
        raise FilterError(f"{spec.name} {op.value}: {error}", index) from None
    return Filter(spec.name, op, value)


def parse_filters(raw: Sequence[Mapping[str, Any]]) -> list[Filter]:
    return [parse_filter(item, index) for index, item in enumerate(raw)]


def _value(spec: FieldSpec, op: Op, value: Any) -> FilterValue:
    if op.takes_list:
        if not isinstance(value, list) or not value:
            raise ValueError("expects a non-empty list")
        if len(value) > MAX_IN_VALUES:
            raise ValueError(f"expects at most {MAX_IN_VALUES} values")
        items = [_scalar(spec, op, item) for item in value]
        if spec.is_numeric:
            return [item for item in items if isinstance(item, int | float)]
        return [str(item) for item in items]
    return _scalar(spec, op, value)


def _scalar(spec: FieldSpec, op: Op, value: Any) -> bool | int | float | str:
    if spec.kind is FieldKind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"expects true or false, got {value!r}")
        return value
    if spec.is_numeric:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expects a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError("expects a finite number")
        return value
    return _text(spec, op, value)


def _text(spec: FieldSpec, op: Op, value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and op is not Op.CONTAINS:
        value = str(value)  # PostalCode 50010
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expects non-empty text, got {value!r}")
    if len(value) > MAX_TEXT_VALUE:
        raise ValueError(f"expects at most {MAX_TEXT_VALUE} characters")
    if spec.kind is FieldKind.LIST and "|" in value:
        raise ValueError("cannot contain '|'")  # the separator of the stored values
    return value.strip()


def merge_filters(parsed: Iterable[Filter], overrides: Iterable[Filter]) -> list[Filter]:
    """Client filters add to the parsed ones; a client filter on a field replaces every parsed
    filter on that field."""
    explicit = list(overrides)
    replaced = {item.field for item in explicit}
    return [item for item in parsed if item.field not in replaced] + explicit


def with_default_status(filters: list[Filter]) -> list[Filter]:
    """Search active listings unless the query or the client says otherwise."""
    if any(item.field == "StandardStatus" for item in filters):
        return filters
    return [*filters, Filter("StandardStatus", Op.EQ, DEFAULT_STATUS)]


# --- SQL -------------------------------------------------------------------------------------


def met_condition(filters: Sequence[Filter]) -> tuple[sql.Composable, list[Any]]:
    """Every filter met (null fields excluded)."""
    parts: list[sql.Composable] = []
    params: list[Any] = []
    for item in filters:
        clause, values = _met(item)
        parts.append(clause)
        params.extend(values)
    return _joined(parts, "AND"), params


def unknown_condition(filters: Sequence[Filter]) -> tuple[sql.Composable, list[Any]]:
    """No filter violated and at least one tested field null."""
    parts: list[sql.Composable] = []
    nulls: list[sql.Composable] = []
    params: list[Any] = []
    for item in filters:
        clause, values = _met(item)
        null = sql.SQL("{} IS NULL").format(_column(item.spec))
        parts.append(sql.SQL("({} OR {})").format(clause, null))
        params.extend(values)
        nulls.append(null)
    if not nulls:
        return sql.SQL("false"), []
    return sql.SQL("{} AND ({})").format(_joined(parts, "AND"), _joined(nulls, "OR")), params


def _joined(parts: list[sql.Composable], operator: str) -> sql.Composable:
    if not parts:
        return sql.SQL("true")
    return sql.SQL(f" {operator} ").join(parts)


def _column(spec: FieldSpec) -> sql.Composable:
    column = sql.SQL(spec.column)  # trusted: from the field catalogue, never from input
    # An empty multi-select is as unknown as a missing one (the criteria say the same).
    return sql.SQL("nullif({}, '')").format(column) if spec.kind is FieldKind.LIST else column


def _met(item: Filter) -> tuple[sql.Composable, list[Any]]:
    positive = NEGATIONS.get(item.op)
    if positive is not None:  # NOT of the positive test: null stays null, i.e. "unknown"
        clause, params = _met(Filter(item.field, positive, item.value))
        return sql.SQL("NOT ({})").format(clause), params
    spec, column = item.spec, _column(item.spec)
    if spec.is_numeric:
        if isinstance(item.value, list):
            values = [float(v) for v in item.value]
            return sql.SQL("{} = ANY(%s::float8[])").format(column), [values]
        operator = {Op.EQ: "=", Op.GTE: ">=", Op.LTE: "<="}[item.op]
        return sql.SQL("{} " + operator + " %s::float8").format(column), [float(item.value)]
    if spec.kind is FieldKind.BOOLEAN:
        return sql.SQL("{} = %s").format(column), [item.value]
    if spec.kind is FieldKind.LIST:  # the generated column is already lower-case
        return sql.SQL("{} LIKE %s").format(column), [_like(str(item.value))]
    return _met_text(item, sql.SQL("lower({})").format(column))


def _met_text(item: Filter, lowered: sql.Composable) -> tuple[sql.Composable, list[Any]]:
    if isinstance(item.value, list):
        return sql.SQL("{} = ANY(%s)").format(lowered), [[str(v).lower() for v in item.value]]
    if item.op is Op.CONTAINS:
        return sql.SQL("{} LIKE %s").format(lowered), [_like(str(item.value))]
    return sql.SQL("{} = %s").format(lowered), [str(item.value).lower()]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- criteria --------------------------------------------------------------------------------


def criterion(item: Filter, listing: Mapping[str, Any]) -> dict[str, Any]:
    return {**item.as_dict(), "status": status_of(item, listing)}


def status_of(item: Filter, listing: Mapping[str, Any]) -> Status:
    """The same test as the SQL, on the stored document."""
    actual = item.spec.value_in(listing)
    if actual is None or actual in ([], ""):
        return "unknown"
    return "met" if _meets(item, actual) else "unmet"


def _meets(item: Filter, actual: Any) -> bool:
    positive = NEGATIONS.get(item.op)
    if positive is not None:
        return not _meets(Filter(item.field, positive, item.value), actual)
    spec = item.spec
    if spec.is_numeric:
        return _meets_number(item, float(actual))
    if spec.kind is FieldKind.BOOLEAN:
        return bool(actual) is item.value
    needle = str(item.value).lower()
    if spec.kind is FieldKind.LIST:
        values = actual if isinstance(actual, list) else [actual]
        return any(needle in str(value).lower() for value in values)
    text = str(actual).lower()
    if item.op is Op.IN:
        assert isinstance(item.value, list)
        return text in {str(v).lower() for v in item.value}
    return needle in text if item.op is Op.CONTAINS else text == needle


def _meets_number(item: Filter, number: float) -> bool:
    if isinstance(item.value, list):
        return any(number == float(v) for v in item.value)
    expected = float(item.value)
    if item.op is Op.GTE:
        return number >= expected
    if item.op is Op.LTE:
        return number <= expected
    return number == expected
