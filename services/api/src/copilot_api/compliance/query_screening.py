"""Query screening: refusing search queries that steer by a protected class.

`check_query` is pure; `guard_query` also logs a compliance event. The line drawn is between
describing the home and choosing the people. A query is refused when it asks for more or fewer
people of a protected class (race, color, religion, sex, disability, familial status, national
origin, plus the common state additions: source of income, age, marital status, sexual
orientation and gender identity, military status), toward a group as firmly as away from it and
with the same answer: "the Catholic part of town" and "no Catholics nearby", "where English is
everyone's first language" and "neighbors who don't speak English", "a building for women" and
"no men". Describing the property, its features or what is nearby passes: "wheelchair
accessible", "family room", "near an elementary school", "55+ community".

Patterns are built over each class's vocabulary in `query_screening.yaml` (religions,
nationalities, languages, races, household words), so covering a new group is one word there.

Rule choices worth knowing (each is a judgment, documented so it can be revisited):
- Places of worship are amenities: "walk to church", "near St. Mary's church", "close to a
  synagogue" pass. HUD's 1995 advertising guidance warns about religious *preferences*
  ("Christian home"), not about naming nearby places. Whether the *neighbors* worship is
  refused: "where most families go to church", "god-fearing community".
- Language is the proxy for national origin, counted only about people: "Spanish speaking
  neighbors", "where everyone speaks Korean", "where English is the first language" are
  refused; "Spanish style home", "English garden", "an agent who speaks Spanish" pass.
- Household words (kids, families, women, veterans, couples) describe the buyer's own home too
  ("a home for a growing family", "room for my kids"), so for those classes a group counts only
  with shared places (building, street, area) or people ("a building for women", "a street full
  of kids", "female tenants"). Population words (Catholic, Korean, Latino) count with any place,
  including a single home ("Christian home").
- Ambiguous colour words ("white", "black", "brown") count only next to a word about people or
  an area ("white neighborhood", "mostly white", "black neighbors"), never as colours of things
  ("white kitchen", "black granite") or in place names ("Black Mountain", "White Plains").
- "<group> community center / school / restaurant / market" is an amenity, not a population.
- Housing for older persons (HOPA, 55+/62+): with such a marker in the query, limits by age or
  on children ("55+ community, no kids") are lawful and pass. Never race or religion.
- Source of income is refused one way only: "no Section 8" is steering, "accepts Section 8" is
  what a voucher holder searches for.
- A buyer describing their own household ("for my kids", "room for a growing family",
  "kid-friendly yard", "family-friendly") passes; asking about how many children, families,
  retirees... live somewhere ("lots of young families", "few kids") is refused: it is the
  demographic question agents are trained not to answer.
- "Racially diverse" / "integrated" are refused too: any request about the racial make-up of a
  neighborhood is steering, whichever way it points.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from copilot_api.compliance.phrases import TOKEN, any_phrase, first_words, load_rules, normalize
from copilot_api.compliance.steering_patterns import ProtectedClass, Rule, Vocabulary, class_rules
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


@dataclass(slots=True)
class QueryRules:
    version: str
    classes: Mapping[str, ProtectedClass]
    rules: list[Rule]
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

    def _explain(self, protected: ProtectedClass) -> str:
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


def build_query_rules(raw: Mapping[str, Any]) -> QueryRules:
    """Compiled rules from the parsed rule file; a malformed file raises naming itself."""
    try:
        classes = {key: ProtectedClass.from_spec(key, spec) for key, spec in raw["classes"].items()}
    except ValueError as error:
        raise ValueError(f"{QUERY_RULES_FILE}: {error}") from error
    vocabulary = Vocabulary.from_lists(raw)
    rules = [rule for protected in classes.values() for rule in class_rules(protected, vocabulary)]
    for entry in raw["coded_phrases"]:
        phrase = [entry["phrase"]]
        rules.append(
            Rule(
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
    return build_query_rules(load_rules(QUERY_RULES_FILE))
