"""Validating a workflow's input against its JSON Schema (and filling top-level defaults)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from copilot_api.errors import ApiError
from copilot_api.workflows.definitions import WorkflowDefinition


def validate_input(definition: WorkflowDefinition, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ApiError(400, "validation_error", "The workflow input must be a JSON object.")
    validator = Draft202012Validator(definition.input)
    problems = [
        {
            "field": ".".join(str(part) for part in error.absolute_path) or None,
            "message": error.message,
        }
        for error in sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    ]
    if problems:
        raise ApiError(
            400,
            "validation_error",
            f"The input does not match the '{definition.id}' workflow's input schema.",
            details=problems,
        )
    filled = dict(payload)
    for name, schema in definition.input_properties().items():
        if name not in filled and isinstance(schema, dict) and "default" in schema:
            filled[name] = schema["default"]
    return filled
