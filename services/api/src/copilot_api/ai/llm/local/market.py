"""A comparative market analysis narrative from computed statistics, every figure cited.

The writer computes no statistics: it states the figures it is given, each followed by the
numbered comparables it came from ("[1, 3–5]"), and lists those comparables with their own facts.
A figure citing a listing that is not among the comparables is an error, not a footnote.

Context:
    subject: RESO fields of the property being priced
    comparables: RESO fields of each comparable (ListingKey required; optional
        price_per_sqft and distance_miles)
    statistics: {name: {"value": number, "sources": [ListingKey, ...]} or number}; a bare
        number (or a figure without sources) is attributed to every comparable
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from copilot_api.ai.llm.local import facts
from copilot_api.ai.llm.local.draft import Draft

_PRICE_PER_SQFT = ("median_price_per_sqft", "mean_price_per_sqft")
_RANGE_PER_SQFT = ("min_price_per_sqft", "max_price_per_sqft")
_ESTIMATES = ("estimated_value", "implied_value")
_SUGGESTED = ("suggested_price_low", "suggested_price_high")
_KNOWN = frozenset(
    {*_PRICE_PER_SQFT, *_RANGE_PER_SQFT, *_ESTIMATES, *_SUGGESTED, "median_price", "count"}
)
_DISCLAIMER = (
    "Figures are derived only from the comparables cited; this is a comparative market "
    "analysis, not an appraisal."
)


@dataclass(frozen=True, slots=True)
class _Figure:
    name: str
    value: float
    refs: tuple[int, ...]
    keys: tuple[str, ...]


def write_market_analysis(context: Mapping[str, Any], options: Mapping[str, Any]) -> Draft:
    subject = context.get("subject")
    if not isinstance(subject, Mapping):
        raise ValueError("market_analysis needs a `subject` object of RESO fields")
    comparables = _comparables(context.get("comparables"))
    refs = {key: number for number, (key, _) in enumerate(comparables, start=1)}
    figures = _figures(context.get("statistics"), refs)
    brief = options.get("style") == "brief"

    parts = [_heading(subject)]
    if not comparables:
        parts.append(
            "No comparable listings matched this property, so no price figures can be given."
        )
        text = "\n\n".join(parts)
        return Draft(text, {"summary": text, "figures": [], "comparables": []})
    if not brief:
        parts.append(_comparable_list(comparables))
    findings = _findings(figures, subject)
    if findings:
        parts.append(" ".join(findings))
    parts.append(_DISCLAIMER)
    text = "\n\n".join(parts)
    data: dict[str, Any] = {
        "summary": text,
        "figures": [
            {
                "name": figure.name,
                "value": figure.value,
                "sources": list(figure.keys),
                "citations": list(figure.refs),
            }
            for figure in figures.values()
        ],
        "comparables": [
            {"ref": number, "ListingKey": key, "label": facts.listing_label(listing)}
            for number, (key, listing) in enumerate(comparables, start=1)
        ],
    }
    for name in _SUGGESTED:
        if name in figures:
            data[name] = figures[name].value
    return Draft(text, data)


def _comparables(value: Any) -> list[tuple[str, Mapping[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError("`comparables` must be a list of listings")
    found: list[tuple[str, Mapping[str, Any]]] = []
    for listing in value:
        key = facts.key_of(listing) if isinstance(listing, Mapping) else None
        if key is None:
            raise ValueError("every comparable needs a ListingKey")
        found.append((key, listing))
    return found


def _figures(value: Any, refs: Mapping[str, int]) -> dict[str, _Figure]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("`statistics` must be an object of figures")
    figures: dict[str, _Figure] = {}
    for name, raw in value.items():
        amount = facts.number(raw.get("value") if isinstance(raw, Mapping) else raw)
        if amount is None:
            continue
        sources = raw.get("sources") if isinstance(raw, Mapping) else None
        keys = tuple(str(key) for key in sources) if sources else tuple(refs)
        unknown = [key for key in keys if key not in refs]
        if unknown:
            raise ValueError(f"figure {name!r} cites listings that are not comparables: {unknown}")
        figures[str(name)] = _Figure(
            str(name), amount, tuple(sorted(refs[key] for key in keys)), keys
        )
    return figures


def _heading(subject: Mapping[str, Any]) -> str:
    noun = facts.subtype_noun(subject)
    beds = facts.bedrooms(subject)
    described = f"{facts.whole(beds)}-bedroom {noun}" if beds is not None else noun
    where = facts.address(subject)
    place = facts.place(subject)
    if where and place and place.split(",")[0] not in where:
        where = f"{where}, {place}"
    where = where or place
    details = []
    area = facts.living_area(subject)
    if area is not None:
        details.append(f"{facts.whole(area)} sq ft")
    year = facts.year_built(subject)
    if year is not None:
        details.append(f"built {year}")
    heading = f"Comparative market analysis for a {described}"
    if where:
        heading += f" at {where}"
    if details:
        heading += f" ({', '.join(details)})"
    return heading + "."


def _comparable_list(comparables: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    lines = ["Comparables, selected by location, size, bedrooms and age:"]
    for number, (_, listing) in enumerate(comparables, start=1):
        lines.append(f"[{number}] {_comparable_line(listing)}")
    return "\n".join(lines)


def _comparable_line(listing: Mapping[str, Any]) -> str:
    label = facts.listing_label(listing)
    place = facts.place(listing)
    if place and facts.address(listing) and place.split(",")[0] not in label:
        label = f"{label}, {place}"
    details = []
    close = facts.positive(listing.get("ClosePrice"))
    price = close or facts.positive(listing.get("ListPrice"))
    if price is not None:
        details.append(f"{'sold' if close else 'listed'} at {facts.money(price)}")
    area = facts.living_area(listing)
    if area is not None:
        per_sqft = facts.positive(listing.get("price_per_sqft"))
        if per_sqft is None and price is not None:
            per_sqft = price / area
        suffix = f" ({facts.money_per_sqft(per_sqft)})" if per_sqft is not None else ""
        details.append(f"{facts.whole(area)} sq ft{suffix}")
    beds = facts.bedrooms(listing)
    baths = facts.bathrooms_count(listing)
    if beds is not None or baths is not None:
        rooms = [f"{facts.whole(beds)} bd" if beds is not None else None]
        rooms.append(f"{baths} ba" if baths is not None else None)
        details.append(" / ".join(room for room in rooms if room))
    year = facts.year_built(listing)
    if year is not None:
        details.append(f"built {year}")
    distance = facts.number(listing.get("distance_miles"))
    if distance is not None:
        details.append(f"{distance:.1f} mi away")
    return f"{label} — {'; '.join(details)}." if details else f"{label}."


def _findings(figures: Mapping[str, _Figure], subject: Mapping[str, Any]) -> list[str]:
    sentences = []
    median = figures.get("median_price_per_sqft")
    low, high = (figures.get(name) for name in _RANGE_PER_SQFT)
    if median:
        sentence = (
            f"The median price per square foot among the comparables is "
            f"{_per_sqft(median)} {cite(median.refs)}"
        )
        if low and high:
            sentence += (
                f", ranging from {_per_sqft(low)} {cite(low.refs)} "
                f"to {_per_sqft(high)} {cite(high.refs)}"
            )
        sentences.append(sentence + ".")
    elif low and high:
        sentences.append(
            f"Prices per square foot range from {_per_sqft(low)} {cite(low.refs)} "
            f"to {_per_sqft(high)} {cite(high.refs)}."
        )
    mean = figures.get("mean_price_per_sqft")
    if mean:
        sentences.append(f"The mean is {_per_sqft(mean)} {cite(mean.refs)}.")
    median_price = figures.get("median_price")
    if median_price:
        sentences.append(
            f"The median comparable price is {facts.money(median_price.value)} "
            f"{cite(median_price.refs)}."
        )
    estimate = figures.get("estimated_value") or figures.get("implied_value")
    if estimate:
        area = facts.living_area(subject)
        basis = f"Applied to the subject's {facts.whole(area)} square feet, t" if area else "T"
        sentences.append(
            f"{basis}he comparables imply a value of about {facts.money(estimate.value)} "
            f"{cite(estimate.refs)}."
        )
    suggested_low, suggested_high = (figures.get(name) for name in _SUGGESTED)
    if suggested_low and suggested_high:
        refs = tuple(sorted(set(suggested_low.refs) | set(suggested_high.refs)))
        sentences.append(
            f"Suggested list price range: {facts.money(suggested_low.value)} to "
            f"{facts.money(suggested_high.value)} {cite(refs)}."
        )
    for name, figure in figures.items():
        if name not in _KNOWN:
            sentences.append(f"{_label(name)}: {_generic(name, figure.value)} {cite(figure.refs)}.")
    return sentences


def cite(refs: Sequence[int]) -> str:
    """[1, 2, 3, 5] -> "[1–3, 5]": compact, and every number maps to a listed comparable."""
    ordered = sorted(set(refs))
    spans: list[str] = []
    start = previous = ordered[0] if ordered else 0
    for ref in [*ordered[1:], None]:
        if ref is not None and ref == previous + 1:
            previous = ref
            continue
        spans.append(str(start) if start == previous else f"{start}–{previous}")
        if ref is not None:
            start = previous = ref
    return f"[{', '.join(spans)}]" if ordered else "[]"


def _per_sqft(figure: _Figure) -> str:
    return facts.money_per_sqft(figure.value)


def _label(name: str) -> str:
    words = name.replace("_", " ").replace("sqft", "square foot").strip()
    return words[:1].upper() + words[1:]


def _generic(name: str, value: float) -> str:
    if "per_sqft" in name:
        return facts.money_per_sqft(value)
    if "price" in name or "value" in name:
        return facts.money(value)
    return f"{value:,.2f}".rstrip("0").rstrip(".")
