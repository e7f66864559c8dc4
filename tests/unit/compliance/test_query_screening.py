"""The fair-housing guard on incoming queries: refusal and over-refusal rates, and the rules."""

from __future__ import annotations

import logging
import time

import pytest

from copilot_api.compliance.phrases import load_rules, normalize
from copilot_api.compliance.query_screening import (
    QUERY_RULES_FILE,
    REFUSAL_EVENT,
    build_query_rules,
    check_query,
    guard_query,
    query_rules,
)
from tests.unit.compliance.phrasings import (
    LAWFUL,
    LAWFUL_LOOK_ALIKES,
    STEERING,
    STEERING_BY_DIRECTION,
)

MIN_REFUSAL_RATE = 0.95
MAX_OVER_REFUSAL_RATE = 0.05


def test_the_labelled_sets_are_large_enough() -> None:
    assert len(STEERING) >= 40
    assert len(LAWFUL) >= 40
    assert not set(STEERING) & set(LAWFUL)


def test_refusal_rate_on_the_steering_set() -> None:
    missed = [query for query in STEERING if not check_query(query).blocked]
    rate = 1 - len(missed) / len(STEERING)
    assert rate >= MIN_REFUSAL_RATE, f"refusal rate {rate:.1%}; let through: {missed}"


def test_over_refusal_rate_on_the_lawful_set() -> None:
    refused = {
        query: [reason.matched for reason in result.reasons]
        for query in LAWFUL
        if (result := check_query(query)).blocked
    }
    rate = len(refused) / len(LAWFUL)
    assert rate <= MAX_OVER_REFUSAL_RATE, f"over-refusal rate {rate:.1%}; refused: {refused}"


@pytest.mark.parametrize(("query", "protected_class", "direction"), STEERING_BY_DIRECTION)
def test_steering_is_refused_in_both_directions(
    query: str, protected_class: str, direction: str
) -> None:
    result = check_query(query)
    assert result.blocked, f"{direction} steering let through"
    assert protected_class in {reason.protected_class for reason in result.reasons}


def test_every_class_is_tested_toward_and_away() -> None:
    tested = {(protected, direction) for _, protected, direction in STEERING_BY_DIRECTION}
    classes = set(query_rules().classes)
    away_only = {key for key, spec in query_rules().classes.items() if spec.direction == "away"}
    assert away_only == {"source_of_income"}
    expected = {(key, "away") for key in classes} | {(key, "toward") for key in classes - away_only}
    assert expected <= tested, f"untested: {sorted(expected - tested)}"
    assert not {query for query, _, _ in STEERING_BY_DIRECTION} & set(LAWFUL_LOOK_ALIKES)


@pytest.mark.parametrize("query", LAWFUL_LOOK_ALIKES)
def test_lawful_look_alikes_are_served(query: str) -> None:
    result = check_query(query)
    assert not result.blocked, [reason.matched for reason in result.reasons]


def test_toward_and_away_refusals_have_the_same_shape() -> None:
    toward = check_query("the catholic part of town").as_dict()
    away = check_query("no catholics nearby").as_dict()
    assert toward["message"] == away["message"]
    assert toward["reasons"][0]["explanation"] == away["reasons"][0]["explanation"]
    assert set(toward["reasons"][0]) == set(away["reasons"][0])
    assert "toward or away" in toward["message"]


def test_language_is_a_proxy_only_about_people() -> None:
    assert check_query("neighbors who speak vietnamese").blocked
    assert check_query("mostly spanish speaking area").blocked
    assert check_query("where portuguese is the first language").blocked
    assert not check_query("spanish colonial with a courtyard").blocked
    assert not check_query("agent whose first language is spanish").blocked


def test_overlapping_matches_of_one_class_are_one_reason() -> None:
    reasons = check_query("mostly white area").reasons
    assert [(reason.protected_class, reason.matched) for reason in reasons] == [
        ("race_color", "mostly white area")
    ]


@pytest.mark.parametrize(
    "query", ["55+ community", "wheelchair accessible", "near an elementary school", "family room"]
)
def test_the_issue_lawful_examples_pass(query: str) -> None:
    assert check_query(query).blocked is False


@pytest.mark.parametrize(
    ("query", "protected_class"),
    [
        ("no kids in the building", "familial_status"),
        ("a white neighborhood", "race_color"),
        ("christian area", "religion"),
        ("no section 8", "source_of_income"),
        ("women only building", "sex"),
        ("no wheelchairs", "disability"),
        ("mexican neighborhood", "national_origin"),
    ],
)
def test_a_refusal_names_the_protected_class(query: str, protected_class: str) -> None:
    result = check_query(query)
    assert result.blocked
    assert [reason.protected_class for reason in result.reasons] == [protected_class]
    body = result.as_dict()
    assert set(body) == {"blocked", "reasons", "message", "rules_version"}
    assert body["reasons"][0]["matched"] in normalize(query)
    assert "fair-housing" in body["message"].lower()
    assert "price" in body["message"]  # it says what can be searched instead


def test_a_passing_query_carries_an_empty_result() -> None:
    assert check_query("3 bed house with a pool").as_dict() == {
        "blocked": False,
        "reasons": [],
        "message": None,
        "rules_version": check_query("x").rules_version,
    }


def test_housing_for_older_persons_may_exclude_children() -> None:
    assert check_query("no kids").blocked
    assert not check_query("55+ community, no kids").blocked
    assert check_query("adults only building").blocked
    assert not check_query("55 and over adults only community").blocked
    # The exemption covers age and children only, never race.
    assert check_query("55+ community in a white neighborhood").blocked


def test_colour_words_count_only_about_people_or_places() -> None:
    assert not check_query("white cabinets, black granite, brown brick").blocked
    assert not check_query("condo in White Plains").blocked
    assert check_query("mostly white, near downtown").blocked
    assert check_query("no black neighbors").blocked


def test_places_of_worship_are_amenities_but_religious_areas_are_not() -> None:
    assert not check_query("walk to church").blocked
    assert not check_query("close to a synagogue").blocked
    assert not check_query("near the jewish community center").blocked
    assert check_query("jewish community").blocked
    assert check_query("neighbors who are christian").blocked


def test_vouchers_accepted_passes_but_excluding_them_does_not() -> None:
    assert not check_query("rentals that accept section 8").blocked
    assert check_query("rentals that don't accept section 8").blocked
    assert check_query("section 8 not accepted").blocked


def test_input_is_normalized_before_matching() -> None:
    assert normalize("Kid-Free  Building!!") == "kid free building!!"
    assert check_query("KID-FREE building").blocked
    assert check_query("No   Section-8").blocked


def test_guard_logs_a_compliance_event_for_a_refusal_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="copilot.security"):
        refused = guard_query("no kids in the building", user_id="key_abc", ip_address="10.0.0.7")
        guard_query("family room near a park", user_id="key_abc")
    assert refused.blocked
    events = [record for record in caplog.records if hasattr(record, "security_event")]
    assert len(events) == 1
    event = events[0].security_event
    assert event["event_type"] == REFUSAL_EVENT
    assert event["user_id"] == "key_abc"
    assert event["ip_address"] == "10.0.0.7"
    assert event["protected_classes"] == ["familial_status"]
    assert event["matched"] == ["no kids"]


def test_checking_a_query_is_fast() -> None:
    queries = STEERING + LAWFUL + LAWFUL_LOOK_ALIKES
    queries += [query for query, _, _ in STEERING_BY_DIRECTION]
    check_query(queries[0])  # compiles the rules once
    started = time.perf_counter()
    for query in queries:
        check_query(query)
    per_query_ms = (time.perf_counter() - started) * 1000 / len(queries)
    assert per_query_ms < 5


def test_a_rule_file_with_an_unknown_direction_is_refused_by_name() -> None:
    raw = dict(load_rules(QUERY_RULES_FILE))
    raw["classes"] = {
        **raw["classes"],
        "religion": {**raw["classes"]["religion"], "direction": "in"},
    }
    with pytest.raises(ValueError, match=r"query_screening\.yaml: class religion: direction"):
        build_query_rules(raw)
