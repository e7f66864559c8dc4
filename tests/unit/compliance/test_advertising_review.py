"""The fair-housing review of generated text: neutral rewrites, removals and flags."""

from __future__ import annotations

import pytest

from copilot_api.compliance.advertising_review import review_generated_text


def _rules(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [finding.rule for finding in findings]


def test_clean_text_comes_back_unchanged() -> None:
    text = (
        "Welcome to this 3-bedroom home in Austin, TX. The primary suite has a walk-in closet.\n"
        "\nHighlights include a two-car garage and a private pool. Walking distance to the park."
    )
    assert review_generated_text(text) == (text, [])


@pytest.mark.parametrize(
    ("text", "expected", "rule"),
    [
        ("Perfect for a young couple.", "Perfect for many lifestyles.", "audience_preference"),
        ("Ideal for singles!", "Ideal for many lifestyles!", "audience_preference"),
        ("Empty nesters will love it.", "You will love it.", "audience_will_love"),
        ("Huge master bedroom.", "Huge primary bedroom.", "master_bedroom"),
        ("Master suite upstairs.", "Primary suite upstairs.", "master_bedroom"),
        ("His and hers closets.", "Dual closets.", "his_and_hers"),
        ("A true bachelor pad.", "A true stylish retreat.", "bachelor_pad"),
        (
            "In an exclusive neighborhood.",
            "In an established neighborhood.",
            "exclusive_neighborhood",
        ),
        ("Quiet family neighborhood.", "Quiet welcoming neighborhood.", "family_neighborhood"),
        ("Handicapped accessible entry.", "Accessible entry.", "handicapped_accessible"),
        ("Handicap parking in front.", "Accessible parking in front.", "handicapped"),
        ("A gentleman's farm on 10 acres.", "A hobby farm on 10 acres.", "gentlemans_farm"),
    ],
)
def test_phrases_are_rewritten_neutrally(text: str, expected: str, rule: str) -> None:
    rewritten, findings = review_generated_text(text)
    assert rewritten == expected
    assert _rules(findings) == [rule]
    assert findings[0].action == "rewritten"
    assert findings[0].matched.lower() in text.lower()


@pytest.mark.parametrize(
    "sentence",
    [
        "No children allowed.",
        "Adults only building.",
        "Must be able-bodied to manage the stairs.",
        "Located in a Christian neighborhood.",
        "No Section 8.",
        "English speakers only.",
        "Best suited to a mature couple.",
    ],
)
def test_sentences_that_limit_who_may_live_there_are_removed(sentence: str) -> None:
    text = f"Bright 2-bedroom condo. {sentence} Schedule a showing today."
    rewritten, findings = review_generated_text(text)
    assert rewritten == "Bright 2-bedroom condo. Schedule a showing today."
    assert [finding.action for finding in findings] == ["removed"]
    assert findings[0].severity == "violation"


def test_risky_claims_are_flagged_not_changed() -> None:
    text = "Quiet home on a safe street."
    rewritten, findings = review_generated_text(text)
    assert rewritten == text
    assert [(finding.rule, finding.action) for finding in findings] == [
        ("safe_neighborhood", "flagged")
    ]


def test_older_persons_housing_may_say_adults_only() -> None:
    text = "Adults only community. Clubhouse and pool."
    assert review_generated_text(text)[0] == "Clubhouse and pool."
    rewritten, findings = review_generated_text(text, housing_for_older_persons=True)
    assert rewritten == text
    assert findings == []
    # A 55+ claim on a listing not known to be HOPA housing is flagged for review.
    flagged = review_generated_text("A 55+ community with a clubhouse.")[1]
    assert _rules(flagged) == ["older_persons_claim"]


def test_layout_numbers_and_lists_survive_a_review() -> None:
    text = (
        "Subject: 2 homes\n\nHi Dana,\n\nPerfect for a growing family. Priced at $1.5 million.\n"
        "\n1. 12 Oak Ln — $425,000 · 3 bd\n2. 9 Elm St — $410,000 · 0.25-acre lot"
    )
    rewritten, findings = review_generated_text(text)
    assert rewritten == text.replace("Perfect for a growing family", "Perfect for many lifestyles")
    assert _rules(findings) == ["audience_preference"]


def test_a_finding_serialises() -> None:
    _, findings = review_generated_text("Master bedroom.")
    assert findings[0].as_dict() == {
        "rule": "master_bedroom",
        "protected_class": "sex",
        "severity": "style",
        "action": "rewritten",
        "matched": "Master bedroom",
        "replacement": "Primary bedroom",
        "explanation": findings[0].explanation,
    }
