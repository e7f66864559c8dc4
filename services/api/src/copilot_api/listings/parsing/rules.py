"""The deterministic rule parser: natural language to DESIGN.md filters plus a semantic remainder.

Rules run in a fixed order over the lower-cased query; each match consumes its span so later
rules cannot reuse it (places first, so "Five Points" is a neighbourhood, not a count; units
before prices, so "2,000 sq ft" is an area). What no rule consumed, minus filler words, is the
semantic part of the query. How ambiguous phrasings are read is documented in the README
("Property search") and pinned by the parser table in tests/unit/listings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final

from copilot_api.listings.fields import FULL_AND_HALF_BATHS, Op
from copilot_api.listings.filters import Filter
from copilot_api.listings.parsing import patterns as p
from copilot_api.listings.parsing.model import ParsedQuery
from copilot_api.listings.sorting import Sort
from copilot_api.listings.vocabulary import US_STATES, Vocabulary

_MASK: Final = "\x00"
PRICE_AROUND_TOLERANCE: Final = 0.10  # "around $400k" = 360k..440k

SINGLE_FAMILY: Final = "Single Family Residence"
SUBTYPE_WORDS: Final = (
    ("Townhouse", r"town[- ]?(?:house|home)s?|row[- ]?(?:house|home)s?"),
    ("Condominium", r"condo(?:minium)?s?|apartments?|flats?"),
    ("Duplex", r"duplex(?:es)?"),
    ("Triplex", r"triplex(?:es)?"),
    ("Quadruplex", r"fourplex(?:es)?|quadplex(?:es)?|quadruplex(?:es)?"),
    ("Manufactured Home", r"(?:manufactured|mobile)\s+homes?"),
    (
        SINGLE_FAMILY,
        r"single[- ]family(?:\s+(?:homes?|houses?|residences?))?|sfr|sfh|"
        r"detached\s+(?:homes?|houses?)|houses?",
    ),
)
_NEGATION: Final = (
    r"(?<!\w)(?:no|not|without|w/o|except|excluding|but\s+not|anything\s+but|non)"
    r"(?:\s+an?)?[\s-]+"
)
# "HOA-free", "pool free": the negation after the word.
_FREE: Final = r"[- ]?free\b"
PRE_WAR_LAST_YEAR: Final = 1939  # "pre-war": built before the Second World War
POST_WAR_FIRST_YEAR: Final = 1945

# Words that carry no meaning once the filters are taken out of the query.
FILLER_WORDS: Final = frozenset(
    {
        "a", "an", "and", "or", "the", "in", "with", "w", "for", "that", "has", "have",
        "having", "which", "of", "at", "on", "to", "near", "around", "me", "show", "find",
        "looking", "look", "i", "im", "i'm", "want", "need", "needs", "some", "any", "please",
        "homes", "home", "listings", "listing", "properties", "property", "sale", "buy",
        "buying", "priced", "price", "budget", "under", "over", "between", "from", "within",
        "up", "is", "are", "it", "its", "something", "place", "places",
    }
)  # fmt: skip


@dataclass(slots=True)
class _Context:
    vocabulary: Vocabulary
    year: int


@dataclass(slots=True)
class _Found:
    start: int
    filters: list[Filter]


@dataclass(slots=True)
class _Text:
    """The query, lower-cased at equal length, with the spans rules have consumed masked."""

    original: str
    view: str = ""
    removed: list[bool] = field(default_factory=list)  # consumed and dropped from semantics

    def __post_init__(self) -> None:
        self.view = "".join(c.lower() if len(c.lower()) == 1 else c for c in self.original)
        self.removed = [False] * len(self.original)

    def consume(self, start: int, end: int, *, keep_words: bool = False) -> None:
        self.view = self.view[:start] + _MASK * (end - start) + self.view[end:]
        if not keep_words:
            self.removed[start:end] = [True] * (end - start)

    def remainder(self) -> tuple[str, list[str]]:
        """The semantic text, and the filler words left out of it."""
        kept = "".join(
            " " if gone else char for char, gone in zip(self.original, self.removed, strict=True)
        )
        words = re.findall(r"[^\W_](?:[\w'’&/-]*[^\W_])?|&", kept)
        semantic = [word for word in words if word.lower() not in FILLER_WORDS]
        ignored = [word for word in words if word.lower() in FILLER_WORDS]
        return " ".join(semantic), list(dict.fromkeys(word.lower() for word in ignored))


Handler = Callable[[re.Match[str], _Context], list[Filter] | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    handler: Handler
    keep_words: bool = False  # block the span from later rules but keep it as semantic text


def _rule(pattern: str, handler: Handler, *, keep_words: bool = False) -> _Rule:
    return _Rule(re.compile(pattern), handler, keep_words)


def _f(
    field_name: str, op: Op, value: bool | int | float | str | list[str] | list[int | float]
) -> Filter:
    return Filter(field_name, op, value)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def _constant(*filters: Filter) -> Handler:
    def handle(_: re.Match[str], __: _Context) -> list[Filter]:
        return list(filters)

    return handle


def _nothing(_: re.Match[str], __: _Context) -> list[Filter]:
    return []


# --- quantities ("3+ beds", "under 2,000 sq ft", "1-2 acres") --------------------------------

Emit = Callable[[str, float, float | None], list[Filter]]


def _quantity_rules(
    unit: str,
    number: Callable[[str], str],
    read: Callable[[str], float],
    emit: Emit,
    *,
    step: float,
    default: str = "gte",
    tail: str = "",
    discrete: bool = False,
) -> list[_Rule]:
    """Range, comparator-before, plus, comparator-after and plain forms of one quantity (and,
    for `discrete` counts, "3 or 4" as either value).
    `step` turns strict comparisons into inclusive ones: "more than 2 beds" is at least 3
    (step 1), "more than 2 baths" at least 2.5 (step 0.5); areas, acres use step 0."""

    def handle(match: re.Match[str], _: _Context) -> list[Filter] | None:
        groups = match.groupdict()
        first = read(groups["a"])
        if groups.get("either") is not None:  # "3 or 4 bedrooms": either count, not a range
            return emit("in", first, read(groups["either"]))
        if groups.get("b") is not None:
            second = read(groups["b"])
            low, high = sorted((first, second))
            return emit("range", low, high)
        op = default
        for name, meaning in (("gte", "gte"), ("gte_after", "gte"), ("plus", "gte"),
                              ("lte", "lte"), ("lte_after", "lte"), ("eq", "eq"),
                              ("eq_after", "eq"), ("gt", "gt"), ("lt", "lt")):  # fmt: skip
            if groups.get(name):
                op = meaning
                break
        if op == "gt":
            return emit("gte", first + step, None)
        if op == "lt":
            return emit("lte", first - step, None)
        return emit(op, first, None)

    joined = rf"\s*-?\s*{unit}{tail}"
    either = (
        [_rule(rf"{number('a')}\s+or\s+{number('either')}{joined}", handle)] if discrete else []
    )
    return [
        *either,
        _rule(rf"(?:between\s+|from\s+)?{number('a')}{p.RANGE_JOIN}{number('b')}{joined}", handle),
        _rule(rf"(?<!\w){p.COMPARATOR_BEFORE}\s*{number('a')}\s*\+?{joined}", handle),
        _rule(rf"{number('a')}\s*(?P<plus>\+){joined}", handle),
        _rule(rf"{number('a')}{joined}\s*{p.COMPARATOR_AFTER}", handle),
        _rule(rf"{number('a')}\s*{p.COMPARATOR_AFTER}{joined}", handle),
        _rule(rf"{number('a')}{joined}", handle),
    ]


def _counted(unit: str, emit: Emit, *, step: float = 1, default: str = "gte") -> list[_Rule]:
    return _quantity_rules(
        unit, p.count, p.read_count, emit, step=step, default=default, discrete=True
    )


def _bounds(field_name: str, op: str, low: float, high: float | None) -> list[Filter]:
    if op in ("range", "in"):
        assert high is not None
        if op == "in":
            return [_f(field_name, Op.IN, _unique_numbers(low, high))]
        return [_f(field_name, Op.GTE, _number(low)), _f(field_name, Op.LTE, _number(high))]
    return [_f(field_name, Op(op), _number(low))]


def _unique_numbers(*values: float) -> list[int | float]:
    return list(dict.fromkeys(_number(value) for value in values))


def _counts(field_name: str, *, halves: bool = False) -> Emit:
    """Whole counts (beds, garage spaces); with `halves`, also N.5 (stories: "1.5 story")."""

    step = 0.5 if halves else 1.0

    def emit(op: str, low: float, high: float | None) -> list[Filter]:
        if any(v is not None and not float(v / step).is_integer() for v in (low, high)):
            return []
        return _bounds(field_name, op, max(low, 0), high)

    return emit


def _baths(op: str, low: float, high: float | None) -> list[Filter]:
    """Baths as agents write them. A half ("2.5") counts full + half / 2 (the derived
    BathroomsFullAndHalf), so two full and a half bath meet "2.5 baths" and three full baths do
    too. Whole counts are full baths: at least N -> N full; at most N -> N in total; exactly
    N -> N full and no half ("exactly 2.5" -> 2 full and 1 half); "2 or 3" -> either."""
    if op == "range":
        assert high is not None
        return _baths("gte", low, None) + _baths("lte", high, None)
    whole, half = math.floor(low), not float(low).is_integer()
    if op == "in":
        assert high is not None
        mixed = half or not float(high).is_integer()
        return [_f(FULL_AND_HALF_BATHS if mixed else "BathroomsFull", Op.IN,
                   _unique_numbers(low, high))]  # fmt: skip
    if op in ("gte", "lte") and half:
        return [_f(FULL_AND_HALF_BATHS, Op(op), _number(low))]
    if op == "gte":
        return [_f("BathroomsFull", Op.GTE, whole)]
    if op == "lte":
        return [_f("BathroomsTotalInteger", Op.LTE, whole)]
    return [_f("BathroomsFull", Op.EQ, whole), _f("BathroomsHalf", Op.EQ, 1 if half else 0)]


def _area(op: str, low: float, high: float | None) -> list[Filter]:
    return _bounds("LivingArea", op, low, high)


def _lot_square_feet(op: str, low: float, high: float | None) -> list[Filter]:
    return _bounds("LotSizeSquareFeet", op, low, high)


def _acres(op: str, low: float, high: float | None) -> list[Filter]:
    return _bounds("LotSizeAcres", op, low, high)


# --- prices ----------------------------------------------------------------------------------


def _price_range(match: re.Match[str], _: _Context) -> list[Filter] | None:
    first, second = p.Money(match["a"]), p.Money(match["b"])
    if not (first.explicit or second.explicit or match["between"]):
        return None  # "2000-2010" alone is not a price range
    high = second.as_price(price_context=True)
    if first.explicit or second.suffix is None:
        low = first.as_price(price_context=True)
    else:
        low = first.scaled_like(second)  # "300-400k"
    if low is None or high is None or low < 1_000:
        return None
    low, high = sorted((low, high))
    return [_f("ListPrice", Op.GTE, _number(low)), _f("ListPrice", Op.LTE, _number(high))]


def _price_bound(match: re.Match[str], _: _Context) -> list[Filter] | None:
    groups = match.groupdict()
    amount = p.Money(groups["a"]).as_price(price_context=True)
    if amount is None:
        return None
    if groups.get("gte") or groups.get("gt") or groups.get("gte_after"):
        return [_f("ListPrice", Op.GTE, _number(amount))]
    if groups.get("around"):
        return [
            _f("ListPrice", Op.GTE, _number(round(amount * (1 - PRICE_AROUND_TOLERANCE)))),
            _f("ListPrice", Op.LTE, _number(round(amount * (1 + PRICE_AROUND_TOLERANCE)))),
        ]
    return [_f("ListPrice", Op.LTE, _number(amount))]


def _bare_price(match: re.Match[str], _: _Context) -> list[Filter] | None:
    """A lone amount ("450,000", "$300k") is a budget: the most the client will pay."""
    money = p.Money(match["a"])
    amount = money.as_price(price_context=False)
    if amount is None:
        return None
    return [_f("ListPrice", Op.LTE, _number(amount))]


def _price_hundreds(match: re.Match[str], _: _Context) -> list[Filter]:
    """ "in the 400s" = 400k-500k; "low/mid/high 400s" = the first/middle/last third."""
    base = int(match["h"]) * 1_000
    part = (match["part"] or "").lower()
    thirds = {"low": 0, "lower": 0, "mid": 1, "middle": 1, "high": 2, "upper": 2}
    if part in thirds:
        low = base + thirds[part] * 33_000
        high = base + 100_000 if thirds[part] == 2 else low + 33_000
    else:
        low, high = base, base + 100_000
    return [_f("ListPrice", Op.GTE, low), _f("ListPrice", Op.LTE, high)]


_PRICE_RULES: Final = (
    _rule(r"\bprice\s+range(?:\s+of)?\b", _nothing),
    _rule(
        r"(?<![\w$])(?:the\s+)?(?:(?P<part>low|lower|mid|middle|high|upper)[- ]?)?"
        r"\$?(?P<h>[1-9]\d{2})k?'?s\b",
        _price_hundreds,
    ),
    _rule(
        rf"(?:(?P<between>between)\s+|from\s+)?{p.money('a')}{p.RANGE_JOIN}{p.money('b')}",
        _price_range,
    ),
    _rule(rf"(?<!\w){p.COMPARATOR_BEFORE}\s*(?:of\s+)?{p.money('a')}", _price_bound),
    _rule(
        rf"(?<!\w)(?P<around>around|about|approximately|approx\.?|roughly|~|close\s+to)\s*"
        rf"{p.money('a')}",
        _price_bound,
    ),
    _rule(rf"{p.money('a')}\s*{p.COMPARATOR_AFTER}", _price_bound),
    _rule(p.money("a"), _bare_price),
)


# --- year built, new construction ------------------------------------------------------------


def _year_rules() -> list[_Rule]:
    built = r"(?:built|constructed|year\s+built|built\s+in)"

    def after(match: re.Match[str], _: _Context) -> list[Filter]:
        year = int(match["year"])
        inclusive = " ".join(match["how"].split()) in (
            "since",
            "in or after",
            "or later",
            "or newer",
            "and newer",
        )
        return [_f("YearBuilt", Op.GTE, year if inclusive else year + 1)]

    def before(match: re.Match[str], _: _Context) -> list[Filter]:
        year = int(match["year"])
        inclusive = " ".join(match["how"].split()) in (
            "or earlier",
            "or older",
            "and older",
            "in or before",
        )
        return [_f("YearBuilt", Op.LTE, year if inclusive else year - 1)]

    def decade(match: re.Match[str], _: _Context) -> list[Filter]:
        """ "1990s", "90s", "'90s"; two digits are the 1900s except "00s" and "10s". "Early",
        "mid" and "late" are the first, middle and last four years."""
        digits = match["decade"]
        start = (
            int(digits)
            if len(digits) == 4
            else int(digits) + (2000 if digits in ("00", "10") else 1900)
        )
        low, high = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}.get(
            match["part"] or "", (0, 9)
        )
        return [_f("YearBuilt", Op.GTE, start + low), _f("YearBuilt", Op.LTE, start + high)]

    def between(match: re.Match[str], _: _Context) -> list[Filter]:
        low, high = sorted((int(match["year"]), int(match["year2"])))
        return [_f("YearBuilt", Op.GTE, low), _f("YearBuilt", Op.LTE, high)]

    def exact(match: re.Match[str], _: _Context) -> list[Filter]:
        return [_f("YearBuilt", Op.EQ, int(match["year"]))]

    def age(match: re.Match[str], context: _Context) -> list[Filter]:
        years = p.read_count(match["n"])
        return [_f("YearBuilt", Op.GTE, context.year - int(years))]

    age_count = r"(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty)"
    return [
        _rule(rf"\b{built}\s+(?:between|from)\s+{p.YEAR}{p.RANGE_JOIN}{p.YEAR_2}", between),
        _rule(
            rf"(?<![\w$])(?:{built}\s+)?(?:in\s+|from\s+)?(?:the\s+)?"
            rf"(?:(?P<part>early|mid|late)[- ]?)?'?(?P<decade>(?:1[6-9]|20)\d0|\d0)'?s\b",
            decade,
        ),
        _rule(
            r"\b(?:built\s+)?pre[- ]?war\b",
            _constant(_f("YearBuilt", Op.LTE, PRE_WAR_LAST_YEAR)),
        ),
        _rule(
            r"\b(?:built\s+)?post[- ]?war\b",
            _constant(_f("YearBuilt", Op.GTE, POST_WAR_FIRST_YEAR)),
        ),
        _rule(rf"\b{built}\s+(?P<how>after|since|in\s+or\s+after|post)\s+{p.YEAR}", after),
        _rule(rf"\b{built}\s+(?P<how>before|prior\s+to|pre|in\s+or\s+before)\s+{p.YEAR}", before),
        _rule(
            rf"\b(?:{built}\s+)?(?:in\s+)?{p.YEAR}\s+(?P<how>or\s+(?:later|newer)|and\s+newer)",
            after,
        ),
        _rule(
            rf"\b(?:{built}\s+)?(?:in\s+)?{p.YEAR}\s+(?P<how>or\s+(?:earlier|older)|and\s+older)",
            before,
        ),
        _rule(rf"\b(?P<how>newer\s+than|post-?)\s*{p.YEAR}", after),
        _rule(rf"\b(?P<how>older\s+than|pre-?)\s*{p.YEAR}", before),
        _rule(rf"\b{built}\s+{p.YEAR}", exact),
        _rule(
            rf"\b(?:less\s+than|under|newer\s+than|at\s+most)\s+{age_count}\s+years?\s+old\b", age
        ),
        _rule(rf"\b{age_count}\s+years?\s+old\s+or\s+(?:newer|less|younger)\b", age),
    ]


_NOT_NEW_CONSTRUCTION: Final = _rule(
    rf"{_NEGATION}(?:new[- ]construction|new[- ]builds?)\b",
    _constant(_f("NewConstructionYN", Op.EQ, False)),
)
_NEW_CONSTRUCTION: Final = _rule(
    r"\b(?:new[- ]construction|newly[- ]built|new[- ]builds?|never\s+lived\s+in|"
    r"brand[- ]new\s+(?:homes?|houses?|builds?|construction|condos?|town(?:home|house)s?))\b",
    _constant(_f("NewConstructionYN", Op.EQ, True)),
)


# --- beds and baths shorthands ---------------------------------------------------------------


def _slash_shorthand(match: re.Match[str], _: _Context) -> list[Filter]:
    """ "3/2" is 3 beds, 2 baths in agent shorthand."""
    return [
        _f("BedroomsTotal", Op.GTE, int(match["beds"])),
        *_baths("gte", float(match["baths"]), None),
    ]


_SHORTHAND_RULES: Final = (
    # Not "1 1/2" (a story and a half).
    _rule(
        r"(?<![\w./])(?<!\d\s)(?P<beds>[1-9])\s*/\s*(?P<baths>[1-9](?:\.5)?)(?![\w./])",
        _slash_shorthand,
    ),
    _rule(r"\bstudios?\b", _constant(_f("BedroomsTotal", Op.EQ, 0))),
    _rule(
        r"\b(?:an?|one)\s+half[- ]?bath(?:room)?s?\b",
        _constant(_f("BathroomsHalf", Op.GTE, 1)),
    ),
)


# --- features --------------------------------------------------------------------------------

_CENTRAL_AIR: Final = r"central(?:ized)?\s+(?:air(?:[- ]conditioning)?|a/?c|cooling|hvac)\b"

_FEATURE_RULES: Final = (
    # Not the client's own pool: keep the words for ranking, never filter on them.
    _rule(
        r"\b(?:community|neighbou?rhood|shared|hoa|association|public)\s+pools?\b",
        _nothing,
        keep_words=True,
    ),
    _rule(
        r"\bpool\s+(?:tables?|house)\b|\bcar\s*pool(?:ing)?\b|\bgarage\s+sale\b",
        _nothing,
        keep_words=True,
    ),
    _rule(
        rf"{_NEGATION}(?:attached\s+|detached\s+)?garages?\b",
        _constant(_f("GarageYN", Op.EQ, False)),
    ),
    _rule(
        r"\b(?:garage\s+for|garage\s+with\s+room\s+for)\s+(?P<n>\d|one|two|three|four)\s+cars?\b",
        lambda m, _: [_f("GarageSpaces", Op.GTE, int(p.read_count(m["n"])))],
    ),
    _rule(
        r"\b(?:(?:attached|detached|oversized|heated|tandem)\s+)?garages?\b",
        _constant(_f("GarageYN", Op.EQ, True)),
    ),
    _rule(
        rf"{_NEGATION}(?:swimming\s+|private\s+)?pools?\b|\bpool{_FREE}",
        _constant(_f("PoolPrivateYN", Op.EQ, False)),
    ),
    _rule(
        r"\b(?:(?:swimming|private|in-?ground|heated|saltwater|salt\s+water|backyard|own)\s+)*"
        r"pools?\b",
        _constant(_f("PoolPrivateYN", Op.EQ, True)),
    ),
    _rule(
        rf"{_NEGATION}(?:on\s+the\s+)?water[- ]?front\b",
        _constant(_f("WaterfrontYN", Op.EQ, False)),
    ),
    _rule(
        r"\b(?:water|lake|river|ocean|beach|bay|creek)[- ]?front(?:age)?\b|"
        r"\bon\s+(?:the|a)\s+(?:water|lake|river|ocean|bay)\b|\bwater\s+access\b",
        _constant(_f("WaterfrontYN", Op.EQ, True)),
    ),
    _rule(rf"{_NEGATION}fireplaces?\b", _constant(_f("FireplacesTotal", Op.EQ, 0))),
    _rule(
        r"\b(?:(?:wood[- ]burning|gas|stone|brick)\s+)?fireplaces?\b",
        _constant(_f("FireplacesTotal", Op.GTE, 1)),
    ),
    _rule(
        rf"{_NEGATION}{_CENTRAL_AIR}",
        _constant(_f("Cooling", Op.NOT_CONTAINS, "Central Air")),
    ),
    _rule(rf"\b{_CENTRAL_AIR}", _constant(_f("Cooling", Op.CONTAINS, "Central Air"))),
    _rule(
        rf"{_NEGATION}(?:(?:hoa|association)(?:\s+(?:fees?|dues))?)\b|"
        rf"\b(?:hoa|association)(?:\s+fee)?{_FREE}",
        _constant(_f("AssociationYN", Op.EQ, False)),
    ),
    # RESO's Basement lookup says "None" for a home without one.
    _rule(rf"{_NEGATION}basement\b", _constant(_f("Basement", Op.CONTAINS, "None"))),
    _rule(r"\bfinished\s+basement\b", _constant(_f("Basement", Op.CONTAINS, "Finished"))),
)

_STORY_RULES: Final = (
    _rule(
        r"\b(?:single|one|1)[- ]?(?:story|storey|level)\b|\branch(?:[- ]style)?\b|\bno\s+stairs\b",
        _constant(_f("Stories", Op.EQ, 1)),
    ),
    _rule(r"\bmulti[- ]?(?:story|storey|level)\b", _constant(_f("Stories", Op.GTE, 2))),
)

_STATUS_RULES: Final = (
    _rule(r"\b(?:recently\s+)?(?:sold|closed)\b", _constant(_f("StandardStatus", Op.EQ, "Closed"))),
    _rule(
        r"\b(?:pending|under\s+contract)\b",
        _constant(_f("StandardStatus", Op.IN, ["Pending", "Active Under Contract"])),
    ),
    _rule(r"\bcoming\s+soon\b", _constant(_f("StandardStatus", Op.EQ, "Coming Soon"))),
)


# --- superlatives and explicit orders ("cheapest", "newest first", "price low to high") -------

_ORDER_LEAD: Final = r"(?:(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?)\s+by\s+)?"
_ORDER_TAIL: Final = r"(?:\s+(?:ones?\s+)?first)?"
# In this order: "biggest lot" is the lot before "biggest" alone is the living area.
SORT_WORDS: Final = (
    (
        Sort("ListPrice", "asc"),
        r"cheapest|least\s+expensive|most\s+affordable|lowest[- ]price[ds]?|"
        r"price\s*,?\s*(?:low(?:est)?\s+to\s+high(?:est)?|ascending)",
    ),
    (
        Sort("ListPrice", "desc"),
        r"most\s+expensive|priciest|highest[- ]price[ds]?|"
        r"price\s*,?\s*(?:high(?:est)?\s+to\s+low(?:est)?|descending)",
    ),
    (
        Sort("LotSizeAcres", "desc"),
        r"(?:biggest|largest)\s+(?:lots?|yards?|back\s*yards?|land)|most\s+(?:land|acreage)",
    ),
    (
        Sort("LivingArea", "desc"),
        r"largest|biggest|roomiest|most\s+(?:space|square\s+(?:feet|footage)|sq\.?\s*ft)",
    ),
    (Sort("LivingArea", "asc"), r"smallest"),
    (Sort("YearBuilt", "desc"), r"newest|most\s+recently\s+built|latest[- ]built"),
    (Sort("YearBuilt", "asc"), r"oldest"),
    (Sort("BedroomsTotal", "desc"), r"most\s+(?:bed(?:room)?s|brs)"),
)
_SORT_RULES: Final = tuple(
    (sort, re.compile(rf"(?<![\w-]){_ORDER_LEAD}(?:{words}){_ORDER_TAIL}(?![\w-])"))
    for sort, words in SORT_WORDS
)


def _sort(text: _Text) -> Sort | None:
    """The first order the query states; every one stated is consumed (none is a filter)."""
    found: list[tuple[int, Sort]] = []
    for sort, pattern in _SORT_RULES:
        for match in list(pattern.finditer(text.view)):
            text.consume(match.start(), match.end())
            found.append((match.start(), sort))
    return min(found, key=lambda item: item[0])[1] if found else None


# --- the parser ------------------------------------------------------------------------------


class RuleParser:
    """Deterministic, offline, fast (well under a millisecond for a typical query)."""

    name = "rules"

    def __init__(self, today: date | None = None) -> None:
        self._today = today
        self._rules: list[_Rule] = [
            *_year_rules(),
            _NOT_NEW_CONSTRUCTION,
            _NEW_CONSTRUCTION,
            *_quantity_rules(
                p.AREA, p.area_number, p.read_area, _lot_square_feet,
                step=0, tail=r"\s*(?:lot|yard|of\s+land)\b",
            ),
            *_quantity_rules(
                p.ACRE, p.acre_number, p.read_acres, _acres, step=0, tail=r"(?:\s+lots?\b)?"
            ),
            *_quantity_rules(p.AREA, p.area_number, p.read_area, _area, step=0),
            *_counted(p.GARAGE_SPACES, _counts("GarageSpaces")),
            *_counted(p.BED, _counts("BedroomsTotal")),
            *_counted(p.BATH, _baths, step=0.5),
            *_counted(rf"full\s+{p.BATH}", _counts("BathroomsFull")),
            *_counted(rf"half[- ]?{p.BATH}", _counts("BathroomsHalf")),
            *_SHORTHAND_RULES,
            *_counted(p.FIREPLACE, _counts("FireplacesTotal")),
            *_STORY_RULES,
            *_counted(p.STORY, _counts("Stories", halves=True), default="eq"),
            *_PRICE_RULES,
            *_FEATURE_RULES,
            *_STATUS_RULES,
        ]  # fmt: skip

    async def parse(self, query: str, vocabulary: Vocabulary) -> ParsedQuery:
        return self.parse_now(query, vocabulary)

    async def aclose(self) -> None:
        return None

    def parse_now(self, query: str, vocabulary: Vocabulary) -> ParsedQuery:
        today = self._today or datetime.now(UTC).date()
        context = _Context(vocabulary, today.year)
        text = _Text(query)
        found: list[_Found] = []
        found += _places(text, vocabulary)
        sort = _sort(text)
        for rule in self._rules:
            found += _apply(rule, text, context)
        found += _subtypes(text, vocabulary)
        filters = _combine(sorted(found, key=lambda item: item.start))
        semantic, ignored = text.remainder()
        return ParsedQuery(filters, semantic, self.name, sort, ignored)


def _apply(rule: _Rule, text: _Text, context: _Context) -> list[_Found]:
    found = []
    for match in list(rule.pattern.finditer(text.view)):
        filters = rule.handler(match, context)
        if filters is None:
            continue
        text.consume(match.start(), match.end(), keep_words=rule.keep_words)
        if filters:
            found.append(_Found(match.start(), filters))
    return found


# --- places ----------------------------------------------------------------------------------

_PLACE_FIELDS: Final = ("City", "SubdivisionName")
# "not in Ames", "outside Des Moines", "anywhere but Austin": the place is excluded.
_PLACE_NEGATION: Final = (
    r"(?<!\w)(?:not\s+in|outside(?:\s+of)?|anywhere\s+but|except(?:\s+in)?|excluding)\s+"
)
_LISTED: Final = r"\s*(?:,\s*(?:n?or\s+)?|n?or\s+)"  # between the places of one list
_STATE_CODES: Final = frozenset(US_STATES.values())
# Codes that are also English words or common abbreviations: only in capitals or after a place.
_AMBIGUOUS_CODES: Final = frozenset(
    {
        "IN", "OR", "ME", "HI", "OH", "OK", "DE", "PA", "LA", "MA", "AL", "CO", "ID", "MO",
        "NE", "GA", "WA", "VA", "MD", "SC", "DC", "AR", "MS", "MT",
    }
)  # fmt: skip


def _places(text: _Text, vocabulary: Vocabulary) -> list[_Found]:
    """Cities, neighbourhoods, "X County", state names and codes, and ZIP codes."""
    found: list[_Found] = []
    phrases: dict[str, tuple[str, str]] = {}
    for field_name in reversed(_PLACE_FIELDS):  # a city wins over a same-named subdivision
        for lowered, canonical in vocabulary.known(field_name).items():
            phrases[lowered] = (field_name, canonical)
    counties = vocabulary.known("CountyOrParish")
    for lowered, canonical in counties.items():
        phrases[f"{lowered} county"] = ("CountyOrParish", canonical)
    for name in US_STATES:
        phrases.setdefault(name, ("StateOrProvince", vocabulary.state_code(name)))
    if phrases:
        alternatives = "|".join(
            re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True)
        )
        # A possessive belongs to the place: "Ames' Old Town", "Des Moines's Beaverdale".
        pattern = re.compile(
            rf"(?P<negated>{_PLACE_NEGATION})?(?<![\w-])(?P<place>{alternatives})(?:['’]s?)?(?![\w-])"
        )
        # A negation covers the places it lists: "not in Ames or Gilbert", "outside X, Y".
        negated_until: int | None = None
        for match in list(pattern.finditer(text.view)):
            field_name, canonical = phrases[match["place"]]
            negated = match["negated"] is not None or (
                negated_until is not None
                and re.fullmatch(_LISTED, text.view[negated_until : match.start()]) is not None
            )
            negated_until = match.end() if negated else None
            text.consume(match.start(), match.end())
            op = Op.NE if negated else Op.EQ
            found.append(_Found(match.start(), [_f(field_name, op, canonical)]))
    found += _state_codes(text, vocabulary)
    found += _postal_codes(text, vocabulary)
    return found


def _state_codes(text: _Text, vocabulary: Vocabulary) -> list[_Found]:
    """ "TX" or "tx"; but "in", "or", "me" are also words, so those codes count only in
    capitals or right after a place ("portland, or")."""
    found = []
    shouting = text.original.isupper()  # "HOMES IN AMES": capitals say nothing
    for match in list(re.finditer(r"(?<![\w-])([A-Za-z]{2})(?![\w-])", text.original)):
        start, end = match.span(1)
        code = match.group(1)
        if _MASK in text.view[start:end] or code.upper() not in _STATE_CODES:
            continue
        unambiguous = code.upper() not in _AMBIGUOUS_CODES
        if not unambiguous and re.match(rf"\s*{_MASK}", text.view[end:]):
            continue  # "Des Moines or West Des Moines": a conjunction between two places
        after_place = re.search(rf"{_MASK},\s*$", text.view[:start]) is not None
        if (code.isupper() and not shouting) or after_place or unambiguous:
            text.consume(start, end)
            found.append(_Found(start, [_f("StateOrProvince", Op.EQ, vocabulary.state_code(code))]))
    return found


def _postal_codes(text: _Text, vocabulary: Vocabulary) -> list[_Found]:
    """A five-digit number the data knows as a ZIP, or any after "zip"/"in"/"near"."""
    found = []
    known = vocabulary.known("PostalCode")
    pattern = re.compile(
        r"(?P<lead>\b(?:zip(?:\s*code)?|postal\s+code|in|near)\s*:?\s*)?(?<![\w$.,])(?P<zip>\d{5})(?:-\d{4})?(?![\w,.])"
    )
    for match in list(pattern.finditer(text.view)):
        code = match["zip"]
        if code in known or match["lead"]:
            text.consume(match.start("zip"), match.end())
            found.append(_Found(match.start(), [_f("PostalCode", Op.EQ, known.get(code, code))]))
    return found


# --- property subtypes -----------------------------------------------------------------------


def _subtypes(text: _Text, vocabulary: Vocabulary) -> list[_Found]:
    """ "condo or townhouse" -> in [...]; "not a condo" -> ne (or not_in for several)."""
    wanted: list[tuple[int, str]] = []
    excluded: list[tuple[int, str]] = []
    # A negation covers the subtypes it lists: "no condos or townhomes".
    any_subtype = "|".join(f"(?:{words})" for _, words in SUBTYPE_WORDS)
    listed = rf"{_NEGATION}(?:{any_subtype})(?:\s+n?or\s+(?:{any_subtype}))*(?![\w-])"
    for match in list(re.finditer(listed, text.view)):
        for subtype, words in SUBTYPE_WORDS:
            for named in re.finditer(rf"(?<![\w-])(?:{words})(?![\w-])", match.group(0)):
                excluded.append((match.start() + named.start(), subtype))
        text.consume(match.start(), match.end())
    for subtype, words in SUBTYPE_WORDS:
        for match in list(re.finditer(rf"(?<![\w-])(?:{words})(?![\w-])", text.view)):
            text.consume(match.start(), match.end())
            wanted.append((match.start(), subtype))
    found = []
    for mentions, negative in ((wanted, False), (excluded, True)):
        if mentions:
            values = _unique(
                vocabulary.canonical("PropertySubType", name) or name
                for _, name in sorted(mentions)  # in the order the query names them
            )
            start = min(position for position, _ in mentions)
            found.append(_Found(start, [_one_or_many("PropertySubType", values, negative)]))
    return found


# --- combining -------------------------------------------------------------------------------

_CATEGORICAL: Final = frozenset(
    {
        "City",
        "SubdivisionName",
        "CountyOrParish",
        "PostalCode",
        "StateOrProvince",
        "PropertySubType",
    }
)


def _combine(found: Iterable[_Found]) -> list[Filter]:
    """In text order. Several places of one kind -> one `in` (several excluded ones -> one
    `not_in`); a bound stated twice -> the later one wins ("3 beds ... make it 4 beds")."""
    ordered = [item for entry in found for item in entry.filters]
    result: list[Filter] = []
    for item in ordered:
        previous = _same_sense(result, item)
        if previous is not None:
            values = _unique([*_values(previous), *_values(item)])
            negative = item.op in (Op.NE, Op.NOT_IN)
            result[result.index(previous)] = _one_or_many(item.field, values, negative)
            continue
        result = [f for f in result if (f.field, f.op) != (item.field, item.op)]
        result.append(item)
    return result


def _same_sense(result: list[Filter], item: Filter) -> Filter | None:
    """The earlier filter on the same place or subtype field that also wants (or also
    excludes) values, which `item` joins."""
    if item.field not in _CATEGORICAL:
        return None
    for sense in ((Op.EQ, Op.IN), (Op.NE, Op.NOT_IN)):
        if item.op in sense:
            return next((f for f in result if f.field == item.field and f.op in sense), None)
    return None


def _values(item: Filter) -> list[str]:
    return [str(v) for v in item.value] if isinstance(item.value, list) else [str(item.value)]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _one_or_many(field_name: str, values: list[str], negative: bool = False) -> Filter:
    if len(values) == 1:
        return _f(field_name, Op.NE if negative else Op.EQ, values[0])
    return _f(field_name, Op.NOT_IN if negative else Op.IN, values)
