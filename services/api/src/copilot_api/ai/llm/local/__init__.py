"""The local provider: deterministic, grounded writers over the request's facts. No model, no I/O.

It answers from `request.context` (the structured facts a prompt was rendered from), never from
the rendered prompt text, so what it writes is exactly what the facts support. It runs inline on
the event loop: each writer takes well under a millisecond.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from copilot_api.ai.llm.local.draft import Draft
from copilot_api.ai.llm.local.followup import write_client_followup
from copilot_api.ai.llm.local.listing import write_listing_description
from copilot_api.ai.llm.local.market import write_market_analysis
from copilot_api.ai.llm.structured import check_schema, validate_object
from copilot_api.ai.llm.types import JsonSchema, LLMError, LLMRequest, LLMResponse, TokenUsage

PROVIDER = "local"
# Bump when a writer's output changes: the model name is part of every prompt-cache key.
MODEL = "local-templates-v1"

Writer = Callable[[Mapping[str, Any], Mapping[str, Any]], Draft]

DEFAULT_WRITERS: Mapping[str, Writer] = {
    "listing_description": write_listing_description,
    "market_analysis": write_market_analysis,
    "client_followup": write_client_followup,
}


class LocalProvider:
    def __init__(self, writers: Mapping[str, Writer] = DEFAULT_WRITERS) -> None:
        self._writers = dict(writers)

    @property
    def name(self) -> str:
        return PROVIDER

    @property
    def model(self) -> str:
        return MODEL

    def supports(self, task: str) -> bool:
        return task in self._writers

    async def generate(self, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        draft = self._write(request)
        return self._response(request, draft.text, None, started)

    async def generate_json(
        self, request: LLMRequest, schema: JsonSchema, *, name: str = "result"
    ) -> LLMResponse:
        check_schema(schema)
        started = time.perf_counter()
        draft = self._write(request)
        data = validate_object(draft.data, schema, provider=PROVIDER)
        return self._response(request, draft.text, data, started)

    def _write(self, request: LLMRequest) -> Draft:
        writer = self._writers.get(request.task)
        if writer is None:
            raise LLMError(
                "unsupported_task",
                f"the local provider has no writer for task {request.task!r}",
                provider=PROVIDER,
            )
        try:
            return writer(request.context, request.options)
        except (ValueError, TypeError) as error:
            raise LLMError(
                "invalid_context", f"{request.task}: {error}", provider=PROVIDER
            ) from error

    def _response(
        self, request: LLMRequest, text: str, data: dict[str, Any] | None, started: float
    ) -> LLMResponse:
        prompt = "".join(message.content for message in request.messages)
        return LLMResponse(
            text=text,
            provider=PROVIDER,
            model=MODEL,
            usage=TokenUsage.estimate(prompt, text),
            latency_ms=(time.perf_counter() - started) * 1000,
            data=data,
            prompt=request.prompt,
            finish_reason="stop",
        )
