"""Builds the service's LLM provider from the settings."""

from __future__ import annotations

from copilot_api.ai.llm.breaker import CircuitBreaker
from copilot_api.ai.llm.fallback import FallbackProvider, LLMObserver
from copilot_api.ai.llm.local import LocalProvider
from copilot_api.ai.llm.openai_provider import OpenAIProvider, build_openai_client
from copilot_api.ai.llm.retry import RetryPolicy
from copilot_config import Settings


def openai_key(settings: Settings) -> str | None:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return key.strip() or None


def build_llm(settings: Settings, observer: LLMObserver | None = None) -> FallbackProvider:
    """OpenAI with the local provider as fallback when a key is set; the local provider alone
    otherwise. Creating the client opens no connection."""
    local = LocalProvider()
    key = openai_key(settings)
    if key is None:
        return FallbackProvider(None, local, observer=observer)
    client = build_openai_client(
        key, base_url=settings.openai_base_url or None, timeout=settings.llm_timeout_seconds
    )
    primary = OpenAIProvider(
        client,
        model=settings.openai_chat_model,
        breaker=CircuitBreaker(
            settings.llm_circuit_failure_threshold, settings.llm_circuit_reset_seconds
        ),
        retry=RetryPolicy(max_retries=settings.llm_max_retries),
    )
    return FallbackProvider(primary, local, observer=observer)
