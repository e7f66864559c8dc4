"""Workflow definitions as loaded from `workflows/*.yaml`, and their validation.

A definition names its input (a JSON Schema) and ordered steps. Step parameters are literals or
references: `$input.<field>`, `$steps.<step id>[.<key>...]` or `$context.<user_id|session_id>`.
Everything that can be checked before running is checked at load time, so a bad definition stops
the service from starting with an error naming the file and the step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot_api.workflows.steps.base import StepRegistry

_IDENTIFIER = r"^[a-z][a-z0-9_]*$"
REFERENCE = re.compile(r"^\$(input|steps|context)(?:\.([A-Za-z0-9_.]+))?$")
CONTEXT_KEYS = frozenset({"user_id", "session_id", "execution_id"})


class WorkflowDefinitionError(Exception):
    """A workflow file is invalid; the message names the file (and the step)."""


class StepDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    id: str = Field(pattern=_IDENTIFIER)
    type: str
    params: dict[str, Any] = Field(default_factory=dict, alias="with")
    prompt: str | None = None
    timeout_s: float = Field(10.0, gt=0, le=120)


class WorkflowDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_IDENTIFIER)
    version: int = Field(ge=1)
    description: str = Field(min_length=1)
    input: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    steps: tuple[StepDefinition, ...] = Field(min_length=1)
    output: str | None = None  # the step whose result is the workflow's output (default: last)

    @property
    def output_step(self) -> str:
        return self.output or self.steps[-1].id

    def input_properties(self) -> Mapping[str, Any]:
        properties = self.input.get("properties", {})
        return properties if isinstance(properties, Mapping) else {}


def load_definition(
    path: Path, steps: StepRegistry, prompt_ids: frozenset[str]
) -> WorkflowDefinition:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise WorkflowDefinitionError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise WorkflowDefinitionError(f"{path}: expected a mapping at the top level")
    try:
        definition = WorkflowDefinition.model_validate(raw)
    except ValidationError as error:
        raise WorkflowDefinitionError(f"{path}: {_describe(error, raw)}") from None
    _check_input_schema(path, definition)
    _check_steps(path, definition, steps, prompt_ids)
    return definition


def _check_input_schema(path: Path, definition: WorkflowDefinition) -> None:
    try:
        Draft202012Validator.check_schema(definition.input)
    except SchemaError as error:
        raise WorkflowDefinitionError(f"{path}: input schema is invalid: {error.message}") from None
    if definition.input.get("type") != "object":
        raise WorkflowDefinitionError(f"{path}: input schema must have type: object")


def _check_steps(
    path: Path, definition: WorkflowDefinition, steps: StepRegistry, prompt_ids: frozenset[str]
) -> None:
    seen: list[str] = []
    for step in definition.steps:
        where = f"{path}: step '{step.id}'"
        if step.id in seen:
            raise WorkflowDefinitionError(f"{where}: duplicate step id")
        step_type = steps.get(step.type)
        if step_type is None:
            known = ", ".join(sorted(steps.names()))
            raise WorkflowDefinitionError(
                f"{where}: unknown step type '{step.type}' (known: {known})"
            )
        if step_type.needs_prompt and step.prompt is None:
            raise WorkflowDefinitionError(f"{where}: step type '{step.type}' needs a 'prompt'")
        if step.prompt is not None and step.prompt not in prompt_ids:
            raise WorkflowDefinitionError(f"{where}: unknown prompt '{step.prompt}'")
        problem = step_type.check_params(step.params)
        if problem:
            raise WorkflowDefinitionError(f"{where}: {problem}")
        for reference in iter_references(step.params):
            problem = _check_reference(reference, definition, seen)
            if problem:
                raise WorkflowDefinitionError(f"{where}: {problem}")
        seen.append(step.id)
    if definition.output is not None and definition.output not in seen:
        raise WorkflowDefinitionError(f"{path}: output names unknown step '{definition.output}'")


def _check_reference(
    reference: str, definition: WorkflowDefinition, earlier: list[str]
) -> str | None:
    match = REFERENCE.match(reference)
    if match is None:
        return f"bad reference '{reference}' (use $input.x, $steps.id or $context.user_id)"
    source, dotted = match[1], match[2]
    head = dotted.split(".")[0] if dotted else None
    if source == "input" and head is not None and head not in definition.input_properties():
        return f"reference '{reference}' names an input field the input schema does not define"
    if source == "steps":
        if head is None:
            return f"reference '{reference}' must name a step"
        if head not in earlier:
            return f"reference '{reference}' names a step that does not run before this one"
    if source == "context" and head not in CONTEXT_KEYS:
        return f"reference '{reference}': context offers {', '.join(sorted(CONTEXT_KEYS))}"
    return None


def iter_references(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("$"):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from iter_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_references(item)


def _describe(error: ValidationError, raw: dict[str, Any]) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        location = list(item["loc"])
        if len(location) >= 2 and location[0] == "steps" and isinstance(location[1], int):
            steps = raw.get("steps") or []
            step_id = steps[location[1]].get("id") if location[1] < len(steps) else None
            label = f"step '{step_id}'" if step_id else f"step #{location[1] + 1}"
            field = ".".join(str(part) for part in location[2:])
            problems.append(
                f"{label}: {field}: {item['msg']}" if field else f"{label}: {item['msg']}"
            )
        else:
            problems.append(f"{'.'.join(str(part) for part in location)}: {item['msg']}")
    return "; ".join(problems)
