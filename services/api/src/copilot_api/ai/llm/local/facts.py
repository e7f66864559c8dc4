"""Reading RESO facts and turning them into words: the local writers' shared vocabulary.

Everything here is defensive about input shape (numbers as strings, multi-select fields as
lists or comma-separated text, Y/N flags as booleans or strings) and never invents a value:
a missing or unparsable fact yields None and the sentence that needed it is left out.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Agent-only RESO fields: never read by a client-facing writer.
AGENT_ONLY_FIELDS = frozenset({"PrivateRemarks", "ShowingInstructions", "PrivateOfficeRemarks"})

_SMALL_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

_SUBTYPE_NOUNS = {
    "single family residence": "single-family home",
    "single family": "single-family home",
    "condominium": "condominium",
    "condo": "condominium",
    "townhouse": "townhome",
    "townhome": "townhome",
    "duplex": "duplex",
    "triplex": "triplex",
    "quadruplex": "fourplex",
    "manufactured home": "manufactured home",
    "mobile home": "manufactured home",
    "cabin": "cabin",
    "farm": "farm property",
    "ranch": "ranch property",
    "apartment": "apartment",
    "stock cooperative": "co-op residence",
    "own your own": "residence",
    "unimproved land": "parcel of land",
}


def number(value: Any) -> float | None:
    """A finite number from an int, float or numeric string; None otherwise (never a bool)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = float(value.replace(",", "").replace("$", "").strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def positive(value: Any) -> float | None:
    parsed = number(value)
    return parsed if parsed is not None and parsed > 0 else None


def flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"y", "yes", "true", "1"}:
            return True
        if lowered in {"n", "no", "false", "0"}:
            return False
    return None


def text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def items(value: Any) -> list[str]:
    """A RESO multi-select value (list or comma-separated string) as clean strings."""
    if isinstance(value, str):
        parts: Sequence[Any] = value.split(",")
    elif isinstance(value, Sequence):
        parts = value
    else:
        return []
    cleaned = []
    for part in parts:
        word = text(part)
        if word and word.lower() not in {"none", "n/a", "other"}:
            cleaned.append(word)
    return cleaned


def feature_phrase(value: str) -> str:
    """ "Walk-In Closet(s)" -> "walk-in closets"; acronyms such as HVAC keep their case."""
    words = value.replace("(s)", "s").split()
    return " ".join(word if word.isupper() and len(word) > 1 else word.lower() for word in words)


def _half_up(value: float, places: int = 0) -> Decimal:
    # Python's round() rounds half to even (200.5 -> 200); figures read by people round half up.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def whole(value: float) -> str:
    return f"{_half_up(value):,}"


def money(value: float) -> str:
    return f"${_half_up(value):,}"


def money_per_sqft(value: float) -> str:
    """ "$245/sq ft", or "$245.50/sq ft" when the figure has cents."""
    cents = _half_up(value, 2)
    shown = f"{cents:,.0f}" if cents == cents.to_integral_value() else f"{cents:,.2f}"
    return f"${shown}/sq ft"


def count_word(value: float) -> str:
    rounded = round(value)
    return _SMALL_NUMBERS[rounded] if 0 <= rounded < len(_SMALL_NUMBERS) else f"{rounded:,}"


def plural(count: float, singular: str, plural_form: str | None = None) -> str:
    return singular if round(count) == 1 else (plural_form or f"{singular}s")


def join_words(words: Sequence[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return f"{', '.join(words[:-1])}, and {words[-1]}"


def stable_choice(seed: str, options: Sequence[str]) -> str:
    """The same listing always reads the same way; different listings vary."""
    digest = hashlib.sha256(seed.encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def subtype_noun(listing: Mapping[str, Any]) -> str:
    subtype = text(listing.get("PropertySubType"))
    if subtype:
        return _SUBTYPE_NOUNS.get(subtype.lower(), feature_phrase(subtype))
    property_type = text(listing.get("PropertyType"))
    if property_type and property_type.lower() == "land":
        return "parcel of land"
    return "home"


def place(listing: Mapping[str, Any]) -> str | None:
    """ "Austin, TX" (city and state), or whichever of them is known."""
    parts = [text(listing.get("City")), text(listing.get("StateOrProvince"))]
    known = [part for part in parts if part]
    return ", ".join(known) if known else None


def location_phrase(listing: Mapping[str, Any]) -> str | None:
    """ "in the Maple Ridge neighborhood of Austin, TX" — only the facts that are present."""
    subdivision = text(listing.get("SubdivisionName"))
    where = place(listing)
    if subdivision and where:
        return f"in the {subdivision} neighborhood of {where}"
    if subdivision:
        return f"in the {subdivision} neighborhood"
    if where:
        return f"in {where}"
    return None


def bedrooms(listing: Mapping[str, Any]) -> float | None:
    return positive(listing.get("BedroomsTotal"))


def bathrooms_phrase(listing: Mapping[str, Any]) -> str | None:
    full = positive(listing.get("BathroomsFull"))
    half = positive(listing.get("BathroomsHalf"))
    if full is not None and half is not None:
        return (
            f"{whole(full)} full {plural(full, 'bathroom')} and "
            f"{whole(half)} half {plural(half, 'bathroom')}"
        )
    total = positive(listing.get("BathroomsTotalInteger")) or full
    if total is not None:
        return f"{whole(total)} {plural(total, 'bathroom')}"
    return None


def bathrooms_count(listing: Mapping[str, Any]) -> str | None:
    """Compact count for summaries: "2.5" for 2 full + 1 half, else the total."""
    full = positive(listing.get("BathroomsFull"))
    half = positive(listing.get("BathroomsHalf"))
    if full is not None and half is not None:
        return f"{whole(full)}.5" if round(half) == 1 else f"{whole(full)}+{whole(half)}"
    total = positive(listing.get("BathroomsTotalInteger")) or full
    return whole(total) if total is not None else None


def living_area(listing: Mapping[str, Any]) -> float | None:
    return positive(listing.get("LivingArea"))


def lot_phrase(listing: Mapping[str, Any]) -> str | None:
    acres = positive(listing.get("LotSizeAcres"))
    if acres is not None:
        shown = f"{acres:.2f}".rstrip("0").rstrip(".")
        return f"{shown}-acre lot"
    square_feet = positive(listing.get("LotSizeSquareFeet"))
    if square_feet is not None:
        return f"{whole(square_feet)}-square-foot lot"
    return None


def year_built(listing: Mapping[str, Any]) -> int | None:
    year = number(listing.get("YearBuilt"))
    if year is None or not 1600 <= year <= 2200:
        return None
    return round(year)


def address(listing: Mapping[str, Any]) -> str | None:
    return text(listing.get("UnparsedAddress"))


def listing_label(listing: Mapping[str, Any]) -> str:
    """How a listing is named to a reader: its address, else its listing key."""
    return address(listing) or text(listing.get("ListingKey")) or "Unlisted property"


def key_of(listing: Mapping[str, Any]) -> str | None:
    key = listing.get("ListingKey")
    if isinstance(key, str | int) and not isinstance(key, bool) and str(key).strip():
        return str(key).strip()
    return None
