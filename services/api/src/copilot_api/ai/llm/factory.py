"""Builds the service's LLM provider from its settings sections."""

from __future__ import annotations

from copilot_api.ai.llm.breaker import CircuitBreaker
from copilot_api.ai.llm.fallback import FallbackProvider, LLMObserver
from copilot_api.ai.llm.local import LocalProvider
from copilot_api.ai.llm.openai_provider import OpenAIProvider, build_openai_client
from copilot_api.ai.llm.retry import RetryPolicy
from copilot_config import LLMSection, OpenAISection


def openai_key(openai: OpenAISection) -> str | None:
    key = openai.api_key.get_secret_value() if openai.api_key else ""
    return key.strip() or None


def build_llm(
    config: LLMSection, openai: OpenAISection, observer: LLMObserver | None = None
) -> FallbackProvider:
    """OpenAI with the local provider as fallback when a key is set; the local provider alone
    otherwise. Creating the client opens no connection."""
    local = LocalProvider()
    key = openai_key(openai)
    if key is None:
        return FallbackProvider(None, local, observer=observer)
    client = build_openai_client(
        key, base_url=openai.base_url or None, timeout=config.timeout_seconds
    )
    primary = OpenAIProvider(
        client,
        model=openai.chat_model,
        breaker=CircuitBreaker(config.circuit_failure_threshold, config.circuit_reset_seconds),
        retry=RetryPolicy(max_retries=config.max_retries),
    )
    return FallbackProvider(primary, local, observer=observer)
