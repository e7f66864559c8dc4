"""Sticky, deterministic assignment: a hash of (experiment, user) picks the variant.

The same user always gets the same variant of an experiment, in every worker and task, with no
lookup. Different experiments hash independently, so being in variant B of one experiment says
nothing about another. Changing the weights of a running experiment moves some users between
variants; start a new experiment (new id) instead.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from itertools import accumulate

from copilot_api.experiments.config import Experiment

_SCALE = float(2**64)


def bucket(experiment_id: str, user_id: str) -> float:
    """A uniform point in [0, 1) fixed by the pair."""
    digest = hashlib.sha256(f"{experiment_id}\x1f{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign(experiment: Experiment, user_id: str) -> str:
    weights = [variant.weight for variant in experiment.variants]
    bounds = list(accumulate(weights))
    point = bucket(experiment.id, user_id) * bounds[-1]
    index = min(bisect_right(bounds, point), len(bounds) - 1)
    return experiment.variants[index].name
