"""Exposures and feedback in PostgreSQL (tables from migrations 0010 and 0011)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from copilot_api.storage.database import Database

Outcome = Literal["accepted", "edited", "rejected"]
OUTCOMES: tuple[Outcome, ...] = ("accepted", "edited", "rejected")

_RECORD_EXPOSURE = """
    INSERT INTO experiment_exposures (experiment_id, user_id, variant)
    VALUES (%s, %s, %s)
    ON CONFLICT (experiment_id, user_id) DO UPDATE
        SET exposures = experiment_exposures.exposures + 1, last_exposed_at = now()
    RETURNING variant, exposures
"""
_FIND_EXECUTION = """
    SELECT status, experiment_id, variant, user_id FROM workflow_executions WHERE id = %s
"""
_UPSERT_FEEDBACK = """
    INSERT INTO workflow_feedback
        (execution_id, outcome, rating, comment, experiment_id, variant, user_id)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (execution_id) DO UPDATE
        SET outcome = EXCLUDED.outcome, rating = EXCLUDED.rating, comment = EXCLUDED.comment,
            updated_at = now()
    RETURNING id, created_at, updated_at, (xmax = 0) AS created
"""
# A user converts when at least one of their executions in the experiment, in the variant they
# were assigned, was accepted. Users (not executions) are the unit: assignment is per user.
_VARIANT_COUNTS = """
    SELECT e.variant,
           count(*) AS users,
           sum(e.exposures)::bigint AS exposures,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM workflow_feedback f
               WHERE f.experiment_id = e.experiment_id AND f.user_id = e.user_id
                 AND f.variant = e.variant AND f.outcome = 'accepted'
           )) AS conversions
    FROM experiment_exposures e
    WHERE e.experiment_id = %s
    GROUP BY e.variant
"""
_FEEDBACK_COUNTS = """
    SELECT variant, outcome, count(*), avg(rating)::float8, count(rating)
    FROM workflow_feedback
    WHERE experiment_id = %s
    GROUP BY variant, outcome
"""


@dataclass(frozen=True, slots=True)
class ExecutionRef:
    status: str
    experiment_id: str | None
    variant: str | None
    user_id: str | None


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    id: UUID
    execution_id: UUID
    created: bool
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class VariantCounts:
    users: int = 0
    exposures: int = 0
    conversions: int = 0
    feedback: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    rating_sum: float = 0.0
    ratings: int = 0

    @property
    def mean_rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 3) if self.ratings else None


class ExperimentStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def record_exposure(self, experiment_id: str, user_id: str, variant: str) -> str:
        """Idempotent per (experiment, user); returns the variant recorded at first exposure."""
        async with self._database.pool.connection() as connection:
            cursor = await connection.execute(_RECORD_EXPOSURE, (experiment_id, user_id, variant))
            row = await cursor.fetchone()
        assert row is not None
        recorded: str = row[0]
        return recorded

    async def find_execution(self, execution_id: UUID) -> ExecutionRef | None:
        async with self._database.pool.connection() as connection:
            cursor = await connection.execute(_FIND_EXECUTION, (execution_id,))
            row = await cursor.fetchone()
        return ExecutionRef(*row) if row else None

    async def save_feedback(
        self,
        execution: ExecutionRef,
        execution_id: UUID,
        outcome: Outcome,
        rating: int | None,
        comment: str | None,
    ) -> FeedbackRecord:
        async with self._database.pool.connection() as connection:
            cursor = await connection.execute(
                _UPSERT_FEEDBACK,
                (
                    execution_id,
                    outcome,
                    rating,
                    comment,
                    execution.experiment_id,
                    execution.variant,
                    execution.user_id,
                ),
            )
            row = await cursor.fetchone()
        assert row is not None
        return FeedbackRecord(row[0], execution_id, row[3], row[1], row[2])

    async def counts(self, experiment_id: str) -> dict[str, VariantCounts]:
        counts: dict[str, VariantCounts] = {}
        async with self._database.pool.connection() as connection:
            cursor = await connection.execute(_VARIANT_COUNTS, (experiment_id,))
            for variant, users, exposures, conversions in await cursor.fetchall():
                entry = counts.setdefault(variant, VariantCounts())
                entry.users, entry.exposures, entry.conversions = users, exposures, conversions
            cursor = await connection.execute(_FEEDBACK_COUNTS, (experiment_id,))
            rows: list[tuple[Any, ...]] = await cursor.fetchall()
        for variant, outcome, number, mean_rating, rated in rows:
            entry = counts.setdefault(variant, VariantCounts())
            entry.feedback[outcome] = number
            if rated:
                entry.rating_sum += mean_rating * rated
                entry.ratings += rated
        return counts
