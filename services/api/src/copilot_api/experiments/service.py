"""Which variant a user gets, recording that they saw it, and the results of an experiment."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import Error as DatabaseError
from psycopg_pool import PoolTimeout

from copilot_api.ai.prompts import PromptRegistry
from copilot_api.experiments.assignment import assign
from copilot_api.experiments.config import Experiment, ExperimentConfigError
from copilot_api.experiments.stats import Z_95, two_proportion_z_test, wilson_interval
from copilot_api.experiments.store import ExperimentStore, VariantCounts

logger = logging.getLogger(__name__)

SIGNIFICANCE_LEVEL = 0.05
CONVERSION = (
    "A user converts when at least one of their executions in the experiment (in the variant "
    "they were assigned) received `accepted` feedback; `edited` and `rejected` do not count. "
    "Rates are per exposed user, the unit of assignment."
)


@dataclass(frozen=True, slots=True)
class Assignment:
    experiment_id: str
    variant: str
    is_control: bool


class ExperimentService:
    def __init__(self, experiments: Sequence[Experiment], store: ExperimentStore) -> None:
        self._experiments = {experiment.id: experiment for experiment in experiments}
        self._store = store
        self.observer: ExperimentObserver | None = None

    def all(self) -> list[Experiment]:
        return list(self._experiments.values())

    def get(self, experiment_id: str) -> Experiment | None:
        return self._experiments.get(experiment_id)

    def active_for(self, target_type: str, target_id: str) -> Experiment | None:
        for experiment in self._experiments.values():
            target = experiment.target
            if experiment.active and target.type == target_type and target.id == target_id:
                return experiment
        return None

    def assign(self, target_type: str, target_id: str, user_id: str | None) -> Assignment | None:
        """The variant by hash alone, no I/O. None: no active experiment or no user to stick to."""
        experiment = self.active_for(target_type, target_id)
        if experiment is None or not user_id:
            return None
        variant = assign(experiment, user_id)
        return Assignment(experiment.id, variant, variant == experiment.control)

    async def expose(
        self, target_type: str, target_id: str, user_id: str | None
    ) -> Assignment | None:
        """Assign and record the exposure. A user keeps the variant recorded at their first
        exposure even if the weights change later. Recording is best effort: a database error
        is logged and the request goes on with the hashed variant."""
        assignment = self.assign(target_type, target_id, user_id)
        if assignment is None or user_id is None:
            return None
        experiment = self._experiments[assignment.experiment_id]
        try:
            recorded = await self._store.record_exposure(
                assignment.experiment_id, user_id, assignment.variant
            )
        except (DatabaseError, PoolTimeout) as error:
            logger.warning("could not record exposure to %s: %s", assignment.experiment_id, error)
            recorded = assignment.variant
        if recorded != assignment.variant and recorded in experiment.variant_names:
            assignment = Assignment(experiment.id, recorded, recorded == experiment.control)
        if self.observer is not None:
            self.observer.experiment_assigned(assignment.experiment_id, assignment.variant)
        return assignment

    async def results(self, experiment: Experiment) -> dict[str, Any]:
        counts = await self._store.counts(experiment.id)
        control = counts.get(experiment.control, VariantCounts())
        names = [*experiment.variant_names, *sorted(set(counts) - set(experiment.variant_names))]
        variants = []
        for name in names:
            entry = counts.get(name, VariantCounts())
            variants.append(
                _variant_result(
                    name,
                    entry,
                    None if name == experiment.control else control,
                    retired=name not in experiment.variant_names,
                )
            )
        return {
            "experiment": experiment.describe(),
            "metric": {"conversion": CONVERSION, "confidence_level": 0.95},
            "significance_level": SIGNIFICANCE_LEVEL,
            "totals": {
                "users": sum(entry.users for entry in counts.values()),
                "exposures": sum(entry.exposures for entry in counts.values()),
                "conversions": sum(entry.conversions for entry in counts.values()),
            },
            "variants": variants,
            "generated_at": datetime.now(UTC).isoformat(),
        }

    def report(self) -> dict[str, Any]:
        active = [experiment for experiment in self._experiments.values() if experiment.active]
        return {
            "status": "healthy",
            "configured": len(self._experiments),
            "active": [
                {
                    "id": experiment.id,
                    "target": str(experiment.target),
                    "variants": list(experiment.variant_names),
                }
                for experiment in active
            ],
        }


def check_prompt_targets(experiments: Sequence[Experiment], prompts: PromptRegistry) -> None:
    """Every prompt experiment must name an existing prompt and existing variants of it."""
    problems = []
    for experiment in experiments:
        if experiment.target.type != "prompt":
            continue
        if experiment.target.id not in prompts:
            problems.append(f"{experiment.id}: no prompt template {experiment.target.id!r}")
            continue
        known = prompts.get(experiment.target.id).variants
        unknown = [name for name in experiment.variant_names if name not in known]
        if unknown:
            problems.append(
                f"{experiment.id}: prompt {experiment.target.id!r} has no variant "
                f"{', '.join(unknown)} (variants: {', '.join(known)})"
            )
    if problems:
        raise ExperimentConfigError("; ".join(problems))


def _variant_result(
    name: str, entry: VariantCounts, control: VariantCounts | None, *, retired: bool
) -> dict[str, Any]:
    interval = wilson_interval(entry.conversions, entry.users, Z_95)
    result: dict[str, Any] = {
        "variant": name,
        "is_control": control is None,
        "users": entry.users,
        "exposures": entry.exposures,
        "conversions": entry.conversions,
        "conversion_rate": round(entry.conversions / entry.users, 6) if entry.users else None,
        "confidence_interval": (
            {"low": round(interval.low, 6), "high": round(interval.high, 6)} if interval else None
        ),
        "feedback": dict(entry.feedback),
        "mean_rating": entry.mean_rating,
    }
    if retired:
        result["retired"] = True
    if control is not None:
        test = two_proportion_z_test(
            control.conversions, control.users, entry.conversions, entry.users
        )
        result["vs_control"] = (
            {
                "difference": round(test.difference, 6),
                "z": round(test.z, 4),
                "p_value": round(test.p_value, 6),
                "significant": test.p_value < SIGNIFICANCE_LEVEL,
            }
            if test
            else None
        )
    return result


class ExperimentObserver:
    """Telemetry hook; the default does nothing. The observability capability overrides it."""

    def experiment_assigned(self, experiment: str, variant: str) -> None:
        return None
