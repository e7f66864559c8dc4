"""Structured output: parse a model's JSON answer and validate it against the caller's schema."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from copilot_api.ai.llm.types import JsonSchema, LLMError


def check_schema(schema: JsonSchema) -> None:
    """Raise ValueError for a schema that is not valid JSON Schema (a programming error)."""
    try:
        Draft202012Validator.check_schema(dict(schema))
    except SchemaError as error:
        raise ValueError(f"invalid JSON schema: {error.message}") from None


def validate_object(data: Any, schema: JsonSchema, *, provider: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise LLMError(
            "invalid_output", "structured output is not a JSON object", provider=provider
        )
    errors = sorted(
        Draft202012Validator(dict(schema)).iter_errors(data), key=lambda error: list(error.path)
    )
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in first.path) or "(root)"
        raise LLMError(
            "invalid_output",
            f"structured output does not match the schema at {where}: {first.message}",
            provider=provider,
        )
    return data


def parse_object(text: str, schema: JsonSchema, *, provider: str) -> dict[str, Any]:
    """Parse a JSON answer, tolerating a Markdown code fence some models wrap it in."""
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`")
        body = body.removeprefix("json").strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:
        raise LLMError(
            "invalid_output", f"structured output is not JSON ({error.msg})", provider=provider
        ) from None
    return validate_object(data, schema, provider=provider)
