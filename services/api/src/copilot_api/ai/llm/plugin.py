"""Wires prompts and the LLM provider into the app.

Prompt templates are loaded and validated when the app is built: a broken template stops the
service before it serves anything. The provider is built at the same time (no I/O) so other
plugins can hold it, cached through the prompt cache when `CachePlugin` is registered first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from copilot_api.ai.llm.cached import CachedLLM
from copilot_api.ai.llm.factory import build_llm
from copilot_api.ai.llm.fallback import FallbackProvider
from copilot_api.ai.prompts import PromptRegistry
from copilot_api.cache.registry import CacheRegistry
from copilot_api.health.registry import HealthRegistry
from copilot_api.observability.metrics import Telemetry
from copilot_api.state import CACHES, HEALTH, LLM, PROMPTS, TELEMETRY
from copilot_config import LLMSection, OpenAISection


class LLMPlugin(InitPluginProtocol):
    def __init__(self, config: LLMSection, *, openai: OpenAISection) -> None:
        self.config = config
        self.openai = openai

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        prompts = PromptRegistry.load(self.config.prompts_dir)
        telemetry: Telemetry | None = app_config.state.get(TELEMETRY)
        observer = TelemetryLLMObserver(telemetry) if telemetry else None
        provider = build_llm(self.config, self.openai, observer)
        caches: CacheRegistry | None = app_config.state.get(CACHES)
        app_config.state[PROMPTS] = prompts
        app_config.state[LLM] = CachedLLM(provider, caches.prompt) if caches else provider
        app_config.lifespan.append(self._lifespan)
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        llm: CachedLLM | FallbackProvider = app.state[LLM]
        prompts: PromptRegistry = app.state[PROMPTS]
        registry: HealthRegistry = app.state[HEALTH]

        async def report() -> dict[str, Any]:
            return {
                **llm.snapshot(),
                "prompts": {
                    template["id"]: {
                        "version": template["version"],
                        "variants": template["variants"],
                    }
                    for template in prompts.describe()
                },
            }

        registry.add_detail("llm", report)
        try:
            yield
        finally:
            await llm.aclose()


class TelemetryLLMObserver:
    """LLM calls, tokens, fallbacks and spans into the service's OpenTelemetry instruments."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    def llm_call(
        self,
        provider: str,
        model: str,
        duration_s: float,
        *,
        status: str,
        input_tokens: int,
        output_tokens: int,
    ) -> None:
        self._telemetry.record_llm_call(
            provider,
            model,
            duration_s,
            status=status,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )

    def llm_fallback(self, provider: str, fallback_provider: str, reason: str) -> None:
        self._telemetry.record_llm_fallback(provider, fallback_provider, reason)

    def llm_span(self, provider: str, model: str) -> AbstractContextManager[Any]:
        return self._telemetry.llm_span(provider, model)
