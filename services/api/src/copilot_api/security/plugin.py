"""Wires security into the app: API-key enforcement, rate limits, security headers, CORS, body
limits, the admin key routes and their OpenAPI documentation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.plugins import InitPlugin, ReceiveRoutePlugin
from litestar.routes import BaseRoute

from copilot_api.health.registry import HealthRegistry
from copilot_api.security.headers import cors_config, security_headers_hook
from copilot_api.security.input_guard import GuardedRequest, InputGuardMiddleware
from copilot_api.security.middleware import API_KEY_HEADER, SecurityMiddleware, current_api_key
from copilot_api.security.openapi import add_api_key_scheme, document_route
from copilot_api.security.routes import ApiKeysController
from copilot_api.security.service import SecurityPolicy, SecurityService
from copilot_api.security.store import ApiKey
from copilot_api.state import DATABASE, HEALTH, REDIS, SECURITY
from copilot_config import Environment, SecuritySection


def provide_api_key(request: Request[Any, Any, Any]) -> ApiKey:
    """DI `api_key`: the verified key of the current `/api` request."""
    return current_api_key(request.scope)


class SecurityPlugin(InitPlugin, ReceiveRoutePlugin):
    def __init__(self, config: SecuritySection, *, environment: Environment) -> None:
        self.config = config
        self.environment = environment

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        config = self.config
        app_config.route_handlers.append(ApiKeysController)
        app_config.request_class = GuardedRequest
        # Before SecurityMiddleware: a NUL in X-API-Key is refused before it reaches a query.
        app_config.middleware.extend([InputGuardMiddleware(), SecurityMiddleware()])
        openapi = app_config.openapi_config
        docs_path = (openapi.path if openapi else None) or "/schema"  # Litestar's default
        app_config.before_send.append(
            security_headers_hook(docs_path=docs_path, hsts=self.environment.is_deployed)
        )
        if config.cors_allow_origins:
            app_config.cors_config = cors_config(
                config.cors_allow_origins, api_key_header=API_KEY_HEADER
            )
        if openapi is not None:
            add_api_key_scheme(openapi, API_KEY_HEADER)
        app_config.dependencies["api_key"] = Provide(provide_api_key, sync_to_thread=False)
        app_config.lifespan.append(self._lifespan)
        return app_config

    def receive_route(self, route: BaseRoute) -> None:
        document_route(route)

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        # The app-wide body limit. Set on the app layer here because Litestar builds that layer
        # from its constructor argument, not from the config plugins edit. A route that takes
        # larger bodies (bulk ingest) declares `request_max_body_size=` on its decorator (or its
        # controller / router), and Litestar prefers the layer closest to the handler.
        app.request_max_body_size = self.config.max_request_body_bytes
        service = SecurityService(
            SecurityPolicy.from_config(self.config), app.state[DATABASE], app.state[REDIS]
        )
        app.state[SECURITY] = service

        async def rate_limiter_detail() -> dict[str, Any]:
            return service.limiter.status()

        registry: HealthRegistry = app.state[HEALTH]
        registry.add_detail("rate_limiter", rate_limiter_detail)
        try:
            yield
        finally:
            await service.close()
