"""Wires the workflow engine and conversation sessions into the app.

Definitions are loaded and validated when the app is built, so a bad workflow file stops the
service before it accepts traffic. Register after the LLM and experiments plugins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext, suppress
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from copilot_api.ai.prompts import PromptRegistry
from copilot_api.experiments.service import ExperimentService
from copilot_api.health.registry import HealthRegistry
from copilot_api.observability.logging_service import logging_service
from copilot_api.observability.metrics import Telemetry
from copilot_api.sessions.routes import session_router
from copilot_api.sessions.store import MemorySessionStore, RedisSessionStore, SessionStore
from copilot_api.state import (
    DATABASE,
    EXPERIMENTS,
    HEALTH,
    LISTINGS,
    LLM,
    PROMPTS,
    REDIS,
    SESSIONS,
    TELEMETRY,
    WORKFLOW_ENGINE,
    WORKFLOW_STEP_TYPES,
)
from copilot_api.workflows.catalog import WorkflowCatalog
from copilot_api.workflows.definitions import WorkflowDefinition
from copilot_api.workflows.engine import ExecutionResult, WorkflowEngine
from copilot_api.workflows.routes import workflow_router
from copilot_api.workflows.services import WorkflowServices
from copilot_api.workflows.steps.base import StepRegistry, Variant
from copilot_api.workflows.steps.registry import shipped_steps
from copilot_api.workflows.store import ExecutionStore
from copilot_config import WorkflowsSection

logger = logging.getLogger(__name__)


class WorkflowsPlugin(InitPluginProtocol):
    def __init__(self, config: WorkflowsSection, steps: StepRegistry | None = None) -> None:
        self.config = config
        self.steps = steps or shipped_steps()
        self.catalog: WorkflowCatalog | None = None

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        prompts: PromptRegistry = app_config.state[PROMPTS]
        for step_type in app_config.state.get(WORKFLOW_STEP_TYPES, []):
            self.steps.register(step_type)
        self.catalog = WorkflowCatalog.load(self.config.dir, self.steps, frozenset(prompts.ids()))
        app_config.route_handlers.extend([workflow_router, session_router])
        app_config.lifespan.append(self._lifespan)
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        assert self.catalog is not None
        redis = app.state.get(REDIS)
        ttl = self.config.session_ttl_seconds
        sessions: SessionStore = RedisSessionStore(redis, ttl) if redis else MemorySessionStore(ttl)
        telemetry: Telemetry | None = app.state.get(TELEMETRY)
        experiments: ExperimentService | None = app.state.get(EXPERIMENTS)
        engine = WorkflowEngine(
            self.catalog,
            self.steps,
            ExecutionStore(app.state[DATABASE]),
            WorkflowServices(
                database=app.state[DATABASE],
                prompts=app.state[PROMPTS],
                llm=app.state[LLM],
                sessions=sessions,
                listings=app.state[LISTINGS],
            ),
            assign_variant=_variant_assigner(experiments) if experiments else None,
            observer=TelemetryExecutionObserver(telemetry),
        )
        app.state[SESSIONS] = sessions
        app.state[WORKFLOW_ENGINE] = engine
        registry: HealthRegistry = app.state[HEALTH]

        async def engine_report() -> dict[str, Any]:
            return {
                "status": "healthy",
                "workflows": [
                    {"id": definition.id, "version": definition.version}
                    for definition in engine.catalog.all()
                ],
                "step_types": sorted(self.steps.names()),
            }

        async def sessions_report() -> dict[str, Any]:
            try:
                active = await sessions.active_count()
            except Exception as error:
                return {
                    "status": "degraded",
                    "backend": sessions.backend,
                    "error": type(error).__name__,
                }
            return {
                "status": "healthy",
                "backend": sessions.backend,
                "active_sessions": active,
                "ttl_seconds": ttl,
            }

        registry.add_detail("workflow_engine", engine_report)
        registry.add_detail("context_manager", sessions_report)
        refresher = asyncio.create_task(_refresh_session_gauge(sessions, telemetry))
        try:
            yield
        finally:
            refresher.cancel()
            with suppress(asyncio.CancelledError):
                await refresher


SESSION_GAUGE_INTERVAL_S = 15.0


async def _refresh_session_gauge(sessions: SessionStore, telemetry: Telemetry | None) -> None:
    """Keeps the active-sessions gauge current without a Redis call per request."""
    if telemetry is None:
        return
    while True:
        try:
            telemetry.set_active_sessions(await sessions.active_count())
        except Exception as error:  # a metrics refresh must never crash the app
            logger.debug("could not count active sessions: %s", type(error).__name__)
        await asyncio.sleep(SESSION_GAUGE_INTERVAL_S)


def _variant_assigner(experiments: ExperimentService) -> Any:
    """Exposes the caller to the experiment on this workflow, else on the first of its prompts
    that has an active experiment; one experiment per execution keeps results attributable."""

    async def assign(definition: WorkflowDefinition, user_id: str | None) -> Variant | None:
        targets = [("workflow", definition.id)] + [
            ("prompt", step.prompt) for step in definition.steps if step.prompt
        ]
        for target_type, target_id in targets:
            if experiments.active_for(target_type, target_id) is None:
                continue
            assignment = await experiments.expose(target_type, target_id, user_id)
            if assignment is not None:
                return Variant(assignment.experiment_id, assignment.variant, target_type, target_id)
        return None

    return assign


class TelemetryExecutionObserver:
    """Step spans and durations, execution counts and a log line per execution."""

    def __init__(self, telemetry: Telemetry | None) -> None:
        self._telemetry = telemetry

    def step_span(self, workflow_id: str, step_id: str) -> AbstractContextManager[Any]:
        if self._telemetry is None:
            return nullcontext()
        return self._telemetry.workflow_step_span(workflow_id, step_id)

    def step_finished(self, workflow_id: str, step_type: str, duration_s: float, ok: bool) -> None:
        if self._telemetry is not None:
            self._telemetry.record_workflow_step(workflow_id, step_type, duration_s, ok)

    def execution_finished(self, result: ExecutionResult) -> None:
        error_type = (result.error or {}).get("code")
        if self._telemetry is not None:
            self._telemetry.record_workflow_execution(
                result.workflow_id, result.status, result.duration_ms / 1000, error_type=error_type
            )
        logging_service.log_workflow_execution(
            result.workflow_id,
            result.status,
            result.duration_ms,
            execution_id=str(result.execution_id),
            error=error_type,
            user_id=result.user_id,
            provider=result.usage.provider,
            cached=result.cached,
        )
