"""Wires property search: its route, and its step types into the workflow engine.

Register before `WorkflowsPlugin`, which loads the workflow definitions against every step type
offered in `app.state[WORKFLOW_STEP_TYPES]`; the workflow engine never imports this package.
"""

from __future__ import annotations

from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from copilot_api.compliance.query_screening import query_rules
from copilot_api.search.routes import property_search
from copilot_api.search.steps import search_step_types
from copilot_api.state import WORKFLOW_STEP_TYPES


class SearchPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(property_search)
        offered = list(app_config.state.get(WORKFLOW_STEP_TYPES, []))
        app_config.state[WORKFLOW_STEP_TYPES] = [*offered, *search_step_types()]
        app_config.on_startup.append(_compile_screening_rules)
        return app_config


def _compile_screening_rules() -> None:
    """The fair-housing screen's patterns take about 0.4 s of CPU to compile: at start-up
    rather than in a worker's first search (which they made the slowest request of a run)."""
    query_rules()
