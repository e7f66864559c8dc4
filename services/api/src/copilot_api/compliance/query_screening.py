"""Query screening: refusing search queries that steer by a protected class.

`check_query` is pure; `guard_query` also logs a compliance event. The line drawn is between
describing the home and choosing the people. A query is refused when it asks for more or fewer
people of a protected class (race, color, religion, sex, disability, familial status, national
origin, plus the common state additions: source of income, age, marital status, sexual
orientation and gender identity, military status): "a white neighborhood", "no kids in the
building", "Christian area", "no Section 8", "neighbors who are Asian". Describing the property,
its features or what is nearby passes: "wheelchair accessible", "family room", "near an
elementary school", "55+ community".

Rule choices worth knowing (each is a judgment, documented so it can be revisited):
- Places of worship are amenities: "walk to church", "close to a synagogue", "near a mosque"
  pass. HUD's 1995 advertising guidance warns about religious *preferences* ("Christian home"),
  not about naming nearby places; the user is describing where they want to be, not who
  should live there. The same query rules would refuse "Christian neighborhood".
- Ambiguous colour words ("white", "black", "brown") count only next to a word about people or
  an area ("white neighborhood", "mostly white", "black neighbors"), never as colours of things
  ("white kitchen", "black granite") or in place names ("Black Mountain", "White Plains").
- "<group> community center / school / restaurant / market" is an amenity, not a population.
- Housing for older persons (HOPA, 55+/62+): with such a marker in the query, limits by age or
  on children ("55+ community, no kids") are lawful and pass.
- "Accepts Section 8 / vouchers" passes (a voucher holder searching); "no Section 8" is refused.
- A buyer describing their own household ("for my kids", "room for a growing family",
  "kid-friendly yard", "family-friendly") passes; asking about how many children, families,
  retirees... live somewhere ("lots of young families", "few kids") is refused: it is the
  demographic question agents are trained not to answer.
- "Racially diverse" / "integrated" are refused too: any request about the racial make-up of a
  neighborhood is steering, whichever way it points.

The word lists live in `query_screening.yaml` next to this module and are compiled once, on
first use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from copilot_api.compliance.phrases import TOKEN, any_phrase, first_words, load_rules, normalize
from copilot_api.observability.security_events import log_security_event

QUERY_RULES_FILE = "query_screening.yaml"
REFUSAL_EVENT = "fair_housing_refusal"


@dataclass(frozen=True, slots=True)
class ComplianceReason:
    protected_class: str
    label: str
    matched: str
    rule: str
    explanation: str


@dataclass(frozen=True, slots=True)
class ComplianceResult:
    blocked: bool
    reasons: tuple[ComplianceReason, ...] = ()
    message: str | None = None
    rules_version: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "blocked": self.blocked,
            "reasons": [asdict(reason) for reason in self.reasons],
            "message": self.message,
            "rules_version": self.rules_version,
        }


# --- public API ---------------------------------------------------------------------------


def check_query(text: str) -> ComplianceResult:
    """Pure: does this search query ask to steer by a protected class?"""
    return query_rules().evaluate(text)


def guard_query(
    text: str, *, user_id: str | None = None, ip_address: str | None = None
) -> ComplianceResult:
    """`check_query`, logging a compliance event when the query is refused.

    The event names the protected classes and the matched phrases, not the whole query.
    """
    result = check_query(text)
    if result.blocked:
        log_security_event(
            REFUSAL_EVENT,
            "medium",
            "search query refused by the fair-housing guard",
            user_id=user_id,
            ip_address=ip_address,
            protected_classes=sorted({reason.protected_class for reason in result.reasons}),
            matched=[reason.matched for reason in result.reasons],
            rules_version=result.rules_version,
        )
    return result


# --- query rules --------------------------------------------------------------------------


Direction = Literal["both", "away"]


@dataclass(frozen=True, slots=True)
class _ProtectedClass:
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
    def from_spec(cls, key: str, spec: Mapping[str, Any]) -> _ProtectedClass:
        direction = spec.get("direction", "both")
        if direction not in ("both", "away"):
            raise ValueError(f"{QUERY_RULES_FILE}: class {key}: direction must be both or away")
        languages = tuple(spec.get("languages", ()))
        return cls(
            key=key,
            label=spec["label"],
            law=spec["law"],
            composition=bool(spec.get("composition", False)),
            direction=direction,
            hopa_exempt=bool(spec.get("hopa_exempt", False)),
            terms=(*spec.get("terms", ()), *_speaker_terms(languages)),
            ambiguous_terms=tuple(spec.get("ambiguous_terms", ())),
            languages=languages,
            worship=tuple(spec.get("worship", ())),
        )


def _speaker_terms(languages: Sequence[str]) -> tuple[str, ...]:
    """Language as the proxy for national origin: the people who speak it are the group, the
    bare language word is not ("Spanish style home", "English garden")."""
    forms = ("{} speaking", "{} speakers", "{} speaker", "non {} speaking", "non {} speakers")
    return tuple(form.format(language) for language in languages for form in forms) + tuple(
        f"native {language} speakers" for language in languages
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    protected_class: str
    pattern: re.Pattern[str]
    triggers: frozenset[str]
    """First words of the terms the pattern needs: without one of them it cannot match, so
    the regex is skipped (most text mentions no protected class at all)."""


@dataclass(slots=True)
class QueryRules:
    version: str
    classes: Mapping[str, _ProtectedClass]
    rules: list[_Rule]
    hopa: re.Pattern[str]
    explanations: Mapping[str, str]
    by_trigger: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, rule in enumerate(self.rules):
            for word in rule.triggers:
                self.by_trigger.setdefault(word, []).append(index)

    def evaluate(self, text: str, *, older_persons_housing: bool = False) -> ComplianceResult:
        normalized = normalize(text)
        words = set(TOKEN.findall(normalized))
        older_persons: bool | None = older_persons_housing or None  # looked up when needed
        hits: list[_Hit] = []
        candidates = sorted({i for word in words for i in self.by_trigger.get(word, ())})
        for rule in (self.rules[index] for index in candidates):
            match = rule.pattern.search(normalized)
            if match is None:
                continue
            if self.classes[rule.protected_class].hopa_exempt:
                if older_persons is None:
                    older_persons = bool(self.hopa.search(normalized))
                if older_persons:
                    continue
            hits.append(_Hit(rule.protected_class, match.start(), match.end(), rule.name))
        if not hits:
            return ComplianceResult(False, rules_version=self.version)
        found = tuple(self._reason(hit, normalized) for hit in _merge_overlaps(hits))
        labels = list(dict.fromkeys(reason.label for reason in found))
        message = self.explanations["refusal"].format(labels=_join(labels))
        return ComplianceResult(True, found, message, self.version)

    def _reason(self, hit: _Hit, normalized: str) -> ComplianceReason:
        protected = self.classes[hit.protected_class]
        return ComplianceReason(
            protected_class=protected.key,
            label=protected.label,
            matched=normalized[hit.start : hit.end].strip(),
            rule=hit.rule,
            explanation=self._explain(protected),
        )

    def _explain(self, protected: _ProtectedClass) -> str:
        text = self.explanations["steering"].format(label=protected.label, law=protected.law)
        if protected.hopa_exempt:
            text += " " + self.explanations["hopa"]
        return text


@dataclass(frozen=True, slots=True)
class _Hit:
    protected_class: str
    start: int
    end: int
    rule: str


def _merge_overlaps(hits: list[_Hit]) -> list[_Hit]:
    """One reason per phrase: overlapping matches of one class ("mostly white" and "white
    area" in "mostly white area") become one hit spanning both, named by its longest rule."""
    merged: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.protected_class, h.start, -h.end)):
        last = merged[-1] if merged else None
        if last is None or last.protected_class != hit.protected_class or hit.start >= last.end:
            merged.append(hit)
            continue
        longer = hit if hit.end - hit.start > last.end - last.start else last
        merged[-1] = _Hit(last.protected_class, last.start, max(last.end, hit.end), longer.rule)
    return sorted(merged, key=lambda h: h.start)


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """The shared word lists as regex alternations, ready to be combined with a class's terms."""

    people: str
    subjects: str  # who a neighborhood is made of, never the buyer's own household
    areas: str
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
    def from_lists(cls, raw: Mapping[str, Any]) -> _Vocabulary:
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
            areas=any_phrase(areas),
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


def _away_patterns(terms: str, protected: _ProtectedClass, v: _Vocabulary) -> Patterns:
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


def _toward_patterns(terms: str, protected: _ProtectedClass, v: _Vocabulary) -> Patterns:
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
            rf"{v.areas}\s+(?:with|that\s+has|that\s+have|where\s+there\s+are)\s+"
            rf"(?:(?:other|more|some)\s+)?{terms}{v.not_amenity}",
        ),
        ("where_they_live", rf"{_WHERE}{terms}(?:\s+{v.people})?{_LIVE}"),
        (
            # The group itself, not a place named after it ("near other Korean families", not
            # "near a Korean restaurant" or "close to the children's museum").
            "near_group",
            rf"(?:near|close\s+to|next\s+to|among|surrounded\s+by)\s+(?:(?:other|more|fellow)\s+)?"
            rf"{terms}(?=\s*(?:$|[,.;:!?]|{v.people}|(?:in|please)\b))",
        ),
        (
            "live_among",
            rf"(?:live|living|lives)\s+(?:{among})\s+(?:(?:other|more|fellow)\s+)?{terms}"
            rf"{v.not_amenity}",
        ),
    ]


def _language_patterns(languages: str, v: _Vocabulary) -> Patterns:
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


def _worship_patterns(worship: str, v: _Vocabulary) -> Patterns:
    """(rule name, pattern): whether the neighbors worship, not where a place of worship is."""
    return [
        (
            "neighbors_worship",
            rf"{v.subjects}{_WHO}(?:(?:all|mostly|regularly|still|actually)\s+)?"
            rf"(?:go|goes|attend|attends|going|attending)\s+(?:to\s+)?"
            rf"(?:(?:the\s+same|a|the|one)\s+)?{worship}",
        )
    ]


def _colour_patterns(colours: str, v: _Vocabulary) -> Patterns:
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


def _class_rules(protected: _ProtectedClass, v: _Vocabulary) -> list[_Rule]:
    def compiled(patterns: Patterns, words: Sequence[str]) -> list[_Rule]:
        triggers = first_words(words)
        return [
            _Rule(name, protected.key, re.compile(pattern), triggers) for name, pattern in patterns
        ]

    rules: list[_Rule] = []
    if protected.terms:
        terms = any_phrase(protected.terms)
        patterns = _away_patterns(terms, protected, v)
        if protected.direction == "both":
            patterns += _toward_patterns(terms, protected, v)
        rules += compiled(patterns, protected.terms)
    if protected.ambiguous_terms:
        colours = _colour_patterns(any_phrase(protected.ambiguous_terms), v)
        rules += compiled(colours, protected.ambiguous_terms)
    if protected.languages:
        spoken = _language_patterns(any_phrase(protected.languages), v)
        rules += compiled(spoken, protected.languages)
    if protected.worship:
        rules += compiled(_worship_patterns(any_phrase(protected.worship), v), protected.worship)
    return rules


def _build_query_rules(raw: Mapping[str, Any]) -> QueryRules:
    classes = {key: _ProtectedClass.from_spec(key, spec) for key, spec in raw["classes"].items()}
    vocabulary = _Vocabulary.from_lists(raw)
    rules = [rule for protected in classes.values() for rule in _class_rules(protected, vocabulary)]
    for entry in raw["coded_phrases"]:
        phrase = [entry["phrase"]]
        rules.append(
            _Rule(
                "coded_phrase", entry["class"], re.compile(any_phrase(phrase)), first_words(phrase)
            )
        )
    unknown = {rule.protected_class for rule in rules} - set(classes)
    if unknown:
        raise ValueError(f"{QUERY_RULES_FILE}: coded phrases name unknown classes {unknown}")
    return QueryRules(
        version=str(raw["version"]),
        classes=classes,
        rules=rules,
        hopa=re.compile(any_phrase(raw["hopa_markers"])),
        explanations=raw["explanations"],
    )


@functools.cache
def query_rules() -> QueryRules:
    return _build_query_rules(load_rules(QUERY_RULES_FILE))
