"""LLM providers behind one interface: OpenAI (retries, circuit breaker) and a local fallback."""

from copilot_api.ai.llm.breaker import BreakerState, CircuitBreaker
from copilot_api.ai.llm.cached import CachedLLM
from copilot_api.ai.llm.factory import build_llm
from copilot_api.ai.llm.fallback import FallbackProvider
from copilot_api.ai.llm.local import LocalProvider
from copilot_api.ai.llm.openai_provider import OpenAIProvider
from copilot_api.ai.llm.retry import RetryPolicy
from copilot_api.ai.llm.types import (
    LLMError,
    LLMProvider,
    LLMRequest,
    LLMResponse,
    Message,
    PromptRef,
    TokenUsage,
)

__all__ = [
    "BreakerState",
    "CachedLLM",
    "CircuitBreaker",
    "FallbackProvider",
    "LLMError",
    "LLMProvider",
    "LLMRequest",
    "LLMResponse",
    "LocalProvider",
    "Message",
    "OpenAIProvider",
    "PromptRef",
    "RetryPolicy",
    "TokenUsage",
    "build_llm",
]
