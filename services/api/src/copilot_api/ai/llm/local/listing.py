"""MLS-ready public remarks from RESO facts, without a model.

Every sentence is built from facts that are present; a sentence whose facts are missing is left
out rather than filled with generic praise. The text never describes people (who the home is
"perfect for"), only the property, so it passes the fair-housing review as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from copilot_api.ai.llm.local import facts
from copilot_api.ai.llm.local.draft import Draft, fit_sentences

DEFAULT_MAX_CHARS = 1000
_FEATURE_FIELDS = (
    "InteriorFeatures",
    "Appliances",
    "ExteriorFeatures",
    "PatioAndPorchFeatures",
    "Flooring",
)
_MAX_LISTED_FEATURES = 4
_OPENERS = ("Welcome to", "Discover", "Step inside")
_CLOSERS = (
    "Schedule a private showing today.",
    "Contact us to arrange a private tour.",
    "Book a showing to see it in person.",
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    priority: int  # lower is kept longer when the text must be shortened


def write_listing_description(context: Mapping[str, Any], options: Mapping[str, Any]) -> Draft:
    listing = context.get("listing")
    if not isinstance(listing, Mapping):
        raise ValueError("listing_description needs a `listing` object of RESO fields")
    limit = facts.positive(context.get("max_chars")) or facts.positive(options.get("max_chars"))
    max_chars = round(limit) if limit is not None else DEFAULT_MAX_CHARS
    style = str(options.get("style", "narrative"))
    highlights = _highlights(listing)
    if style == "highlights":
        sentences = _highlight_sentences(listing, highlights)
    else:
        sentences = _narrative_sentences(listing, highlights)
    text = fit_sentences([(s.text, s.priority) for s in sentences], max_chars)
    return Draft(
        text,
        {"remarks": text, "highlights": highlights, "character_count": len(text)},
    )


def _seed(listing: Mapping[str, Any]) -> str:
    return facts.key_of(listing) or facts.listing_label(listing)


def _narrative_sentences(listing: Mapping[str, Any], highlights: list[str]) -> list[_Sentence]:
    seed = _seed(listing)
    sentences = [_Sentence(_introduction(listing, seed), 0)]
    size = _size_sentence(listing)
    if size:
        sentences.append(_Sentence(size, 1))
    age = _age_and_lot_sentence(listing)
    if age:
        sentences.append(_Sentence(age, 3))
    if highlights:
        sentences.append(_Sentence(f"Highlights include {facts.join_words(highlights)}.", 2))
    dues = _association_sentence(listing)
    if dues:
        sentences.append(_Sentence(dues, 5))
    sentences.append(_Sentence(facts.stable_choice(seed + "/close", _CLOSERS), 4))
    return sentences


def _highlight_sentences(listing: Mapping[str, Any], highlights: list[str]) -> list[_Sentence]:
    seed = _seed(listing)
    stats = []
    beds = facts.bedrooms(listing)
    if beds is not None:
        stats.append(f"{facts.whole(beds)} BD")
    baths = facts.bathrooms_count(listing)
    if baths is not None:
        stats.append(f"{baths} BA")
    area = facts.living_area(listing)
    if area is not None:
        stats.append(f"{facts.whole(area)} SQ FT")
    year = facts.year_built(listing)
    if year is not None:
        stats.append(f"BUILT {year}")
    lot = facts.lot_phrase(listing)
    if lot:
        stats.append(lot.upper())
    noun = facts.subtype_noun(listing)
    where = facts.location_phrase(listing)
    headline = f"{noun[0].upper()}{noun[1:]} {where}." if where else f"{noun.capitalize()}."
    sentences = []
    if stats:
        sentences.append(_Sentence(" | ".join(stats) + ".", 0))
    sentences.append(_Sentence(headline, 1))
    if highlights:
        bare = [item.removeprefix("a ").removeprefix("an ") for item in highlights]
        capitalised = [f"{item[0].upper()}{item[1:]}" for item in bare]
        sentences.append(_Sentence("Features: " + "; ".join(capitalised) + ".", 2))
    dues = _association_sentence(listing)
    if dues:
        sentences.append(_Sentence(dues, 5))
    sentences.append(_Sentence(facts.stable_choice(seed + "/close", _CLOSERS), 4))
    return sentences


def _introduction(listing: Mapping[str, Any], seed: str) -> str:
    opener = facts.stable_choice(seed, _OPENERS)
    noun = facts.subtype_noun(listing)
    beds = facts.bedrooms(listing)
    described = f"{facts.whole(beds)}-bedroom {noun}" if beds is not None else noun
    where = facts.location_phrase(listing)
    return f"{opener} this {described} {where}." if where else f"{opener} this {described}."


def _size_sentence(listing: Mapping[str, Any]) -> str | None:
    baths = facts.bathrooms_phrase(listing)
    area = facts.living_area(listing)
    stories = facts.positive(listing.get("Stories"))
    if area is None:
        return f"The home offers {baths}." if baths else None
    space = f"{facts.whole(area)} square feet of living space"
    if stories is not None:
        space += (
            " on a single level"
            if round(stories) == 1
            else f" across {facts.count_word(stories)} stories"
        )
    return f"The home offers {space}, with {baths}." if baths else f"The home offers {space}."


def _age_and_lot_sentence(listing: Mapping[str, Any]) -> str | None:
    year = facts.year_built(listing)
    lot = facts.lot_phrase(listing)
    new = facts.flag(listing.get("NewConstructionYN"))
    if new and year is not None:
        built = f"New construction completed in {year}"
    elif new:
        built = "New construction"
    elif year is not None:
        built = f"Built in {year}"
    else:
        built = None
    if built and lot:
        return f"{built}, it sits on a {lot}."
    if built:
        return f"{built}."
    if lot:
        return f"It sits on a {lot}."
    return None


def _highlights(listing: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    garage = facts.positive(listing.get("GarageSpaces"))
    if garage is not None:
        found.append(f"a {facts.count_word(garage)}-car garage")
    elif facts.flag(listing.get("GarageYN")):
        found.append("a garage")
    if facts.flag(listing.get("PoolPrivateYN")):
        found.append("a private pool")
    if facts.flag(listing.get("WaterfrontYN")):
        found.append("a waterfront setting")
    fireplaces = facts.positive(listing.get("FireplacesTotal"))
    if fireplaces is not None:
        found.append(
            "a fireplace"
            if round(fireplaces) == 1
            else f"{facts.count_word(fireplaces)} fireplaces"
        )
    # Multi-select values joined with "/" so they read as one item of the list they join.
    for field, noun in (("Cooling", "cooling"), ("Heating", "heating"), ("View", "views")):
        values = facts.items(listing.get(field))
        if values:
            found.append(f"{'/'.join(facts.feature_phrase(v) for v in values)} {noun}")
    listed = 0
    for field in _FEATURE_FIELDS:
        for value in facts.items(listing.get(field)):
            if listed >= _MAX_LISTED_FEATURES:
                return found
            phrase = facts.feature_phrase(value)
            if phrase not in found:
                found.append(phrase)
                listed += 1
    return found


def _association_sentence(listing: Mapping[str, Any]) -> str | None:
    fee = facts.positive(listing.get("AssociationFee"))
    if fee is None:
        return None
    frequency = facts.text(listing.get("AssociationFeeFrequency"))
    period = f" {frequency.lower()}" if frequency else ""
    return f"Association dues are {facts.money(fee)}{period}."
