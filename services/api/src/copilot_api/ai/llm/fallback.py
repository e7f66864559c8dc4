"""OpenAI when it is configured and healthy, the local provider otherwise — always an answer.

With no API key the local provider *is* the configured provider (`fallback` is false). With a
key, any OpenAI failure (after its own retries), or an open circuit breaker, hands the request
to the local provider and the response says so: `fallback=True` and `fallback_reason`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any, Protocol

from copilot_api.ai.llm.local import LocalProvider
from copilot_api.ai.llm.openai_provider import OpenAIProvider
from copilot_api.ai.llm.types import (
    JsonSchema,
    LLMError,
    LLMProvider,
    LLMRequest,
    LLMResponse,
)

logger = logging.getLogger(__name__)

Call = Callable[[LLMProvider], Awaitable[LLMResponse]]


class LLMObserver(Protocol):
    """Telemetry hooks (metrics, spans); the provider works without one."""

    def llm_call(
        self,
        provider: str,
        model: str,
        duration_s: float,
        *,
        status: str,
        input_tokens: int,
        output_tokens: int,
    ) -> None: ...

    def llm_fallback(self, provider: str, fallback_provider: str, reason: str) -> None: ...

    def llm_span(self, provider: str, model: str) -> AbstractContextManager[Any]: ...


class FallbackProvider:
    def __init__(
        self,
        primary: OpenAIProvider | None,
        local: LocalProvider,
        *,
        observer: LLMObserver | None = None,
    ) -> None:
        self.primary = primary
        self.local = local
        self.observer = observer
        self.responses: Counter[str] = Counter()
        self.fallbacks: Counter[str] = Counter()

    @property
    def name(self) -> str:
        return self.primary.name if self.primary else self.local.name

    @property
    def model(self) -> str:
        """The model that answers when all is well: what cache keys are built with."""
        return self.primary.model if self.primary else self.local.model

    async def aclose(self) -> None:
        if self.primary is not None:
            await self.primary.aclose()

    async def generate(self, request: LLMRequest) -> LLMResponse:
        return await self._answer(request, lambda provider: provider.generate(request))

    async def generate_json(
        self, request: LLMRequest, schema: JsonSchema, *, name: str = "result"
    ) -> LLMResponse:
        return await self._answer(
            request, lambda provider: provider.generate_json(request, schema, name=name)
        )

    async def _answer(self, request: LLMRequest, call: Call) -> LLMResponse:
        primary = self.primary
        if primary is None:
            return self._answered(await call(self.local))
        started = time.perf_counter()
        try:
            with self._span(primary):
                return self._answered(await call(primary))
        except LLMError as error:
            reason = error.reason
            self._failed(primary, request, error, time.perf_counter() - started)
        response = await call(self.local)
        return self._answered(replace(response, fallback=True, fallback_reason=reason))

    def snapshot(self) -> dict[str, Any]:
        primary = self.primary
        report: dict[str, Any] = {
            "status": "healthy",
            "provider": self.name,
            "model": self.model,
            "fallback_provider": self.local.name if primary else None,
            "responses": dict(self.responses),
            "fallbacks": dict(self.fallbacks),
        }
        if primary is not None:
            circuit = primary.breaker.snapshot()
            report["circuit_breaker"] = circuit
            if circuit["state"] != "closed":
                # Still answering (locally), but not with the configured model.
                report["status"] = "degraded"
        return report

    def _span(self, provider: OpenAIProvider) -> AbstractContextManager[Any]:
        if self.observer is None:
            return nullcontext()
        return self.observer.llm_span(provider.name, provider.model)

    def _answered(self, response: LLMResponse) -> LLMResponse:
        self.responses[response.provider] += 1
        if response.fallback and response.fallback_reason:
            self.fallbacks[response.fallback_reason] += 1
        if self.observer is not None:
            self.observer.llm_call(
                response.provider,
                response.model,
                response.latency_ms / 1000,
                status="ok",
                input_tokens=response.usage.prompt_tokens,
                output_tokens=response.usage.completion_tokens,
            )
            if response.fallback and response.fallback_reason and self.primary is not None:
                self.observer.llm_fallback(
                    self.primary.name, response.provider, response.fallback_reason
                )
        return response

    def _failed(
        self, primary: OpenAIProvider, request: LLMRequest, error: LLMError, duration_s: float
    ) -> None:
        level = logging.INFO if error.reason == "circuit_open" else logging.WARNING
        logger.log(
            level,
            "OpenAI unavailable (%s) for %s; answering with the local provider",
            error.reason,
            request.task,
            extra={"llm_failure": error.reason, "task": request.task},
        )
        if self.observer is not None and error.reason != "circuit_open":
            # A skipped call (open breaker) is not a call; the fallback counter records it.
            self.observer.llm_call(
                primary.name,
                primary.model,
                duration_s,
                status=error.reason,
                input_tokens=0,
                output_tokens=0,
            )
