"""Wires the listings capability: routes, the runtime in `app.state[LISTINGS]`, health checks.

Register after `StoragePlugin` (its lifespan opens the database this one uses at startup).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from psycopg import OperationalError
from psycopg_pool import PoolTimeout

from copilot_api.ai.cached_embeddings import CachedEmbeddingProvider
from copilot_api.ai.embeddings import EmbeddingProvider, create_embedding_provider
from copilot_api.health.registry import HealthRegistry
from copilot_api.listings.parsing import create_query_parser
from copilot_api.listings.routes import listings_router
from copilot_api.listings.runtime import ListingsRuntime
from copilot_api.listings.store import EmbeddingSpaceMismatchError
from copilot_api.state import CACHES, DATABASE, HEALTH, LISTINGS
from copilot_config import ListingsSection, OpenAISection

logger = logging.getLogger(__name__)


class ListingsPlugin(InitPluginProtocol):
    def __init__(
        self, config: ListingsSection, *, openai: OpenAISection, load_sample_data: bool
    ) -> None:
        """`load_sample_data`: fill an empty listings table with the bundled samples."""
        self.config = config
        self.openai = openai
        self.load_sample_data = load_sample_data

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(listings_router(self.config))
        app_config.lifespan.append(self._lifespan)
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        embeddings = create_embedding_provider(self.config, self.openai)
        runtime = ListingsRuntime(
            app.state[DATABASE],
            embeddings,
            create_query_parser(self.config, self.openai),
            batch_size=self.config.ingest_batch_size,
            load_sample_data=self.load_sample_data,
            query_embeddings=_cached_for_queries(app, embeddings),
        )
        app.state[LISTINGS] = runtime
        try:
            await _prepare(runtime)
            self._register_health(app.state[HEALTH], runtime)
            yield
        finally:
            await runtime.aclose()

    def _register_health(self, registry: HealthRegistry, runtime: ListingsRuntime) -> None:
        async def ready() -> None:
            await runtime.ensure_ready()

        registry.add_readiness("listings", ready)
        registry.add_detail("listings", runtime.detail)


async def _prepare(runtime: ListingsRuntime) -> None:
    try:
        await runtime.prepare()
    except EmbeddingSpaceMismatchError as error:
        # Fatal: serving would compare vectors from two different models.
        logger.critical("%s", error)
        raise
    except (OperationalError, PoolTimeout) as error:
        runtime.failure = f"database unavailable at startup ({type(error).__name__})"
        logger.warning(
            "listings not prepared yet: %s; retrying from the readiness probe", runtime.failure
        )


def _cached_for_queries(app: Litestar, embeddings: EmbeddingProvider) -> EmbeddingProvider:
    """Remote query embeddings go through the shared embedding cache; the local provider is
    faster than a cache lookup, so it is used directly."""
    caches = app.state.get(CACHES)
    if caches is None or embeddings.space.provider == "local":
        return embeddings
    return CachedEmbeddingProvider(embeddings, caches.embedding)
