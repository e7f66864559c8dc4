"""The statistics of an A/B result: Wilson intervals and the two-proportion z-test.

Pure functions on counts, so the maths is testable against values worked out by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ZTest:
    difference: float
    """Treatment rate minus control rate."""
    z: float
    p_value: float
    """Two-sided."""


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> Interval | None:
    """The Wilson score interval for a binomial proportion; None with no trials.

    Unlike the normal (Wald) interval it stays inside [0, 1] and behaves at 0 or n successes
    and for small n, which early in an experiment is the common case.
    """
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0 or n successes the bound is exactly 0 or 1; say so rather than 0.9999999999999999.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(low, high)


def two_proportion_z_test(
    control_successes: int, control_trials: int, successes: int, trials: int
) -> ZTest | None:
    """Pooled two-proportion z-test of a treatment against the control; None when undefined
    (a group without trials, or both groups at 0 % or both at 100 %)."""
    if control_trials <= 0 or trials <= 0:
        return None
    p_control = control_successes / control_trials
    p_treatment = successes / trials
    pooled = (control_successes + successes) / (control_trials + trials)
    variance = pooled * (1 - pooled) * (1 / control_trials + 1 / trials)
    if variance <= 0:
        return None
    z = (p_treatment - p_control) / math.sqrt(variance)
    return ZTest(p_treatment - p_control, z, normal_two_sided_p(z))


def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2))
