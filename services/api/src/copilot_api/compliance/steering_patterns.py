"""The steering patterns of query screening: a protected class's vocabulary (from
`query_screening.yaml`) combined with the shared word lists into compiled rules.

Each pattern family is one way of choosing neighbors: by quantity ("mostly", "no"), by naming a
place after a group ("the Catholic part of town", "a building for women"), by who the neighbors
are, speak or worship with ("where most people are Jewish", "where everyone speaks Spanish",
"where most families go to church"). `query_screening` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from copilot_api.compliance.phrases import any_phrase, first_words

Direction = Literal["both", "away"]


@dataclass(frozen=True, slots=True)
class ProtectedClass:
    key: str
    label: str
    law: str
    composition: bool
    direction: Direction
    hopa_exempt: bool
    terms: tuple[str, ...]
    ambiguous_terms: tuple[str, ...]
    languages: tuple[str, ...]
    worship: tuple[str, ...]

    @classmethod
    def from_spec(cls, key: str, spec: Mapping[str, Any]) -> ProtectedClass:
        direction = spec.get("direction", "both")
        if direction not in ("both", "away"):
            raise ValueError(f"class {key}: direction must be both or away")
        return cls(
            key=key,
            label=spec["label"],
            law=spec["law"],
            composition=bool(spec.get("composition", False)),
            direction=direction,
            hopa_exempt=bool(spec.get("hopa_exempt", False)),
            terms=tuple(spec.get("terms", ())),
            ambiguous_terms=tuple(spec.get("ambiguous_terms", ())),
            languages=tuple(spec.get("languages", ())),
            worship=tuple(spec.get("worship", ())),
        )

    def group_pattern(self) -> str:
        """The class's terms as one alternation. With languages, the people who speak them
        join the group ("Spanish speaking", "native English speakers"); the bare language word
        does not ("Spanish style home", "English garden")."""
        alternatives = []
        if self.languages:  # first: the longer phrase wins ("korean speaking", not "korean")
            alternatives.append(
                rf"(?<![\w+])(?:(?:non|native)\s+)?{any_phrase(self.languages)}\s+"
                rf"(?:speaking|speakers?)(?![\w+])"
            )
        if self.terms:
            alternatives.append(any_phrase(self.terms))
        return "(?:" + "|".join(alternatives) + ")"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    protected_class: str
    pattern: re.Pattern[str]
    triggers: frozenset[str]
    """First words of the terms the pattern needs: without one of them it cannot match, so
    the regex is skipped (most text mentions no protected class at all)."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The shared word lists as regex alternations, ready to be combined with a class's terms."""

    people: str
    subjects: str  # who a neighborhood is made of, never the buyer's own household
    nouns_all: str  # people and every place ("christian home", "jewish neighborhood")
    nouns_area: str  # people and areas, not buildings ("white neighborhood", not "white house")
    nouns_shared: str  # people and shared places ("female tenants", "women's building")
    places_all: str
    places_shared: str  # areas and shared places, not one household's home
    not_amenity: str
    exclusions: str
    compositions: str
    density: str
    degree: str
    being: str
    negations: str
    verbs: str
    after: str
    only: str
    colour_context: str

    @classmethod
    def from_lists(cls, raw: Mapping[str, Any]) -> Vocabulary:
        people, areas = raw["people_nouns"], raw["place_nouns"]
        shared, dwellings = raw["shared_place_nouns"], raw["dwelling_nouns"]
        nouns_area = any_phrase([*people, *areas])
        return cls(
            people=any_phrase(people),
            # "my family goes to church" describes the buyer, "families go to church" the area.
            subjects=(
                r"(?<!\bmy\s)(?<!\bour\s)(?:(?:most|all|many|almost\s+all)\s+(?:of\s+)?"
                rf"(?:the\s+)?)?{any_phrase(raw['community_subjects'])}"
            ),
            nouns_all=any_phrase([*people, *areas, *shared, *dwellings]),
            nouns_area=nouns_area,
            nouns_shared=any_phrase([*people, *shared]),
            places_all=any_phrase([*areas, *shared, *dwellings]),
            places_shared=any_phrase([*areas, *shared]),
            not_amenity=rf"(?!\s+{any_phrase(raw['amenity_followers'])})",
            exclusions=any_phrase(raw["exclusion_quantifiers"]),
            compositions=any_phrase(
                [*raw["composition_quantifiers"], *raw["exclusion_quantifiers"]]
            ),
            density=any_phrase([*raw["density_quantifiers"], *raw["exclusion_quantifiers"]]),
            degree=rf"(?:{any_phrase(raw['degree_words'])}\s+)?",
            being=any_phrase(raw["relative_verbs"]),
            negations=any_phrase(raw["exclusion_negations"]),
            verbs=any_phrase(raw["exclusion_verbs"]),
            after=any_phrase(raw["exclusion_after"]),
            only=any_phrase(raw["only_words"]),
            # After an ambiguous colour word: the end, punctuation, a word about people or
            # places, or a joining word ("mostly white, near downtown", "no black neighbors").
            colour_context=(
                rf"(?=\s*(?:$|[,.;:!?]|{nouns_area}|(?:and|or|in|near|around|with|please|only)\b))"
            ),
        )


_LINKER = r"(?:(?:only|dominated|majority|heavy|populated|owned|run|filled)\s+)?"
_DETERMINER = r"(?:(?:the|any|other|more|fewer)\s+)?"
_POSSESSIVE = r"(?:'s|s')?"
_FELLOW = r"(?:(?:other|more|fellow)\s+)?"
_WHO_IS = r"\s+(?:who|that|which|where)\s+"
_WHO = r"\s+(?:(?:who|that)\s+)?"
_WHERE = r"where\s+(?:(?:the|most|all|other|only)\s+)?"
_LIVE = r"\s+(?:live|lives|reside|resides|are)\b"
_CANNOT = r"(?:don't|dont|do\s+not|doesn't|doesnt|does\s+not|can't|cant|cannot)"
_LANGUAGE = r"(?:first|native|main|primary|home|only|mother)\s+(?:language|tongue)"
_WHOSE = (
    r"(?:everyone's|everyones|everybody's|everybodys|people's|their|the\s+neighbors'|"
    r"the\s+residents'|most\s+people's|the)"
)

Patterns = list[tuple[str, str]]


def _away_patterns(terms: str, protected: ProtectedClass, v: Vocabulary) -> Patterns:
    """(rule name, pattern): asking for fewer of a group, or for more of it by quantity."""
    quantifiers = (
        v.compositions
        if protected.composition
        else v.density
        if protected.direction == "both"
        else v.exclusions
    )
    return [
        ("exclusion", rf"{quantifiers}\s+{_DETERMINER}{terms}{v.not_amenity}"),
        ("refuses", rf"{v.negations}\s+(?:\w+\s+)?{v.verbs}\s+{_DETERMINER}{terms}"),
        ("not_allowed", rf"{terms}\s+(?:(?:are|is|be)\s+)?{v.after}"),
        ("only", rf"{terms}\s+(?:{v.people}\s+)?{v.only}"),
        ("only", rf"{v.only}\s+(?:for\s+)?{terms}{v.not_amenity}"),
        (
            "avoid_places_with",
            rf"{v.exclusions}\s+(?:the\s+)?{v.places_all}\s+(?:with|that\s+have|that\s+has|"
            rf"where\s+there\s+are|full\s+of)\s+(?:\w+\s+)?{terms}{v.not_amenity}",
        ),
    ]


def _toward_patterns(terms: str, protected: ProtectedClass, v: Vocabulary) -> Patterns:
    """(rule name, pattern): naming a place by the group that lives there, whichever way."""
    # Household words (kids, women, veterans) also describe the buyer's own home ("a home for
    # a growing family"): for those classes only shared places and people count.
    nouns = v.nouns_all if protected.composition else v.nouns_shared
    places = v.places_all if protected.composition else v.places_shared
    # "live with my kids" is a household; "live with other Koreans" is a neighborhood.
    among = (
        r"near|with|among|around|next\s+to|by" if protected.composition else r"near|among|around"
    )
    return [
        ("composition", rf"{terms}{_POSSESSIVE}\s+{_LINKER}{nouns}{v.not_amenity}"),
        ("relative", rf"{v.nouns_all}{_WHO_IS}{v.being}\s+{v.degree}{terms}{v.not_amenity}"),
        ("group_is", rf"{v.subjects}\s+{v.being}\s+{v.degree}{terms}{v.not_amenity}"),
        (
            "group_has",
            rf"{v.subjects}{_WHO}(?:have|has|are\s+raising|raise)\s+"
            rf"(?:(?:young|small|little|no)\s+)?{terms}",
        ),
        (
            "for_group",
            rf"{places}\s+(?:just\s+|only\s+|mostly\s+)?for\s+(?:other\s+)?{terms}"
            rf"{v.not_amenity}",
        ),
        (
            "made_of_group",
            rf"{v.places_shared}\s+(?:full\s+|made\s+up\s+)?of\s+{v.degree}(?:other\s+)?"
            rf"{terms}{v.not_amenity}",
        ),
        (
            "with_group",
            rf"{v.places_shared}\s+(?:with|that\s+has|that\s+have|where\s+there\s+are)\s+"
            rf"(?:(?:other|more|some)\s+)?{terms}{v.not_amenity}",
        ),
        ("where_they_live", rf"{_WHERE}{terms}(?:\s+{v.people})?{_LIVE}"),
        (
            # The group itself, not a place named after it ("near other Korean families", not
            # "near a Korean restaurant" or "close to the children's museum").
            "near_group",
            rf"(?:near|close\s+to|next\s+to|among|surrounded\s+by)\s+{_FELLOW}{terms}"
            rf"(?=\s*(?:$|[,.;:!?]|{v.people}|(?:in|please)\b))",
        ),
        (
            "live_among",
            rf"(?:live|living|lives)\s+(?:{among})\s+{_FELLOW}{terms}{v.not_amenity}",
        ),
    ]


def _language_patterns(languages: str, v: Vocabulary) -> Patterns:
    """(rule name, pattern): who speaks a language where the buyer would live."""
    return [
        (
            "speaks_language",
            rf"{v.subjects}{_WHO}(?:(?:all|only|mostly|also)\s+)?(?:{_CANNOT}\s+)?"
            rf"(?:speak|speaks|talk|talks)\s+(?:(?:only|mostly|fluent)\s+)?{languages}",
        ),
        ("first_language", rf"{languages}\s+is\s+{_WHOSE}\s+{_LANGUAGE}"),
        (
            "first_language",
            rf"(?:where\s+(?:the\s+)?|{v.subjects}(?:'s|s'|\s+whose)?\s+){_LANGUAGE}\s+is\s+"
            rf"{languages}",
        ),
        (
            "first_language",
            rf"(?:have|has|speak|speaks|with)\s+{languages}\s+as\s+(?:a|their|the)\s+"
            rf"{_LANGUAGE}",
        ),
    ]


def _worship_patterns(worship: str, v: Vocabulary) -> Patterns:
    """(rule name, pattern): whether the neighbors worship, not where a place of worship is."""
    return [
        (
            "neighbors_worship",
            rf"{v.subjects}{_WHO}(?:(?:all|mostly|regularly|still|actually)\s+)?"
            rf"(?:go|goes|attend|attends|going|attending)\s+(?:to\s+)?"
            rf"(?:(?:the\s+same|a|the|one)\s+)?{worship}",
        )
    ]


def _colour_patterns(colours: str, v: Vocabulary) -> Patterns:
    """(rule name, pattern) for ambiguous colour words: only next to people or places."""
    context = v.colour_context
    return [
        ("composition", rf"{colours}\s+{_LINKER}{v.nouns_area}{v.not_amenity}"),
        ("exclusion", rf"{v.compositions}\s+(?:the\s+)?{colours}{context}"),
        ("only", rf"{colours}\s+{v.only}"),
        ("relative", rf"{v.nouns_all}{_WHO_IS}{v.being}\s+{v.degree}{colours}{context}"),
        ("group_is", rf"{v.subjects}\s+{v.being}\s+{v.degree}{colours}{context}"),
        ("where_they_live", rf"{_WHERE}{colours}\s+{v.people}{_LIVE}"),
    ]


def class_rules(protected: ProtectedClass, v: Vocabulary) -> list[Rule]:
    """Every compiled rule of one class: away (and toward, unless `direction: away`) over its
    terms, plus its colour words, languages and places of worship when it has them."""

    def compiled(patterns: Patterns, words: Sequence[str]) -> list[Rule]:
        triggers = first_words(words)
        return [
            Rule(name, protected.key, re.compile(pattern), triggers) for name, pattern in patterns
        ]

    rules: list[Rule] = []
    if protected.terms or protected.languages:
        group = protected.group_pattern()
        patterns = _away_patterns(group, protected, v)
        if protected.direction == "both":
            patterns += _toward_patterns(group, protected, v)
        # A speaker phrase always contains its language, so the languages are triggers too.
        rules += compiled(patterns, [*protected.terms, *protected.languages])
    if protected.ambiguous_terms:
        colours = _colour_patterns(any_phrase(protected.ambiguous_terms), v)
        rules += compiled(colours, protected.ambiguous_terms)
    if protected.languages:
        spoken = _language_patterns(any_phrase(protected.languages), v)
        rules += compiled(spoken, protected.languages)
    if protected.worship:
        rules += compiled(_worship_patterns(any_phrase(protected.worship), v), protected.worship)
    return rules
