"""Regular-expression building blocks for the rule parser, and the number readers they need."""

from __future__ import annotations

import re
from typing import Final

WORD_NUMBERS: Final = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "single": 1, "a": 1, "an": 1,
}  # fmt: skip
_COUNT_WORDS: Final = "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"

# Comparators before a quantity ("at least 3 beds") and after it ("3 beds or more").
GTE_BEFORE: Final = (
    r"at\s+least|min(?:imum)?(?:\s+of)?|no\s+(?:less|fewer)\s+than|not\s+less\s+than|>=|"
    r"starting\s+(?:at|from)|from"
)
GT_BEFORE: Final = r"more\s+than|over|above|greater\s+than|bigger\s+than|larger\s+than|>|north\s+of"
LTE_BEFORE: Final = (
    r"at\s+most|max(?:imum)?(?:\s+of)?|no\s+more\s+than|not\s+more\s+than|not\s+over|up\s+to|"
    r"<=|within|(?:a\s+)?budget(?:\s+(?:of|is))?|priced\s+at\s+most"
)
LT_BEFORE: Final = (
    r"less\s+than|under|below|fewer\s+than|smaller\s+than|cheaper\s+than|<|south\s+of|"
    r"priced\s+(?:under|below)"
)
EQ_BEFORE: Final = r"exactly|only|just"
GTE_AFTER: Final = (
    r"or\s+(?:more|larger|bigger|greater|higher|above|up|over|newer)|\+|plus|minimum|min\b|"
    r"at\s+least|and\s+(?:up|above|over)"
)
LTE_AFTER: Final = (
    r"or\s+(?:less|fewer|smaller|lower|under|below|cheaper)|max(?:imum)?|at\s+most|"
    r"and\s+(?:under|below)|tops"
)
EQ_AFTER: Final = r"exactly|only"

COMPARATOR_BEFORE: Final = (
    rf"(?:(?P<gte>{GTE_BEFORE})|(?P<gt>{GT_BEFORE})|(?P<lte>{LTE_BEFORE})|"
    rf"(?P<lt>{LT_BEFORE})|(?P<eq>{EQ_BEFORE}))"
)
COMPARATOR_AFTER: Final = (
    rf"(?:(?P<gte_after>{GTE_AFTER})|(?P<lte_after>{LTE_AFTER})|(?P<eq_after>{EQ_AFTER}))"
)
RANGE_JOIN: Final = r"\s*(?:-|–|—|to|and|or|through)\s*"

# Units. Hyphens and missing spaces are common: "3-bed", "3br", "2ba", "2,000sqft".
BED: Final = r"(?:bed(?:room)?s?|bdrms?|bds?|brs?)\b"
BATH: Final = r"(?:bath(?:room)?s?|baths?|bths?|ba)\b"
AREA: Final = (
    r"(?:sq\.?\s*f(?:ee)?t\.?|sq\.?\s*ft\.?|sqft|square\s*f(?:ee|oo)t|sf|ft2|ft²)(?![a-z])"
)
ACRE: Final = r"(?:acres?|ac)\b"
GARAGE_SPACES: Final = r"(?:car|stall|vehicle)s?\s*(?:attached\s+|detached\s+|tandem\s+)?garages?\b"
FIREPLACE: Final = r"fireplaces?\b"
STORY: Final = r"(?:story|storey|stories|storeys|level)\b"


def count(group: str) -> str:
    """A count in digits or words ("3", "three"), halves included ("2.5", "1 1/2", "two and a
    half"); the group holds its text."""
    return (
        rf"(?<![\w.,$])(?P<{group}>(?:\d+|{_COUNT_WORDS})(?:\s+and\s+a\s+half|\s+1/2)|"
        rf"\d+(?:\.5)?|{_COUNT_WORDS})"
    )


def area_number(group: str) -> str:
    """2,000 / 2000 / 2.5k."""
    return rf"(?<![\w.,$])(?P<{group}>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?\s?k?)"


def acre_number(group: str) -> str:
    return (
        rf"(?<![\w.,$])(?P<{group}>\d+(?:\.\d+)?|[1-3]/[2-4]|an?|one|two|three|four|five|ten|"
        r"half(?:\s+(?:an?|of\s+an?))?|a\s+half|(?:a\s+)?quarter(?:\s+of\s+an?)?|"
        r"three[- ]quarters?(?:\s+of\s+an?)?)"
    )


def money(group: str) -> str:
    """$450k, 450,000, $1.2M, 1.2 million, a million, 300 (thousands, decided by the reader)."""
    return (
        rf"(?<![\w.,])(?P<{group}>(?:a|one|half\s+a)\s+mil(?:lion)?\b|"
        r"\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
        r"(?:\s?(?:k|m|mm|mil|million|thousand|grand)\b)?)"
    )


YEAR: Final = r"(?P<year>1[6-9]\d\d|20\d\d)\b"
YEAR_2: Final = r"(?P<year2>1[6-9]\d\d|20\d\d)\b"

_MONEY_SUFFIX = re.compile(r"(k|m|mm|mil|million|thousand|grand)$")
_MULTIPLIERS: Final = {
    "k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "mm": 1e6, "mil": 1e6, "million": 1e6,
}  # fmt: skip


_HALF: Final = re.compile(r"\s+(?:and\s+a\s+half|1/2)$")


def read_count(text: str) -> float:
    lowered = text.strip().lower()
    whole, halves = _HALF.subn("", lowered)
    if halves:
        return read_count(whole) + 0.5
    if lowered in WORD_NUMBERS:
        return float(WORD_NUMBERS[lowered])
    return float(lowered)


def read_area(text: str) -> float:
    cleaned = text.replace(",", "").replace(" ", "").lower()
    if cleaned.endswith("k"):
        return float(cleaned[:-1]) * 1000
    return float(cleaned)


def read_acres(text: str) -> float:
    lowered = re.sub(r"\s+", " ", text.strip().lower())
    if "/" in lowered:
        numerator, denominator = lowered.split("/")
        return int(numerator) / int(denominator)
    if lowered.startswith("half") or lowered == "a half":
        return 0.5
    if lowered.startswith("three"):
        return 0.75 if "quarter" in lowered else 3.0
    if "quarter" in lowered:
        return 0.25
    return read_count(lowered)


class Money:
    """A money amount as written: its value, and whether it is unmistakably money."""

    def __init__(self, text: str) -> None:
        lowered = re.sub(r"\s+", " ", text.strip().lower())
        self.has_currency = "$" in lowered
        if lowered.endswith(("million", "mil")) and lowered.split()[0] in ("a", "one", "half"):
            self.amount = 5e5 if lowered.startswith("half") else 1e6
            self.suffix: str | None = "million"
            self.has_comma = False
            return
        cleaned = lowered.replace("$", "").replace(" ", "")
        match = _MONEY_SUFFIX.search(cleaned)
        self.suffix = match.group(1) if match else None
        number = cleaned[: match.start()] if match else cleaned
        self.has_comma = "," in number
        self.amount = float(number.replace(",", ""))
        if self.suffix:
            self.amount *= _MULTIPLIERS[self.suffix]

    @property
    def explicit(self) -> bool:
        """$, k/M or a thousands separator: money even without a price word."""
        return self.has_currency or self.suffix is not None or self.has_comma

    def as_price(self, *, price_context: bool) -> float | None:
        """Dollars, or None when the number is not a plausible price. With a price word
        ("under 300") a bare number below 10,000 is read in thousands, as agents say it."""
        if self.explicit or self.amount >= 10_000:
            return self.amount if self.amount >= 1_000 else None
        if price_context and 50 <= self.amount < 10_000:
            return self.amount * 1_000
        return None

    def scaled_like(self, other: Money) -> float:
        """ "300-400k": the first number takes the second one's unit."""
        if self.suffix is None and other.suffix is not None and not self.has_comma:
            return self.amount * _MULTIPLIERS[other.suffix]
        return self.amount
