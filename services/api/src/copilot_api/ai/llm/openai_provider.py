"""OpenAI chat completions (or any OpenAI-compatible server at `OPENAI_BASE_URL`).

The client's own retries are off (`max_retries=0`): this provider retries itself so that it
can honour Retry-After with a ceiling, add jitter, and count one failed call (after its retries)
towards the circuit breaker. Every failure surfaces as an `LLMError` with a reason the fallback
provider can report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion

from copilot_api.ai.llm.breaker import CircuitBreaker
from copilot_api.ai.llm.retry import RetryPolicy, parse_retry_after
from copilot_api.ai.llm.structured import check_schema, parse_object
from copilot_api.ai.llm.types import (
    FailureReason,
    JsonSchema,
    LLMError,
    LLMRequest,
    LLMResponse,
    TokenUsage,
)

logger = logging.getLogger(__name__)

PROVIDER = "openai"

# 4xx answers that mean this deployment cannot use the API at all (bad key, unknown model):
# they count towards the breaker. A 400 is about one request and does not.
_MISCONFIGURED_STATUSES = frozenset({401, 403, 404})


def build_openai_client(api_key: str, *, base_url: str | None, timeout: float) -> AsyncOpenAI:
    return AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


class OpenAIProvider:
    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        breaker: CircuitBreaker,
        retry: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._model = model
        self.breaker = breaker
        self._retry = retry
        self._sleep = sleep

    @property
    def name(self) -> str:
        return PROVIDER

    @property
    def model(self) -> str:
        return self._model

    async def aclose(self) -> None:
        await self._client.close()

    async def generate(self, request: LLMRequest) -> LLMResponse:
        return await self._complete(request, None, "result")

    async def generate_json(
        self, request: LLMRequest, schema: JsonSchema, *, name: str = "result"
    ) -> LLMResponse:
        check_schema(schema)
        return await self._complete(request, schema, name)

    async def _complete(
        self, request: LLMRequest, schema: JsonSchema | None, schema_name: str
    ) -> LLMResponse:
        if not self.breaker.allow():
            raise LLMError("circuit_open", "OpenAI circuit breaker is open", provider=PROVIDER)
        started = time.perf_counter()
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    completion = await self._create(request, schema, schema_name)
                    response = self._response(completion, request, schema, started, attempt)
                except LLMError as error:
                    if error.reason == "invalid_output":
                        # The API works; the model's answer did not fit the schema.
                        self.breaker.record_success()
                        raise
                    delay = (
                        self._retry.delay(attempt - 1, error.retry_after)
                        if error.retryable
                        else None
                    )
                    if delay is None:
                        self._record_failure(error)
                        raise
                    logger.info(
                        "openai %s on attempt %d; retrying in %.2fs", error.reason, attempt, delay
                    )
                    await self._sleep(delay)
                    continue
                self.breaker.record_success()
                return response
        except asyncio.CancelledError:
            self.breaker.abandon()
            raise

    async def _create(
        self, request: LLMRequest, schema: JsonSchema | None, schema_name: str
    ) -> ChatCompletion:
        arguments: dict[str, Any] = {
            "model": self._model,
            "messages": [
                {"role": message.role, "content": message.content} for message in request.messages
            ],
            "max_completion_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if schema is not None:
            arguments["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": dict(schema)},
            }
        try:
            result: object = await self._client.chat.completions.create(**arguments)
        except openai.APIError as error:
            raise _classify(error) from error
        except ValueError as error:  # the body was not JSON (json.JSONDecodeError)
            raise LLMError(
                "bad_response", f"response body is not JSON: {error}", provider=PROVIDER
            ) from error
        if not isinstance(result, ChatCompletion):
            raise LLMError(
                "bad_response",
                f"response is not a chat completion ({type(result).__name__})",
                provider=PROVIDER,
            )
        return result

    def _response(
        self,
        completion: ChatCompletion,
        request: LLMRequest,
        schema: JsonSchema | None,
        started: float,
        attempts: int,
    ) -> LLMResponse:
        choices = completion.choices
        if not isinstance(choices, list) or not choices:
            raise LLMError("bad_response", "response has no choices", provider=PROVIDER)
        choice = choices[0]
        message = getattr(choice, "message", None)
        text = getattr(message, "content", None)
        if not isinstance(text, str) or not text.strip():
            raise LLMError("bad_response", "response has no message content", provider=PROVIDER)
        data = parse_object(text, schema, provider=PROVIDER) if schema is not None else None
        return LLMResponse(
            text=text.strip(),
            provider=PROVIDER,
            model=completion.model if isinstance(completion.model, str) else self._model,
            usage=_usage(completion, request, text),
            latency_ms=(time.perf_counter() - started) * 1000,
            data=data,
            prompt=request.prompt,
            finish_reason=getattr(choice, "finish_reason", None),
            attempts=attempts,
        )

    def _record_failure(self, error: LLMError) -> None:
        if error.reason == "client_error":
            return
        self.breaker.record_failure()


def _classify(error: openai.APIError) -> LLMError:
    if isinstance(error, openai.APITimeoutError):
        return LLMError("timeout", "OpenAI request timed out", provider=PROVIDER, retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return LLMError(
            "connection_error", "could not reach OpenAI", provider=PROVIDER, retryable=True
        )
    if isinstance(error, openai.APIStatusError):
        return _classify_status(error.status_code, parse_retry_after(error.response.headers))
    # APIResponseValidationError and anything else the client cannot make sense of.
    return LLMError("bad_response", f"unusable OpenAI response: {error}", provider=PROVIDER)


def _classify_status(status: int, retry_after: float | None) -> LLMError:
    reason: FailureReason
    if status == 429:
        reason, message, retryable = "rate_limited", "OpenAI rate limit (429)", True
    elif status >= 500:
        reason, message, retryable = "server_error", f"OpenAI server error ({status})", True
    elif status in _MISCONFIGURED_STATUSES:
        reason, message, retryable = (
            "misconfigured",
            f"OpenAI refused this deployment ({status})",
            False,
        )
    else:
        reason, message, retryable = "client_error", f"OpenAI refused the request ({status})", False
    return LLMError(
        reason,
        message,
        provider=PROVIDER,
        retryable=retryable,
        retry_after=retry_after if retryable else None,
    )


def _usage(completion: ChatCompletion, request: LLMRequest, text: str) -> TokenUsage:
    usage = completion.usage
    if usage is not None and isinstance(usage.prompt_tokens, int):
        completion_tokens = (
            usage.completion_tokens if isinstance(usage.completion_tokens, int) else 0
        )
        return TokenUsage(usage.prompt_tokens, completion_tokens)
    # Some OpenAI-compatible servers omit usage: estimate so spend is never recorded as zero.
    prompt = "".join(message.content for message in request.messages)
    return TokenUsage.estimate(prompt, text)
