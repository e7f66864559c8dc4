"""Runs a workflow: validates input, runs each step under its timeout, records the execution.

Steps only compute; anything durable a step wants (a session update, say) is deferred with
`context.defer(...)` and applied once every step has succeeded, so a failed execution leaves
no half-written state behind. The execution row itself is the one thing always written, once,
when the execution has ended (also when it was cancelled).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from psycopg import OperationalError

from copilot_api.errors import DATABASE_RETRY_AFTER_S, ApiError
from copilot_api.workflows.catalog import WorkflowCatalog
from copilot_api.workflows.definitions import WorkflowDefinition
from copilot_api.workflows.inputs import validate_input
from copilot_api.workflows.references import resolve
from copilot_api.workflows.services import WorkflowServices
from copilot_api.workflows.steps.base import (
    Effect,
    StepContext,
    StepError,
    StepRegistry,
    Usage,
    Variant,
)
from copilot_api.workflows.store import ExecutionFinish, ExecutionStart, ExecutionStore

logger = logging.getLogger(__name__)

VariantAssigner = Callable[[WorkflowDefinition, str | None], Awaitable[Variant | None]]


class ExecutionObserver(Protocol):
    """Telemetry hooks (metrics, spans, logs); the engine works without one."""

    def step_span(self, workflow_id: str, step_id: str) -> AbstractContextManager[Any]: ...

    def step_finished(
        self, workflow_id: str, step_type: str, duration_s: float, ok: bool
    ) -> None: ...

    def execution_finished(self, result: ExecutionResult) -> None: ...


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    execution_id: UUID
    workflow_id: str
    workflow_version: int
    status: str
    output: dict[str, Any] | None
    error: dict[str, Any] | None
    variant: Variant | None
    usage: Usage
    step_durations_ms: dict[str, float]
    cached: bool
    duration_ms: float
    user_id: str | None = None

    def as_response(self) -> dict[str, Any]:
        return {
            "execution_id": str(self.execution_id),
            "workflow": {"id": self.workflow_id, "version": self.workflow_version},
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "provider": self.usage.provider,
            "fallback": self.usage.fallback,
            "experiment": (
                {"id": self.variant.experiment_id, "variant": self.variant.name}
                if self.variant
                else None
            ),
            "usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
            },
            "cached": self.cached,
            "step_durations_ms": self.step_durations_ms,
            "took_ms": round(self.duration_ms, 2),
        }


class WorkflowExecutionError(ApiError):
    """The execution failed; it was recorded with its error. Carries the execution id."""

    def __init__(self, result: ExecutionResult, status_code: int, code: str, message: str) -> None:
        super().__init__(
            status_code,
            code,
            message,
            details={
                "execution_id": str(result.execution_id),
                "step": (result.error or {}).get("step"),
            },
            headers=(
                {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
                if code == "database_unavailable"
                else None
            ),
        )
        self.result = result


@dataclass(slots=True)
class _Run:
    definition: WorkflowDefinition
    inputs: dict[str, Any]
    context: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    effects: list[Effect] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


class WorkflowEngine:
    def __init__(
        self,
        catalog: WorkflowCatalog,
        steps: StepRegistry,
        store: ExecutionStore,
        services: WorkflowServices,
        *,
        assign_variant: VariantAssigner | None = None,
        observer: ExecutionObserver | None = None,
    ) -> None:
        self.catalog = catalog
        self._steps = steps
        self.store = store
        self._services = services
        self._assign_variant = assign_variant
        self._observer = observer

    def definition(self, workflow_id: str) -> WorkflowDefinition:
        definition = self.catalog.get(workflow_id)
        if definition is None:
            raise ApiError(404, "workflow_not_found", f"No workflow named '{workflow_id}'.")
        return definition

    async def execute(
        self,
        workflow_id: str,
        payload: Any,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> ExecutionResult:
        definition = self.definition(workflow_id)
        inputs = validate_input(definition, payload)
        variant = await self._assign_variant(definition, user_id) if self._assign_variant else None
        execution_id = uuid4()
        record = ExecutionStart(
            id=execution_id,
            workflow_id=definition.id,
            workflow_version=definition.version,
            user_id=user_id,
            session_id=session_id,
            experiment_id=variant.experiment_id if variant else None,
            variant=variant.name if variant else None,
            input=inputs,
            started_at=datetime.now(UTC),
        )
        started = time.perf_counter()
        run = _Run(
            definition,
            inputs,
            {"user_id": user_id, "session_id": session_id, "execution_id": str(execution_id)},
        )
        try:
            failed_step, failure = await self._run_steps(run, execution_id, variant)
            if failure is None:
                failed_step, failure = await self._apply_effects(run)
        except asyncio.CancelledError:
            # The client went away (or the server is stopping): close the record, then stop.
            cancelled = ExecutionFinish(
                status="failed", output=None, error={"step": None, "code": "cancelled",
                "message": "The request was cancelled."}, step_durations_ms=run.durations,
                provider=run.usage.provider, fallback=run.usage.fallback, cached=False,
                prompt_tokens=run.usage.prompt_tokens,
                completion_tokens=run.usage.completion_tokens,
                duration_ms=(time.perf_counter() - started) * 1000,
            )  # fmt: skip
            await asyncio.shield(self.store.record(record, cancelled))
            raise
        output = run.outputs.get(definition.output_step)
        result = ExecutionResult(
            execution_id=execution_id,
            workflow_id=definition.id,
            workflow_version=definition.version,
            status="failed" if failure else "succeeded",
            output=None if failure else output,
            error=(
                {"step": failed_step, "code": failure.code, "message": failure.message}
                if failure
                else None
            ),
            variant=variant,
            usage=run.usage,
            step_durations_ms=run.durations,
            cached=run.usage.all_cached,
            duration_ms=(time.perf_counter() - started) * 1000,
            user_id=user_id,
        )
        await self.store.record(
            record,
            ExecutionFinish(
                status=result.status,
                output=result.output,
                error=result.error,
                step_durations_ms=result.step_durations_ms,
                provider=run.usage.provider,
                fallback=run.usage.fallback,
                cached=result.cached,
                prompt_tokens=run.usage.prompt_tokens,
                completion_tokens=run.usage.completion_tokens,
                duration_ms=result.duration_ms,
            ),
        )
        if self._observer is not None:
            self._observer.execution_finished(result)
        if failure is not None:
            raise WorkflowExecutionError(result, failure.status_code, failure.code, failure.message)
        return result

    async def _run_steps(
        self, run: _Run, execution_id: UUID, variant: Variant | None
    ) -> tuple[str | None, StepError | None]:
        scope = {"input": run.inputs, "steps": run.outputs, "context": run.context}
        for step in run.definition.steps:
            step_type = self._steps.get(step.type)
            assert step_type is not None  # the loader checked every step type
            context = StepContext(
                execution_id=execution_id,
                workflow=run.definition,
                step=step,
                user_id=run.context["user_id"],
                session_id=run.context["session_id"],
                variant=variant,
                services=self._services,
                usage=run.usage,
                effects=run.effects,
            )
            started = time.perf_counter()
            error: StepError | None = None
            span = (
                self._observer.step_span(run.definition.id, step.id)
                if self._observer
                else nullcontext()
            )
            try:
                with span:
                    params = step_type.parse_params(resolve(step.params, scope))
                    async with asyncio.timeout(step.timeout_s):
                        run.outputs[step.id] = await step_type.run(params, context)
            except StepError as step_error:
                error = step_error
            except ApiError as api_error:  # a shared guard, such as "listings unavailable"
                error = StepError(api_error.status_code, api_error.code, str(api_error.detail))
            except TimeoutError:
                error = StepError(
                    504, "step_timeout", f"Step '{step.id}' took longer than {step.timeout_s:g} s."
                )
            except OperationalError:  # down, restarting or hung: the caller may retry
                error = StepError(
                    503, "database_unavailable", "The database is unavailable; retry shortly."
                )
            except Exception:
                logger.exception("workflow %s step %s failed", run.definition.id, step.id)
                error = StepError(500, "step_failed", f"Step '{step.id}' failed unexpectedly.")
            elapsed = time.perf_counter() - started
            run.durations[step.id] = round(elapsed * 1000, 3)
            if self._observer is not None:
                self._observer.step_finished(run.definition.id, step.type, elapsed, error is None)
            if error is not None:
                return step.id, error
        return None, None

    async def _apply_effects(self, run: _Run) -> tuple[str | None, StepError | None]:
        for effect in run.effects:
            try:
                await effect()
            except StepError as error:
                return "effects", error
            except Exception:
                logger.exception(
                    "workflow %s: applying a deferred effect failed", run.definition.id
                )
                return "effects", StepError(500, "effect_failed", "Saving the results failed.")
        return None, None
