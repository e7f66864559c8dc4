"""A client follow-up email from the session's search criteria and the listings the agent chose.

Context:
    client_name, agent_name: optional names for the greeting and signature
    filters: the session's current search filters ({"field", "op", "value"})
    query: optional, the client's last request in their own words
    listings: RESO fields of the chosen listings (agent-only fields are never read)
    next_step: optional sentence from the agent (e.g. "I'm free for showings on Saturday.")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from copilot_api.ai.llm.local import facts
from copilot_api.ai.llm.local.draft import Draft

_LOCATION_FIELDS = {
    "City": "in {}",
    "SubdivisionName": "in {}",
    "CountyOrParish": "in {} County",
    "PostalCode": "in ZIP code {}",
    "StateOrProvince": "in {}",
}
_FLAG_FEATURES = {
    "PoolPrivateYN": "a private pool",
    "GarageYN": "a garage",
    "WaterfrontYN": "a waterfront setting",
    "FireplaceYN": "a fireplace",
    "NewConstructionYN": "new construction",
}
_COUNT_FEATURES = {
    "BedroomsTotal": "bedroom",
    "BathroomsTotalInteger": "bathroom",
    "GarageSpaces": "garage space",
    "FireplacesTotal": "fireplace",
}


@dataclass(slots=True)
class _Criteria:
    kind: str | None = None
    features: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    price_from: float | None = None
    price_to: float | None = None
    other: list[str] = field(default_factory=list)

    def sentence(self) -> str | None:
        if not (self.kind or self.features or self.places or self.other) and not (
            self.price_from or self.price_to
        ):
            return None
        text = self.kind or "a home"
        if self.features:
            text += f" with {facts.join_words(self.features)}"
        if self.places:
            text += " " + " or ".join(self.places)
        price = self._price()
        extras = [part for part in [price, *self.other] if part]
        if extras:
            text += ", " + ", ".join(extras)
        return f"You're looking for {text}."

    def _price(self) -> str | None:
        if self.price_from and self.price_to:
            return f"between {facts.money(self.price_from)} and {facts.money(self.price_to)}"
        if self.price_to:
            return f"up to {facts.money(self.price_to)}"
        if self.price_from:
            return f"from {facts.money(self.price_from)}"
        return None


def write_client_followup(context: Mapping[str, Any], options: Mapping[str, Any]) -> Draft:
    listings = _listings(context.get("listings"))
    criteria = _criteria(context.get("filters"))
    client = facts.text(context.get("client_name"))
    agent = facts.text(context.get("agent_name")) or "Your agent"
    concise = options.get("style") == "concise"

    subject = _subject(listings)
    paragraphs = [f"Hi {client}," if client else "Hello,"]
    opening = [] if concise else ["Thank you for talking with me about your home search."]
    recap = criteria.sentence()
    query = facts.text(context.get("query"))
    if recap:
        opening.append(recap)
    elif query:
        opening.append(f"You asked about “{query}”.")
    if listings:
        count = len(listings)
        opening.append(
            "Here is the listing I picked out for you:"
            if count == 1
            else f"Here are the {facts.count_word(count)} listings I picked out for you:"
        )
    else:
        opening.append(
            "I haven't found a listing that fits yet, and I'm watching for new ones that match."
        )
    paragraphs.append(" ".join(opening))
    if listings:
        paragraphs.append(
            "\n".join(
                f"{number}. {_listing_line(listing)}"
                for number, listing in enumerate(listings, start=1)
            )
        )
    closing = facts.text(context.get("next_step"))
    if not closing:
        closing = (
            "Would you like to see any of these in person? Reply with the times that suit you."
            if concise
            else "Would you like to see any of these in person? I can arrange showings at times "
            "that suit you, and I'll let you know as soon as new listings match your search."
        )
    paragraphs.append(closing)
    paragraphs.append(f"Best regards,\n{agent}")
    body = "\n\n".join(paragraphs)
    text = f"Subject: {subject}\n\n{body}"
    return Draft(
        text,
        {
            "subject": subject,
            "body": body,
            "listing_keys": [key for key in (facts.key_of(item) for item in listings) if key],
        },
    )


def _listings(value: Any) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError("`listings` must be a list of listings")
    chosen = [listing for listing in value if isinstance(listing, Mapping)]
    if len(chosen) != len(value):
        raise ValueError("every chosen listing must be an object of RESO fields")
    return chosen


def _subject(listings: Sequence[Mapping[str, Any]]) -> str:
    cities = {city for city in (facts.text(item.get("City")) for item in listings) if city}
    where = f" in {cities.pop()}" if len(cities) == 1 else ""
    if not listings:
        return "Your home search: an update"
    if len(listings) == 1:
        return f"A home that fits your search{where}"
    return f"{len(listings)} homes that fit your search{where}"


def _listing_line(listing: Mapping[str, Any]) -> str:
    label = facts.listing_label(listing)
    place = facts.place(listing)
    if place and facts.address(listing) and place.split(",")[0] not in label:
        label = f"{label}, {place}"
    details = []
    price = facts.positive(listing.get("ListPrice"))
    if price is not None:
        details.append(facts.money(price))
    beds = facts.bedrooms(listing)
    baths = facts.bathrooms_count(listing)
    rooms = [f"{facts.whole(beds)} bd" if beds is not None else "", f"{baths} ba" if baths else ""]
    if any(rooms):
        details.append(" / ".join(room for room in rooms if room))
    area = facts.living_area(listing)
    if area is not None:
        details.append(f"{facts.whole(area)} sq ft")
    year = facts.year_built(listing)
    if year is not None:
        details.append(f"built {year}")
    extras = [phrase for name, phrase in _FLAG_FEATURES.items() if facts.flag(listing.get(name))]
    garage = facts.positive(listing.get("GarageSpaces"))
    if garage is not None:
        extras = [e for e in extras if e != "a garage"] + [f"{facts.count_word(garage)}-car garage"]
    if extras:
        details.append(", ".join(extra.removeprefix("a ") for extra in extras))
    return f"{label} — {' · '.join(details)}" if details else label


def _criteria(value: Any) -> _Criteria:
    criteria = _Criteria()
    if not isinstance(value, Sequence) or isinstance(value, str):
        return criteria
    for entry in value:
        if isinstance(entry, Mapping):
            _apply(criteria, str(entry.get("field")), str(entry.get("op")), entry.get("value"))
    return criteria


def _apply(criteria: _Criteria, name: str, op: str, value: Any) -> None:
    values = value if isinstance(value, list) else [value]
    words = [str(v) for v in values if v is not None and str(v).strip()]
    if not words:
        return
    if name in {"PropertySubType", "PropertyType"}:
        kinds = " or ".join(facts.subtype_noun({name: word}) for word in words)
        criteria.kind = f"{'an' if kinds[0] in 'aeiou' else 'a'} {kinds}"
    elif name in _LOCATION_FIELDS:
        criteria.places.append(_LOCATION_FIELDS[name].format(" or ".join(words)))
    elif name == "ListPrice":
        _apply_price(criteria, op, facts.positive(values[0]))
    elif name in _FLAG_FEATURES:
        if facts.flag(values[0]):
            criteria.features.append(_FLAG_FEATURES[name])
    elif name in _COUNT_FEATURES or name in {"LivingArea", "YearBuilt"}:
        phrase = _bound_phrase(name, op, facts.positive(values[0]))
        if phrase:
            (criteria.other if name == "YearBuilt" else criteria.features).append(phrase)
    elif op == "contains":
        criteria.features.append(" or ".join(f"“{word}”" for word in words) + " in the description")


def _apply_price(criteria: _Criteria, op: str, amount: float | None) -> None:
    if amount is not None and op == "lte":
        criteria.price_to = amount
    elif amount is not None and op == "gte":
        criteria.price_from = amount


def _bound_phrase(name: str, op: str, amount: float | None) -> str | None:
    """ "3+ bedrooms", "up to 2 bathrooms", "at least 1,800 sq ft", "built in 2000 or later"."""
    if amount is None:
        return None
    if name == "LivingArea":
        bound = {"gte": "at least", "lte": "up to"}.get(op, "about")
        return f"{bound} {facts.whole(amount)} sq ft"
    if name == "YearBuilt":
        side = {"gte": " or later", "lte": " or earlier"}.get(op, "")
        return f"built in {round(amount)}{side}"
    noun = _COUNT_FEATURES[name]
    if op == "gte":
        return f"{facts.whole(amount)}+ {noun}s"
    prefix = "up to " if op == "lte" else ""
    return f"{prefix}{facts.whole(amount)} {facts.plural(amount, noun)}"
