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
from typing import Any

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


@dataclass(frozen=True, slots=True)
class _ProtectedClass:
    key: str
    label: str
    law: str
    composition: bool
    hopa_exempt: bool
    density: bool
    terms: tuple[str, ...]
    ambiguous_terms: tuple[str, ...]


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
        reasons: dict[tuple[str, str], ComplianceReason] = {}
        candidates = sorted({i for word in words for i in self.by_trigger.get(word, ())})
        for rule in (self.rules[index] for index in candidates):
            match = rule.pattern.search(normalized)
            if match is None:
                continue
            protected = self.classes[rule.protected_class]
            if protected.hopa_exempt:
                if older_persons is None:
                    older_persons = bool(self.hopa.search(normalized))
                if older_persons:
                    continue
            matched = match.group(0).strip()
            key = (protected.key, matched)
            if key not in reasons:
                reasons[key] = ComplianceReason(
                    protected_class=protected.key,
                    label=protected.label,
                    matched=matched,
                    rule=rule.name,
                    explanation=self._explain(protected),
                )
        if not reasons:
            return ComplianceResult(False, rules_version=self.version)
        found = tuple(reasons.values())
        labels = list(dict.fromkeys(reason.label for reason in found))
        message = self.explanations["refusal"].format(labels=_join(labels))
        return ComplianceResult(True, found, message, self.version)

    def _explain(self, protected: _ProtectedClass) -> str:
        text = self.explanations["steering"].format(label=protected.label, law=protected.law)
        if protected.hopa_exempt:
            text += " " + self.explanations["hopa"]
        return text


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """The shared word lists as regex alternations, ready to be combined with a class's terms."""

    people: str
    nouns_all: str  # people, places and physical places ("christian home")
    nouns_area: str  # people and places, not buildings ("white neighborhood", not "white house")
    places_all: str
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
        people, places = raw["people_nouns"], raw["place_nouns"]
        physical = raw["physical_place_nouns"]
        nouns_area = any_phrase([*people, *places])
        return cls(
            people=any_phrase(people),
            nouns_all=any_phrase([*people, *places, *physical]),
            nouns_area=nouns_area,
            places_all=any_phrase([*places, *physical]),
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
_WHO_IS = r"\s+(?:who|that|which|where)\s+"
_WHERE = r"where\s+(?:(?:the|most|all|other|only)\s+)?"
_LIVE = r"\s+(?:live|lives|reside|resides|are)\b"


def _term_patterns(terms: str, protected: _ProtectedClass, v: _Vocabulary) -> list[tuple[str, str]]:
    """(rule name, pattern) for a class's unambiguous terms."""
    quantifiers = (
        v.compositions
        if protected.composition
        else v.density
        if protected.density
        else v.exclusions
    )
    patterns = [
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
    if protected.composition:
        patterns += [
            ("composition", rf"{terms}\s+{_LINKER}{v.nouns_all}{v.not_amenity}"),
            ("relative", rf"{v.nouns_all}{_WHO_IS}{v.being}\s+{v.degree}{terms}"),
            ("for_group", rf"{v.places_all}\s+(?:just\s+|only\s+)?for\s+{terms}"),
            ("where_they_live", rf"{_WHERE}{terms}(?:\s+{v.people})?{_LIVE}"),
            (
                "live_among",
                rf"(?:live|living|lives)\s+(?:near|with|among|around|next\s+to|by)\s+"
                rf"(?:(?:other|more|fellow)\s+)?{terms}{v.not_amenity}",
            ),
        ]
    return patterns


def _colour_patterns(colours: str, v: _Vocabulary) -> list[tuple[str, str]]:
    """(rule name, pattern) for ambiguous colour words: only next to people or places."""
    return [
        ("composition", rf"{colours}\s+{_LINKER}{v.nouns_area}{v.not_amenity}"),
        ("exclusion", rf"{v.compositions}\s+(?:the\s+)?{colours}{v.colour_context}"),
        ("only", rf"{colours}\s+{v.only}"),
        ("relative", rf"{v.nouns_all}{_WHO_IS}{v.being}\s+{v.degree}{colours}{v.colour_context}"),
        ("where_they_live", rf"{_WHERE}{colours}\s+{v.people}{_LIVE}"),
    ]


def _build_query_rules(raw: Mapping[str, Any]) -> QueryRules:
    classes = {
        key: _ProtectedClass(
            key=key,
            label=spec["label"],
            law=spec["law"],
            composition=bool(spec.get("composition", False)),
            hopa_exempt=bool(spec.get("hopa_exempt", False)),
            density=bool(spec.get("density", False)),
            terms=tuple(spec.get("terms", ())),
            ambiguous_terms=tuple(spec.get("ambiguous_terms", ())),
        )
        for key, spec in raw["classes"].items()
    }
    vocabulary = _Vocabulary.from_lists(raw)
    rules: list[_Rule] = []
    for protected in classes.values():
        if protected.terms:
            triggers = first_words(protected.terms)
            for name, pattern in _term_patterns(any_phrase(protected.terms), protected, vocabulary):
                rules.append(_Rule(name, protected.key, re.compile(pattern), triggers))
        if protected.composition and protected.ambiguous_terms:
            triggers = first_words(protected.ambiguous_terms)
            for name, pattern in _colour_patterns(
                any_phrase(protected.ambiguous_terms), vocabulary
            ):
                rules.append(_Rule(name, protected.key, re.compile(pattern), triggers))
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
