"""The one interface every LLM provider implements, and the values that cross it.

A request carries both the rendered chat messages (what OpenAI reads) and the structured facts
they were rendered from (what the local provider writes from), so any provider can answer any
request and the fallback never has to re-render a prompt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]

FailureReason = Literal[
    "timeout",
    "rate_limited",
    "server_error",
    "connection_error",
    "client_error",
    "misconfigured",
    "bad_response",
    "invalid_output",
    "circuit_open",
    "unsupported_task",
    "invalid_context",
]


@dataclass(frozen=True, slots=True)
class PromptRef:
    """Which template produced a request: part of every cache key and of every response."""

    id: str
    version: int
    variant: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "variant": self.variant}


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class LLMRequest:
    task: str
    """What is being written (listing_description, market_analysis, client_followup...)."""
    messages: tuple[Message, ...]
    context: Mapping[str, Any] = field(default_factory=dict)
    """The facts the messages were rendered from; the local provider writes from these."""
    prompt: PromptRef | None = None
    max_tokens: int = 800
    temperature: float = 0.3
    options: Mapping[str, Any] = field(default_factory=dict)
    """Variant parameters the local writers understand (style, max_chars, ...)."""


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False
    """True when counted locally (~4 characters a token) rather than reported by the API."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def estimate(cls, prompt: str, completion: str) -> TokenUsage:
        return cls(_estimate_tokens(prompt), _estimate_tokens(completion), estimated=True)


def _estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


@dataclass(frozen=True, slots=True)
class LLMResponse:
    text: str
    provider: str
    """Which provider produced the text: "openai" or "local"."""
    model: str
    usage: TokenUsage
    latency_ms: float
    fallback: bool = False
    """True when the configured provider failed (or its breaker was open) and another answered."""
    fallback_reason: FailureReason | None = None
    data: dict[str, Any] | None = None
    """The parsed, schema-validated object of a structured (JSON) request."""
    prompt: PromptRef | None = None
    finish_reason: str | None = None
    attempts: int = 1
    cached: bool = False

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["usage"]["total_tokens"] = self.usage.total_tokens
        return body

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> LLMResponse:
        usage = dict(body["usage"])
        usage.pop("total_tokens", None)
        prompt = body.get("prompt")
        return cls(
            text=body["text"],
            provider=body["provider"],
            model=body["model"],
            usage=TokenUsage(**usage),
            latency_ms=body["latency_ms"],
            fallback=body.get("fallback", False),
            fallback_reason=body.get("fallback_reason"),
            data=body.get("data"),
            prompt=PromptRef(**prompt) if prompt else None,
            finish_reason=body.get("finish_reason"),
            attempts=body.get("attempts", 1),
            cached=body.get("cached", False),
        )


class LLMError(Exception):
    """A provider could not answer. `reason` is machine-readable; the message is for logs."""

    def __init__(
        self,
        reason: FailureReason,
        message: str,
        *,
        provider: str,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason: FailureReason = reason
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after


JsonSchema = Mapping[str, Any]


@runtime_checkable
class LLMProvider(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    async def generate(self, request: LLMRequest) -> LLMResponse:
        """Free text. Raises `LLMError` when the provider cannot answer."""
        ...

    async def generate_json(
        self, request: LLMRequest, schema: JsonSchema, *, name: str = "result"
    ) -> LLMResponse:
        """A JSON object valid against `schema`, in `response.data` (and as text)."""
        ...
