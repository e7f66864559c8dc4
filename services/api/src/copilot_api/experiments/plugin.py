"""Wires A/B experiments: the file is loaded and checked when the app is built, so a bad
definition (or a prompt experiment naming a variant the template lacks) stops the service.

Register after `LLMPlugin` (prompt experiments are checked against its prompt registry).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from copilot_api.ai.prompts import PromptRegistry
from copilot_api.experiments.config import Experiment, load_experiments
from copilot_api.experiments.routes import experiment_handlers
from copilot_api.experiments.service import (
    ExperimentObserver,
    ExperimentService,
    check_prompt_targets,
)
from copilot_api.experiments.store import ExperimentStore
from copilot_api.health.registry import HealthRegistry
from copilot_api.observability.metrics import Telemetry
from copilot_api.state import DATABASE, EXPERIMENTS, HEALTH, PROMPTS, TELEMETRY
from copilot_config import ExperimentsSection


class ExperimentsPlugin(InitPluginProtocol):
    def __init__(self, config: ExperimentsSection) -> None:
        self.config = config
        self.experiments: tuple[Experiment, ...] = ()

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        self.experiments = load_experiments(self.config.file)
        prompts: PromptRegistry | None = app_config.state.get(PROMPTS)
        if prompts is not None:
            # Checked now, before any request: the service refuses to start on a mismatch.
            check_prompt_targets(self.experiments, prompts)
        app_config.route_handlers.extend(experiment_handlers)
        app_config.lifespan.append(self._lifespan)
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        service = ExperimentService(self.experiments, ExperimentStore(app.state[DATABASE]))
        telemetry: Telemetry | None = app.state.get(TELEMETRY)
        if telemetry is not None:
            service.observer = TelemetryExperimentObserver(telemetry)
        app.state[EXPERIMENTS] = service
        registry: HealthRegistry = app.state[HEALTH]

        async def report() -> dict[str, Any]:
            return service.report()

        registry.add_detail("experiments", report)
        yield


class TelemetryExperimentObserver(ExperimentObserver):
    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    def experiment_assigned(self, experiment: str, variant: str) -> None:
        self._telemetry.record_experiment_assignment(experiment, variant)
