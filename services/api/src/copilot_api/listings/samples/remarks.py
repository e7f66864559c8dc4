"""Public remarks for the sample listings: slot-filled sentences drawn from large phrase pools,
so that (like real MLS remarks) no two listings read alike and the facts agree with the fields."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class RemarkFacts:
    subtype: str
    beds: int
    full_baths: int
    half_baths: int
    garage_spaces: int
    pool: bool
    waterfront: bool
    water_name: str
    fireplaces: int
    central_air: bool
    new_construction: bool
    stories: int
    lot_acres: float | None
    place: str
    local_touches: tuple[str, ...]
    year_built: int


_OPENERS: Final = (
    "Welcome home to this",
    "Don't miss this",
    "Step inside this",
    "Meet this",
    "Discover this",
    "Fall in love with this",
    "Sunlight pours through this",
    "Presenting this",
    "Introducing this",
    "Come home to this",
    "You'll love this",
    "Here is your chance to own this",
    "Check out this",
    "Tucked away on a tree-lined street, this",
    "Just listed:",
    "Pride of ownership shows in this",
)
_ADJECTIVES: Final = (
    "charming",
    "beautifully updated",
    "spacious",
    "move-in ready",
    "light-filled",
    "well-maintained",
    "modern",
    "classic",
    "cozy",
    "thoughtfully renovated",
    "stylish",
    "meticulously kept",
    "sun-drenched",
    "inviting",
    "freshly painted",
    "airy",
    "elegant",
    "renovated",
    "turnkey",
    "quaint",
    "sleek",
    "warm and welcoming",
    "versatile",
    "solid",
)
_NOUNS: Final = {
    "Single Family Residence": ("home", "house", "single-family home", "residence", "bungalow"),
    "Condominium": ("condo", "condominium", "flat", "unit"),
    "Townhouse": ("townhome", "townhouse", "row home"),
    "Duplex": ("duplex", "two-unit property", "side-by-side duplex"),
    "Manufactured Home": ("manufactured home", "mobile home"),
}
_COUNTERS: Final = (
    "quartz",
    "granite",
    "butcher-block",
    "marble",
    "concrete",
    "soapstone",
    "solid-surface",
    "quartzite",
    "laminate",
)
_CABINETS: Final = (
    "white shaker",
    "custom cherry",
    "two-tone",
    "soft-close maple",
    "navy blue",
    "oak",
    "flat-panel walnut",
    "painted gray",
    "glass-front",
)
_KITCHEN_EXTRAS: Final = (
    "stainless steel appliances",
    "a gas range",
    "a farmhouse sink",
    "a walk-in pantry",
    "a breakfast bar",
    "double ovens",
    "a subway tile backsplash",
    "a large center island",
    "an eat-in dining nook",
    "a wine fridge",
    "pendant lighting",
    "a coffee bar",
)
_KITCHEN_TEMPLATES: Final = (
    "The {adj} kitchen features {counter} counters, {cabinet} cabinets and {extra}.",
    "Cook in a kitchen with {counter} countertops, {extra} and {extra2}.",
    "The kitchen was remodeled in {year} with {cabinet} cabinetry and {extra}.",
    "A {adj} kitchen offers {extra}, {extra2} and {counter} surfaces.",
)
_KITCHEN_ADJECTIVES: Final = ("updated", "chef's", "open", "renovated", "bright", "gourmet")
_FLOORS: Final = (
    "refinished hardwood",
    "white oak",
    "luxury vinyl plank",
    "heated tile",
    "wide-plank pine",
    "new carpet",
    "polished concrete",
    "bamboo",
    "original oak",
    "engineered hardwood",
)
_FOCAL: Final = (
    "a wall of windows",
    "built-in bookshelves",
    "a bay window",
    "exposed beams",
    "vaulted ceilings",
    "a coffered ceiling",
    "French doors to the patio",
    "skylights",
    "a reading nook",
    "crown molding",
)
_SUITES: Final = (
    "a walk-in closet",
    "a soaking tub",
    "dual vanities",
    "a private balcony",
    "a tiled walk-in shower",
    "vaulted ceilings",
    "a sitting area",
    "a spa-like bath",
)
_BONUS: Final = (
    "a finished basement with a rec room",
    "a dedicated home office",
    "an upstairs loft",
    "a mudroom with built-in lockers",
    "a four-season sunroom",
    "a media room",
    "a den",
    "a workshop",
    "a guest suite",
    "a main-floor laundry room",
    "a flex room",
    "a home gym",
    "a wet bar",
    "a craft room",
    "an attic bonus room",
)
_UPDATES: Final = (
    "a new roof",
    "a high-efficiency furnace",
    "new windows",
    "a tankless water heater",
    "new siding",
    "fresh exterior paint",
    "updated electrical",
    "a new HVAC system",
    "solar panels",
    "a new water heater",
    "new gutters",
    "a radon mitigation system",
)
_OUTDOOR: Final = (
    "a fenced backyard",
    "a stone patio",
    "a cedar deck",
    "a fire pit",
    "raised garden beds",
    "fruit trees",
    "a playset",
    "a storage shed",
    "a hot tub",
    "a pergola",
    "a koi pond",
    "an irrigation system",
    "mature shade trees",
    "a covered front porch",
    "a screened porch",
    "a dog run",
    "a private courtyard",
    "low-maintenance landscaping",
    "a greenhouse",
)
_LOCATION: Final = (
    "near top-rated schools",
    "close to parks and playgrounds",
    "with easy highway access",
    "steps from coffee shops",
    "on a quiet cul-de-sac",
    "near the library",
    "close to shopping",
    "near bike paths",
    "a short walk to restaurants",
    "close to the hospital",
    "near public transit",
    "across from a park",
)
_CLOSERS: Final = (
    "Schedule your showing today!",
    "This one will not last long.",
    "Come see it this weekend.",
    "A must-see!",
    "Priced to sell.",
    "Make it yours today.",
    "Welcome home.",
    "Book a tour before it's gone.",
    "Bring your buyers!",
    "Open house Saturday.",
    "Truly a gem.",
    "See it today.",
)


def remarks(rng: random.Random, facts: RemarkFacts) -> str:
    noun = rng.choice(_NOUNS.get(facts.subtype, ("home",)))
    baths = f"{facts.full_baths}.5" if facts.half_baths else str(facts.full_baths)
    rooms = "studio" if facts.beds == 0 else f"{facts.beds}-bedroom, {baths}-bath"
    opener = f"{rng.choice(_OPENERS)} {rng.choice(_ADJECTIVES)} {rooms} {noun} in {facts.place}."
    middle = [_kitchen(rng, facts), *_interior(rng), *_features(rng, facts)]
    if rng.random() < 0.5:
        update = rng.sample(_UPDATES, 2)
        year = rng.randint(max(facts.year_built, 2010), 2025)
        middle.append(f"Recent updates include {update[0]} ({year}) and {update[1]}.")
    outdoor = rng.sample(_OUTDOOR, 2)
    middle.append(
        f"Outside you'll find {outdoor[0]} and {outdoor[1]}, {rng.choice(facts.local_touches)}."
    )
    if rng.random() < 0.6:
        middle.append(f"The location is {rng.choice(_LOCATION)}.")
    rng.shuffle(middle)
    return " ".join([opener, *middle, rng.choice(_CLOSERS)])


def _kitchen(rng: random.Random, facts: RemarkFacts) -> str:
    extra, extra2 = rng.sample(_KITCHEN_EXTRAS, 2)
    return rng.choice(_KITCHEN_TEMPLATES).format(
        adj=rng.choice(_KITCHEN_ADJECTIVES),
        counter=rng.choice(_COUNTERS),
        cabinet=rng.choice(_CABINETS),
        extra=extra,
        extra2=extra2,
        year=rng.randint(max(facts.year_built, 2005), 2025),
    )


def _interior(rng: random.Random) -> list[str]:
    sentences = [
        f"{rng.choice(_FLOORS).capitalize()} floors run through the living areas, "
        f"with {rng.choice(_FOCAL)} in the living room."
    ]
    if rng.random() < 0.6:
        sentences.append(f"The primary suite offers {' and '.join(rng.sample(_SUITES, 2))}.")
    if rng.random() < 0.55:
        sentences.append(f"Bonus: {rng.choice(_BONUS)}.")
    return sentences


def _features(rng: random.Random, facts: RemarkFacts) -> list[str]:
    sentences = []
    if facts.new_construction:
        sentences.append(
            rng.choice(
                (
                    "Brand-new construction with a builder warranty.",
                    "New construction, never lived in, with energy-efficient systems.",
                    "Newly built by a local builder; move in this season.",
                )
            )
        )
    if facts.stories == 1 and facts.subtype != "Condominium":
        sentences.append(
            rng.choice(("Single-level living with no stairs.", "Everything is on one level."))
        )
    if facts.garage_spaces:
        sentences.append(
            rng.choice(
                (
                    f"Attached {facts.garage_spaces}-car garage.",
                    f"The {facts.garage_spaces}-car garage has room for a workbench.",
                    f"Park in the {facts.garage_spaces}-stall garage.",
                )
            )
        )
    if facts.pool:
        sentences.append(
            rng.choice(
                (
                    "Sparkling in-ground pool.",
                    "Private heated pool with a sunny deck.",
                    "Cool off in the saltwater pool.",
                )
            )
        )
    if facts.waterfront:
        sentences.append(
            rng.choice(
                (
                    f"Rare waterfront setting on {facts.water_name} with a private dock.",
                    f"Enjoy water views and frontage on {facts.water_name}.",
                )
            )
        )
    if facts.fireplaces:
        sentences.append(
            rng.choice(
                (
                    "Gather around the wood-burning fireplace.",
                    "A gas fireplace warms the family room.",
                    "Curl up by the stone fireplace.",
                )
            )
        )
    if facts.central_air:
        sentences.append(rng.choice(("Central air.", "Central A/C keeps summers comfortable.")))
    if facts.lot_acres is not None and facts.lot_acres >= 1:
        sentences.append(f"Sits on {facts.lot_acres:g} acres with room to roam.")
    return sentences
