"""The app factory: `create_app(settings)` builds a fresh Litestar app; nothing at import time."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins import InitPluginProtocol

from copilot_api import __version__
from copilot_api.ai.llm.plugin import LLMPlugin
from copilot_api.ai.prompts import PromptError
from copilot_api.cache.plugin import CachePlugin
from copilot_api.errors import exception_handlers
from copilot_api.experiments.config import ExperimentConfigError
from copilot_api.experiments.plugin import ExperimentsPlugin
from copilot_api.health.registry import HealthRegistry
from copilot_api.health.routes import health_handlers
from copilot_api.listings.plugin import ListingsPlugin
from copilot_api.observability.logging import configure_logging
from copilot_api.observability.plugin import ObservabilityPlugin
from copilot_api.search.plugin import SearchPlugin
from copilot_api.security.plugin import SecurityPlugin
from copilot_api.state import ENVIRONMENT, HEALTH
from copilot_api.storage.plugin import StoragePlugin
from copilot_api.workflows.definitions import WorkflowDefinitionError
from copilot_api.workflows.plugin import WorkflowsPlugin
from copilot_config import Settings, load_settings

# Bad definition files (workflows, prompts, experiments) are found while the app is built.
DEFINITION_ERRORS: tuple[type[Exception], ...] = (
    WorkflowDefinitionError,
    PromptError,
    ExperimentConfigError,
)


def create_app(settings: Settings) -> Litestar:
    configure_logging(settings)
    return Litestar(
        route_handlers=[*health_handlers],
        plugins=[
            *plugins_for(settings),
        ],
        state=_initial_state(settings),
        exception_handlers=exception_handlers,
        openapi_config=_openapi_config() if settings.app.serves_docs else None,
        logging_config=None,  # configure_logging owns the root logger
        debug=settings.app.debug,
    )


def plugins_for(settings: Settings) -> list[InitPluginProtocol]:
    """Each plugin gets its own settings section (and plain values it shares with others),
    never the whole `Settings`; only this factory sees every section."""
    app = settings.app
    return [
        StoragePlugin(
            settings.database, settings.redis, environment=app.environment, data_dir=app.data_dir
        ),
        SecurityPlugin(settings.security, environment=app.environment),
        ObservabilityPlugin(
            settings.observability, service_name=app.name, environment=app.environment
        ),
        CachePlugin(settings.cache, namespace=f"{app.name}:cache"),
        LLMPlugin(settings.llm, openai=settings.openai),
        ExperimentsPlugin(settings.experiments),
        ListingsPlugin(
            settings.listings, openai=settings.openai, load_sample_data=settings.sample_data_enabled
        ),
        SearchPlugin(),
        WorkflowsPlugin(settings.workflows),
    ]


def create_app_from_environment() -> Litestar:
    """Entry point for uvicorn's `--factory` mode (each worker reads the environment)."""
    return create_app(load_settings())


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Realtor AI Copilot API",
        version=__version__,
        path="/docs",
        render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
    )


def _initial_state(settings: Settings) -> State:
    return State({ENVIRONMENT: settings.app.environment, HEALTH: HealthRegistry()})
