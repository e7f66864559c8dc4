"""Sticky, deterministic assignment; the split follows the weights."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from copilot_api.experiments.assignment import assign, bucket
from copilot_api.experiments.config import Experiment

USERS = [f"user-{number}" for number in range(10_000)]
# Critical values of the chi-square distribution at alpha = 0.001 (df = 1, 2).
CHI2_CRITICAL_0_001 = {1: 10.828, 2: 13.816}


def _experiment(experiment_id: str, weights: dict[str, float]) -> Experiment:
    return Experiment.model_validate(
        {
            "id": experiment_id,
            "target": {"type": "prompt", "id": "listing_description"},
            "active": True,
            "variants": [{"name": name, "weight": weight} for name, weight in weights.items()],
        }
    )


def test_assignment_is_sticky_and_deterministic() -> None:
    experiment = _experiment("style", {"narrative": 1, "highlights": 1})
    first = [assign(experiment, user) for user in USERS[:500]]
    # Same answer on every call and from a freshly built definition (another worker, a restart).
    rebuilt = _experiment("style", {"narrative": 1, "highlights": 1})
    assert [assign(rebuilt, user) for user in USERS[:500]] == first
    assert [assign(experiment, user) for user in USERS[:500]] == first


def test_experiments_assign_independently() -> None:
    one = _experiment("one", {"a": 1, "b": 1})
    two = _experiment("two", {"a": 1, "b": 1})
    same = sum(assign(one, user) == assign(two, user) for user in USERS)
    assert 4_700 < same < 5_300  # ~50 % agreement: no correlation between experiments


def test_buckets_are_uniform_in_unit_interval() -> None:
    points = [bucket("exp", user) for user in USERS]
    assert all(0 <= point < 1 for point in points)
    deciles = Counter(int(point * 10) for point in points)
    assert all(900 < deciles[decile] < 1_100 for decile in range(10))


@pytest.mark.parametrize(
    "weights",
    [
        {"control": 50, "treatment": 50},
        {"control": 90, "treatment": 10},
        {"control": 50, "b": 30, "c": 20},
    ],
)
def test_split_matches_weights_within_chi_square_tolerance(weights: dict[str, float]) -> None:
    experiment = _experiment("split_" + "_".join(weights), weights)
    counts = Counter(assign(experiment, user) for user in USERS)
    total = sum(weights.values())
    statistic = sum(
        (counts[name] - len(USERS) * weight / total) ** 2 / (len(USERS) * weight / total)
        for name, weight in weights.items()
    )
    degrees = len(weights) - 1
    assert statistic < CHI2_CRITICAL_0_001[degrees], (counts, statistic)
    # Sanity: the p-value computed exactly for these degrees of freedom agrees.
    p_value = math.erfc(math.sqrt(statistic / 2)) if degrees == 1 else math.exp(-statistic / 2)
    assert p_value > 0.001
