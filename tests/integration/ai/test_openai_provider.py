"""The real `openai` client against a local OpenAI-compatible server: success, 429 then success,
timeouts, 5xx leading to the local fallback, malformed JSON, structured output, the breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from copilot_api.ai.llm import (
    CircuitBreaker,
    FallbackProvider,
    LLMError,
    LLMRequest,
    LocalProvider,
    OpenAIProvider,
    RetryPolicy,
    build_llm,
)
from copilot_api.ai.llm.openai_provider import build_openai_client
from copilot_api.ai.prompts import PromptRegistry
from copilot_config import Settings
from tests.harness import REPO_ROOT
from tests.integration.ai.fake_openai import FakeOpenAI, Reply, completion, error_body
from tests.unit.ai.listings import SUBJECT

T = TypeVar("T")
PROMPTS = PromptRegistry.load(REPO_ROOT / "definitions/prompts")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as server:
        yield server


def _request() -> LLMRequest:
    return PROMPTS.render("listing_description", {"listing": SUBJECT, "max_chars": 600}).request()


def _run(
    fake: FakeOpenAI,
    use: Callable[[OpenAIProvider], Awaitable[T]],
    *,
    timeout: float = 2.0,
    max_retries: int = 2,
    threshold: int = 5,
) -> T:
    async def main() -> T:
        client = build_openai_client("sk-test", base_url=fake.base_url, timeout=timeout)
        provider = OpenAIProvider(
            client,
            model="gpt-test",
            breaker=CircuitBreaker(threshold, reset_timeout=60),
            retry=RetryPolicy(max_retries=max_retries, base_delay=0.02, max_delay=0.1),
        )
        try:
            return await use(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())


def test_success_returns_text_usage_and_provider(fake: FakeOpenAI) -> None:
    fake.queue(Reply(body=completion("Charming 3-bedroom home.", prompt_tokens=321)))
    response = _run(fake, lambda provider: provider.generate(_request()))
    assert response.text == "Charming 3-bedroom home."
    assert (response.provider, response.model, response.fallback) == (
        "openai",
        "gpt-test-2025",
        False,
    )
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (321, 17)
    assert not response.usage.estimated
    assert response.attempts == 1
    assert response.prompt is not None
    assert response.prompt.id == "listing_description"
    assert response.latency_ms > 0
    sent = fake.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["authorization"] == "Bearer sk-test"
    assert sent["json"]["model"] == "gpt-test"
    assert [m["role"] for m in sent["json"]["messages"]] == ["system", "user"]
    assert sent["json"]["max_completion_tokens"] == 450  # the variant's params
    assert sent["json"]["temperature"] == 0.4


def test_429_then_success_honours_retry_after(fake: FakeOpenAI) -> None:
    fake.queue(
        Reply(429, error_body("slow down", "rate_limit_exceeded"), {"retry-after": "0.3"}),
        Reply(body=completion("after the wait")),
    )
    started = time.perf_counter()
    response = _run(fake, lambda provider: provider.generate(_request()))
    assert response.text == "after the wait"
    assert response.attempts == 2
    assert time.perf_counter() - started >= 0.3
    assert len(fake.requests) == 2


def test_a_timeout_is_retried_then_reported(fake: FakeOpenAI) -> None:
    fake.queue(Reply(delay=2.0), Reply(delay=2.0))
    started = time.perf_counter()
    with pytest.raises(LLMError) as raised:
        _run(fake, lambda provider: provider.generate(_request()), timeout=0.2, max_retries=1)
    assert raised.value.reason == "timeout"
    assert time.perf_counter() - started < 1.5  # two 0.2 s attempts, not the server's 2 s
    assert len(fake.requests) == 2


def test_timeout_then_success(fake: FakeOpenAI) -> None:
    fake.queue(Reply(delay=2.0), Reply(body=completion("second time lucky")))
    response = _run(fake, lambda provider: provider.generate(_request()), timeout=0.2)
    assert (response.text, response.attempts) == ("second time lucky", 2)


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b'{"choices": [', "application/json", "not JSON"),
        (b"<html>502 Bad Gateway</html>", "text/html", "not a chat completion"),
        (b'{"id": "x", "object": "chat.completion"}', "application/json", "no choices"),
        (
            b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": ""}}]}',
            "application/json",
            "no message content",
        ),
    ],
)
def test_malformed_responses_are_bad_responses(
    fake: FakeOpenAI, body: bytes, content_type: str, problem: str
) -> None:
    fake.queue(Reply(body=body, content_type=content_type))
    with pytest.raises(LLMError) as raised:
        _run(fake, lambda provider: provider.generate(_request()))
    assert raised.value.reason == "bad_response"
    assert problem in str(raised.value)
    assert len(fake.requests) == 1  # not retried


@pytest.mark.parametrize(
    ("status", "reason", "counts"),
    [(401, "misconfigured", True), (404, "misconfigured", True), (400, "client_error", False)],
)
def test_client_errors_are_not_retried(
    fake: FakeOpenAI, status: int, reason: str, counts: bool
) -> None:
    fake.queue(Reply(status, error_body("nope", "invalid_request_error")))

    async def use(provider: OpenAIProvider) -> int:
        with pytest.raises(LLMError) as raised:
            await provider.generate(_request())
        assert raised.value.reason == reason
        failures: int = provider.breaker.snapshot()["consecutive_failures"]
        return failures

    failures = _run(fake, use)
    assert failures == (1 if counts else 0)
    assert len(fake.requests) == 1


def test_structured_output_sends_the_schema_and_validates_the_answer(fake: FakeOpenAI) -> None:
    schema = {
        "type": "object",
        "required": ["remarks"],
        "properties": {"remarks": {"type": "string"}},
        "additionalProperties": False,
    }
    fake.queue(
        Reply(body=completion('```json\n{"remarks": "Bright home."}\n```')),
        Reply(body=completion('{"remarks": 7}')),
    )

    async def use(provider: OpenAIProvider) -> Any:
        good = await provider.generate_json(_request(), schema, name="listing_remarks")
        with pytest.raises(LLMError) as raised:
            await provider.generate_json(_request(), schema)
        assert raised.value.reason == "invalid_output"
        # A model answering off-schema is not an outage: the breaker does not count it.
        assert provider.breaker.snapshot()["consecutive_failures"] == 0
        return good

    response = _run(fake, use)
    assert response.data == {"remarks": "Bright home."}
    response_format = fake.requests[0]["json"]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "listing_remarks"
    assert response_format["json_schema"]["schema"] == schema


def test_5xx_exhaust_retries_fall_back_to_local_then_open_the_breaker(
    fake: FakeOpenAI,
) -> None:
    fake.queue(*[Reply(500, error_body("boom", "server_error")) for _ in range(6)])

    async def use(provider: OpenAIProvider) -> list[Any]:
        llm = FallbackProvider(provider, LocalProvider())
        answers = [await llm.generate(_request()) for _ in range(3)]
        return [answers, llm.snapshot()]

    answers, snapshot = _run(fake, use, max_retries=2, threshold=2)
    first, second, third = answers
    # Each failing call made 1 + 2 retries; two failed calls opened the breaker.
    assert len(fake.requests) == 6
    for answer in (first, second):
        assert (answer.provider, answer.fallback, answer.fallback_reason) == (
            "local",
            True,
            "server_error",
        )
        assert "3-bedroom single-family home" in answer.text
    # The third never reached the server: the open breaker failed fast.
    assert (third.provider, third.fallback_reason) == ("local", "circuit_open")
    assert snapshot["status"] == "degraded"
    assert snapshot["circuit_breaker"]["state"] == "open"
    assert snapshot["fallbacks"] == {"server_error": 2, "circuit_open": 1}


def test_malformed_json_falls_back_to_local(fake: FakeOpenAI) -> None:
    fake.queue(Reply(body=b'{"choices": [{"message": '))

    async def use(provider: OpenAIProvider) -> Any:
        return await FallbackProvider(provider, LocalProvider()).generate(_request())

    answer = _run(fake, use)
    assert (answer.provider, answer.fallback, answer.fallback_reason) == (
        "local",
        True,
        "bad_response",
    )


def test_settings_build_openai_with_base_url_or_local_without_a_key(
    fake: FakeOpenAI, make_settings: Callable[..., Settings]
) -> None:
    fake.queue(Reply(body=completion("from settings")))
    settings = make_settings(
        openai_api_key="sk-settings",
        openai_base_url=fake.base_url,
        openai_chat_model="gpt-configured",
        llm_timeout_seconds=2,
    )

    async def main() -> tuple[Any, Any]:
        keyed = build_llm(settings.llm, settings.openai)
        try:
            answer = await keyed.generate(_request())
        finally:
            await keyed.aclose()
        keyless_settings = make_settings()
        keyless = build_llm(keyless_settings.llm, keyless_settings.openai)
        return answer, await keyless.generate(_request())

    answer, local = asyncio.run(main())
    assert (answer.provider, answer.text) == ("openai", "from settings")
    assert fake.requests[0]["json"]["model"] == "gpt-configured"
    assert fake.requests[0]["authorization"] == "Bearer sk-settings"
    assert (local.provider, local.fallback) == ("local", False)
