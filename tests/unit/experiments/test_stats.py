"""Results maths against values worked out by hand (and checked with published calculators)."""

from __future__ import annotations

import math

import pytest

from copilot_api.experiments.stats import (
    Z_95,
    normal_two_sided_p,
    two_proportion_z_test,
    wilson_interval,
)


def test_wilson_interval_45_of_100() -> None:
    # p = 0.45, n = 100, z^2 = 3.841459
    # centre = (0.45 + 3.841459/200) / (1 + 3.841459/100) = 0.469207 / 1.038415 = 0.451849
    # half   = 1.959964 * sqrt(0.45*0.55/100 + 3.841459/40000) / 1.038415
    #        = 1.959964 * 0.050705 / 1.038415 = 0.095703
    interval = wilson_interval(45, 100)
    assert interval is not None
    assert interval.low == pytest.approx(0.451849 - 0.095703, abs=1e-5)  # 0.356146
    assert interval.high == pytest.approx(0.451849 + 0.095703, abs=1e-5)  # 0.547552


def test_wilson_interval_at_the_edges() -> None:
    # 0 of 10: centre = half = (z^2/20) / (1 + z^2/10) = 0.192073 / 1.384146 = 0.138766
    zero = wilson_interval(0, 10)
    assert zero is not None
    assert zero.low == 0.0
    assert zero.high == pytest.approx(0.277532, abs=1e-5)
    # 10 of 10 mirrors it.
    full = wilson_interval(10, 10)
    assert full is not None
    assert full.low == pytest.approx(1 - 0.277532, abs=1e-5)
    assert full.high == 1.0
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="between 0 and trials"):
        wilson_interval(11, 10)


def test_two_proportion_z_test_10_vs_13_percent() -> None:
    # control 100/1000 = 0.10, treatment 130/1000 = 0.13
    # pooled = 230/2000 = 0.115; se = sqrt(0.115 * 0.885 * (1/1000 + 1/1000)) = 0.0142671
    # z = 0.03 / 0.0142671 = 2.10274; two-sided p = 2 * (1 - Phi(2.10274)) = 0.035485
    test = two_proportion_z_test(100, 1000, 130, 1000)
    assert test is not None
    assert test.difference == pytest.approx(0.03)
    assert test.z == pytest.approx(2.10274, abs=1e-4)
    assert test.p_value == pytest.approx(0.035485, abs=1e-4)


def test_z_test_is_symmetric_and_undefined_without_variance() -> None:
    forward = two_proportion_z_test(100, 1000, 130, 1000)
    backward = two_proportion_z_test(130, 1000, 100, 1000)
    assert forward is not None
    assert backward is not None
    assert backward.z == pytest.approx(-forward.z)
    assert backward.p_value == pytest.approx(forward.p_value)
    assert two_proportion_z_test(0, 50, 0, 80) is None  # both at 0 %
    assert two_proportion_z_test(5, 0, 1, 10) is None  # a group without users
    same = two_proportion_z_test(30, 100, 30, 100)
    assert same is not None
    assert (same.z, same.p_value) == (0.0, 1.0)


def test_normal_tail() -> None:
    assert normal_two_sided_p(Z_95) == pytest.approx(0.05, abs=1e-9)
    assert normal_two_sided_p(0) == 1.0
    assert normal_two_sided_p(-3) == pytest.approx(2 * (1 - 0.998650), abs=1e-6)
    assert math.isclose(normal_two_sided_p(1.0), 0.317311, abs_tol=1e-6)
