"""Advertising review: fair-housing review of generated listing text, CMAs and emails.

Every sentence is first screened with the query rules (`query_screening`): a sentence that
steers by a protected class is removed. Then phrase rules from HUD advertising guidance
(`advertising_review.yaml`, next to this module) rewrite audience phrases neutrally ("perfect
for a young couple" -> "perfect for many lifestyles", "master bedroom" -> "primary bedroom") or
flag them for a person to review.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from copilot_api.compliance.phrases import TOKEN, load_rules
from copilot_api.compliance.query_screening import QueryRules, query_rules

TEXT_RULES_FILE = "advertising_review.yaml"

Action = Literal["rewritten", "removed", "flagged"]


@dataclass(frozen=True, slots=True)
class TextFinding:
    rule: str
    protected_class: str
    severity: str
    action: Action
    matched: str
    replacement: str | None
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def review_generated_text(
    text: str, *, housing_for_older_persons: bool = False
) -> tuple[str, list[TextFinding]]:
    """Pure: the text with steering sentences removed and risky phrases rewritten, and what was
    found. `housing_for_older_persons`: the listing is HOPA housing (55+/62+), where age limits
    and "adults only" are lawful."""
    return text_rules().review(text, housing_for_older_persons=housing_for_older_persons)


@dataclass(frozen=True, slots=True)
class _TextRule:
    id: str
    pattern: re.Pattern[str]
    action: Literal["rewrite", "remove_sentence", "flag"]
    replacement: str | None
    severity: str
    protected_class: str
    explanation: str
    unless_older_persons_housing: bool
    keywords: frozenset[str]


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])(\s+)")


@dataclass(slots=True)
class TextRules:
    version: str
    rules: list[_TextRule]
    queries: QueryRules

    def review(
        self, text: str, *, housing_for_older_persons: bool
    ) -> tuple[str, list[TextFinding]]:
        findings: list[TextFinding] = []
        lines = [
            self._review_line(line, findings, housing_for_older_persons)
            for line in text.split("\n")
        ]
        cleaned = "\n".join(lines)
        cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip()
        return cleaned, findings

    def _review_line(self, line: str, findings: list[TextFinding], older: bool) -> str:
        # Split after . ! ? followed by whitespace, keeping the whitespace: "$1.5 million" and
        # "0.25-acre" stay whole, and the surviving sentences keep their original spacing.
        parts = _SENTENCE_BREAK.split(line)
        kept: list[str] = []
        for index in range(0, len(parts), 2):
            sentence = parts[index]
            spacing = parts[index + 1] if index + 1 < len(parts) else ""
            if sentence.strip():
                sentence = self._review_sentence(sentence, findings, older)
                if not sentence:
                    continue
            kept.append(sentence + spacing)
        joined = "".join(kept)
        return joined if line[-1:].isspace() else joined.rstrip()

    def _review_sentence(self, sentence: str, findings: list[TextFinding], older: bool) -> str:
        steering = self.queries.evaluate(sentence, older_persons_housing=older)
        if steering.blocked:
            reason = steering.reasons[0]
            findings.append(
                TextFinding(
                    rule=f"steering:{reason.rule}",
                    protected_class=reason.protected_class,
                    severity="violation",
                    action="removed",
                    matched=reason.matched,
                    replacement=None,
                    explanation=f"Selects by {reason.label}; the sentence was removed.",
                )
            )
            return ""
        words = set(TOKEN.findall(sentence.lower()))
        for rule in self.rules:
            if rule.keywords.isdisjoint(words):
                continue  # the rule cannot match: skip its regex (most sentences hit none)
            if older and rule.unless_older_persons_housing:
                continue
            match = rule.pattern.search(sentence.lower())
            if match is None:
                continue
            original = sentence[match.start() : match.end()]
            if rule.action == "remove_sentence":
                findings.append(self._finding(rule, "removed", original, None))
                return ""
            if rule.action == "flag":
                findings.append(self._finding(rule, "flagged", original, None))
                continue
            sentence = self._rewrite(rule, sentence, findings)
        return sentence

    def _rewrite(self, rule: _TextRule, sentence: str, findings: list[TextFinding]) -> str:
        assert rule.replacement is not None
        pieces: list[str] = []
        position = 0
        lowered = sentence.lower()
        for match in rule.pattern.finditer(lowered):
            original = sentence[match.start() : match.end()]
            replacement = _keep_case(original, match.expand(rule.replacement))
            findings.append(self._finding(rule, "rewritten", original, replacement))
            pieces.extend([sentence[position : match.start()], replacement])
            position = match.end()
        pieces.append(sentence[position:])
        return "".join(pieces)

    @staticmethod
    def _finding(
        rule: _TextRule, action: Action, matched: str, replacement: str | None
    ) -> TextFinding:
        return TextFinding(
            rule=rule.id,
            protected_class=rule.protected_class,
            severity=rule.severity,
            action=action,
            matched=matched,
            replacement=replacement,
            explanation=rule.explanation,
        )


def _keep_case(original: str, replacement: str) -> str:
    collapsed = re.sub(r"\s+", " ", replacement).strip()
    if original[:1].isupper():
        return collapsed[:1].upper() + collapsed[1:]
    return collapsed


def _build_text_rules(raw: Mapping[str, Any], queries: QueryRules) -> TextRules:
    rules = []
    for entry in raw["rules"]:
        action = entry["action"]
        if action not in {"rewrite", "remove_sentence", "flag"}:
            raise ValueError(f"{TEXT_RULES_FILE}: rule {entry['id']} has unknown action {action}")
        if action == "rewrite" and not entry.get("replacement"):
            raise ValueError(f"{TEXT_RULES_FILE}: rewrite rule {entry['id']} needs a replacement")
        if entry["protected_class"] not in queries.classes:
            raise ValueError(f"{TEXT_RULES_FILE}: rule {entry['id']} names an unknown class")
        rules.append(
            _TextRule(
                id=entry["id"],
                pattern=re.compile(entry["pattern"]),
                action=action,
                replacement=entry.get("replacement"),
                severity=entry["severity"],
                protected_class=entry["protected_class"],
                explanation=entry["explanation"],
                unless_older_persons_housing=bool(entry.get("unless_older_persons_housing", False)),
                keywords=frozenset(str(word) for word in entry["keywords"]),
            )
        )
    return TextRules(version=str(raw["version"]), rules=rules, queries=queries)


@functools.cache
def text_rules() -> TextRules:
    return _build_text_rules(load_rules(TEXT_RULES_FILE), query_rules())
