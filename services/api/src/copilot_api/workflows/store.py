"""Persistence of workflow executions in PostgreSQL: one row per execution, written when it
ends (older rows may say 'running': executions were once inserted first and updated last)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from copilot_api.storage.database import Database


@dataclass(frozen=True, slots=True)
class ExecutionStart:
    id: UUID
    workflow_id: str
    workflow_version: int
    user_id: str | None
    session_id: str | None
    experiment_id: str | None
    variant: str | None
    input: dict[str, Any]
    started_at: datetime


@dataclass(frozen=True, slots=True)
class ExecutionFinish:
    status: str
    output: dict[str, Any] | None
    error: dict[str, Any] | None
    step_durations_ms: dict[str, float]
    provider: str | None
    fallback: bool
    cached: bool
    prompt_tokens: int
    completion_tokens: int
    duration_ms: float


class ExecutionStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def record(self, execution: ExecutionStart, result: ExecutionFinish) -> None:
        """One row per execution, written once when it has ended (succeeded, failed or
        cancelled): one write on the request's path instead of an insert and an update."""
        async with self._database.pool.connection() as connection:
            await connection.execute(
                """
                INSERT INTO workflow_executions (id, workflow_id, workflow_version, status,
                    user_id, session_id, experiment_id, variant, input, output, error,
                    step_durations_ms, provider, fallback, cached, prompt_tokens,
                    completion_tokens, started_at, finished_at, duration_ms)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                    now(), %s)
                """,
                (
                    execution.id,
                    execution.workflow_id,
                    execution.workflow_version,
                    result.status,
                    execution.user_id,
                    execution.session_id,
                    execution.experiment_id,
                    execution.variant,
                    Jsonb(execution.input),
                    None if result.output is None else Jsonb(result.output),
                    None if result.error is None else Jsonb(result.error),
                    Jsonb(result.step_durations_ms),
                    result.provider,
                    result.fallback,
                    result.cached,
                    result.prompt_tokens,
                    result.completion_tokens,
                    execution.started_at,
                    result.duration_ms,
                ),
            )

    async def get(self, execution_id: UUID) -> dict[str, Any] | None:
        async with self._database.pool.connection() as connection:
            cursor = connection.cursor(row_factory=dict_row)
            await cursor.execute("SELECT * FROM workflow_executions WHERE id = %s", (execution_id,))
            row = await cursor.fetchone()
        return None if row is None else _public(row)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "execution_id": str(row["id"]),
        "workflow": {"id": row["workflow_id"], "version": row["workflow_version"]},
        "status": row["status"],
        "user_id": row["user_id"],
        "session_id": row["session_id"],
        "experiment": (
            {"id": row["experiment_id"], "variant": row["variant"]}
            if row["experiment_id"]
            else None
        ),
        "provider": row["provider"],
        "fallback": row["fallback"],
        "cached": row["cached"],
        "usage": {
            "prompt_tokens": row["prompt_tokens"],
            "completion_tokens": row["completion_tokens"],
        },
        "input": row["input"],
        "output": row["output"],
        "error": row["error"],
        "step_durations_ms": row["step_durations_ms"],
        "started_at": iso(row["started_at"]),
        "finished_at": iso(row["finished_at"]),
        "duration_ms": row["duration_ms"],
    }
