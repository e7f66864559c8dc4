"""OpenAI when it is configured and healthy, the local provider otherwise — always an answer.

With no API key the local provider *is* the configured provider (`fallback` is false). With a
key, any OpenAI failure (after its own retries), or an open circuit breaker, hands the request
to the local provider and the response says so: `fallback=True` and `fallback_reason`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace
from typing import Any

from copilot_api.ai.llm.local import LocalProvider
from copilot_api.ai.llm.openai_provider import OpenAIProvider
from copilot_api.ai.llm.types import (
    FailureReason,
    JsonSchema,
    LLMError,
    LLMRequest,
    LLMResponse,
)

logger = logging.getLogger(__name__)


class FallbackProvider:
    def __init__(self, primary: OpenAIProvider | None, local: LocalProvider) -> None:
        self.primary = primary
        self.local = local
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
        if self.primary is None:
            return self._count(await self.local.generate(request))
        try:
            return self._count(await self.primary.generate(request))
        except LLMError as error:
            reason = self._log(error, request)
        response = await self.local.generate(request)
        return self._count(replace(response, fallback=True, fallback_reason=reason))

    async def generate_json(
        self, request: LLMRequest, schema: JsonSchema, *, name: str = "result"
    ) -> LLMResponse:
        if self.primary is None:
            return self._count(await self.local.generate_json(request, schema, name=name))
        try:
            return self._count(await self.primary.generate_json(request, schema, name=name))
        except LLMError as error:
            reason = self._log(error, request)
        response = await self.local.generate_json(request, schema, name=name)
        return self._count(replace(response, fallback=True, fallback_reason=reason))

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

    def _count(self, response: LLMResponse) -> LLMResponse:
        self.responses[response.provider] += 1
        if response.fallback and response.fallback_reason:
            self.fallbacks[response.fallback_reason] += 1
        return response

    def _log(self, error: LLMError, request: LLMRequest) -> FailureReason:
        level = logging.INFO if error.reason == "circuit_open" else logging.WARNING
        logger.log(
            level,
            "OpenAI unavailable (%s) for %s; answering with the local provider",
            error.reason,
            request.task,
            extra={"llm_failure": error.reason, "task": request.task},
        )
        return error.reason
