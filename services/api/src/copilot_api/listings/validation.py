"""Per-row validation: a raw record (JSON object or CSV row) becomes a normalised listing or a
list of reasons. Known RESO fields are coerced to their types and range-checked; unknown fields
are kept exactly as given. CSV gives every value as a string, so strings are parsed here."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import msgspec

from copilot_api.listings.fields import (
    FIELDS,
    LISTING_KEY,
    LISTING_KEY_MAX_LENGTH,
    STANDARD_STATUSES,
    YEAR_BUILT_FUTURE_MARGIN,
    FieldKind,
    FieldSpec,
    embedding_text,
)
from copilot_api.storage.text import find_unstorable, printable

_TRUE: Final = frozenset({"true", "t", "yes", "y", "1"})
_FALSE: Final = frozenset({"false", "f", "no", "n", "0"})
_INTEGER_TEXT: Final = re.compile(r"^[+-]?\d+(?:\.0+)?$")
_DECIMAL_TEXT: Final = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_STATUS_BY_LOWER: Final = {status.lower(): status for status in STANDARD_STATUSES}
_MAX_LIST_ITEMS: Final = 100
_ENCODER: Final = msgspec.json.Encoder(order="sorted")


@dataclass(frozen=True, slots=True)
class ValidListing:
    key: str
    data: dict[str, Any]
    content_hash: bytes  # of the normalised document: unchanged rows are skipped on re-ingest
    text: str  # what the embedding is computed from
    text_hash: bytes  # unchanged text keeps its embedding even when other fields change


class InvalidListingError(Exception):
    def __init__(self, reasons: list[str], key: str | None = None) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.key = key


def validate_listing(raw: Mapping[str, Any], *, now: datetime | None = None) -> ValidListing:
    """Normalise one record or raise `InvalidListingError` with every reason found."""
    reasons: list[str] = []
    unstorable = find_unstorable(dict(raw))
    if unstorable is not None:
        pointer, is_key, reason = unstorable
        where = f"field name {printable(pointer[1:])!r}" if is_key else printable(pointer[1:])
        reasons.append(f"{where} contains {reason}, which PostgreSQL cannot store")
    key = _listing_key(raw.get(LISTING_KEY), reasons)
    max_year = (now or datetime.now(UTC)).year + YEAR_BUILT_FUTURE_MARGIN
    data: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not name.strip():
            reasons.append("a field has an empty name")
            continue
        spec = FIELDS.get(name)
        if spec is None or spec.derive is not None or name == LISTING_KEY:
            data[name] = value
            continue
        try:
            data[name] = _coerce(spec, value, max_year)
        except ValueError as error:
            reasons.append(f"{name}: {error}")
    if reasons:
        raise InvalidListingError(reasons, key)
    assert key is not None  # _listing_key appended a reason otherwise
    data[LISTING_KEY] = key
    text = embedding_text(data)
    return ValidListing(
        key=key,
        data=data,
        content_hash=hashlib.sha256(_ENCODER.encode(data)).digest(),
        text=text,
        text_hash=hashlib.sha256(text.encode()).digest(),
    )


def _listing_key(value: Any, reasons: list[str]) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        reasons.append(f"{LISTING_KEY} is missing")
        return None
    key = value.strip()
    if len(key) > LISTING_KEY_MAX_LENGTH:
        reasons.append(f"{LISTING_KEY} is longer than {LISTING_KEY_MAX_LENGTH} characters")
        return None
    if _CONTROL.search(key) or "/" in key:
        reasons.append(f"{LISTING_KEY} contains a control character or '/'")
        return None
    return key


def _coerce(spec: FieldSpec, value: Any, max_year: int) -> Any:
    """The typed value, or None for an empty one; ValueError says what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    match spec.kind:
        case FieldKind.INTEGER:
            number: int | float = _integer(value)
        case FieldKind.DECIMAL:
            number = _decimal(value)
        case FieldKind.BOOLEAN:
            return _boolean(value)
        case FieldKind.LIST:
            return _string_list(value, spec.max_length)
        case FieldKind.TEXT | FieldKind.LONG_TEXT:
            return _text(spec, value)
    maximum = max_year if spec.name == "YearBuilt" else spec.maximum
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(f"must be at least {_show(spec.minimum)} (got {_show(number)})")
    if maximum is not None and number > maximum:
        raise ValueError(f"must be at most {_show(maximum)} (got {_show(number)})")
    return number


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        return int(float(value.strip()))
    raise ValueError(f"expected a whole number, got {_preview(value)}")


def _decimal(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    number: float
    if isinstance(value, float):
        number = value
    elif isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
        number = float(value.strip())
    else:
        raise ValueError(f"expected a number, got {_preview(value)}")
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {_preview(value)}")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ValueError(f"expected true or false, got {_preview(value)}")


def _text(spec: FieldSpec, value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a ZIP code given as a JSON number
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_preview(value)}")
    text = value.strip()
    if len(text) > spec.max_length:
        raise ValueError(f"is longer than {spec.max_length} characters")
    if spec.name == "StandardStatus":
        status = _STATUS_BY_LOWER.get(text.lower())
        if status is None:
            raise ValueError(
                f"{text!r} is not a RESO StandardStatus ({', '.join(STANDARD_STATUSES)})"
            )
        return status
    return text or None


def _string_list(value: Any, max_length: int) -> list[str] | None:
    # CSV gives "Central Air, Ceiling Fan(s)"; JSON gives a list.
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"expected a list of text values, got {_preview(value)}")
    cleaned = [item.strip() for item in items if item.strip()]
    if len(cleaned) > _MAX_LIST_ITEMS:
        raise ValueError(f"has more than {_MAX_LIST_ITEMS} values")
    if any(len(item) > max_length for item in cleaned):
        raise ValueError(f"has a value longer than {max_length} characters")
    return cleaned or None


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
