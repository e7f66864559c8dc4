"""Versioned prompt templates with named variants, loaded from `PROMPTS_DIR` and checked at startup.

One YAML file per prompt, named after its id (`definitions/prompts/listing_description.yaml`):

    id: listing_description         # must match the file name
    version: 3                      # bump on every change: it is part of every cache key
    task: listing_description       # what the local provider writes (default: the id)
    description: ...
    variables: [listing, max_chars] # exactly these must be passed to render()
    default_variant: narrative      # default: the first variant
    schema: {...}                   # optional JSON schema: the prompt asks for JSON output
    variants:
      narrative:
        params: {style: narrative, temperature: 0.4, max_tokens: 500}
        system: "..."
        user: "... {{ listing }} ..."

Placeholders are `{{ name }}`. A placeholder that is not a declared variable, a declared variable
no variant uses, or a malformed file stops the service at startup with an error naming the file.
Rendering is strict too: a missing or unexpected variable is an error, never an empty string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from copilot_api.ai.llm.local.facts import AGENT_ONLY_FIELDS
from copilot_api.ai.llm.structured import check_schema
from copilot_api.ai.llm.types import JsonSchema, LLMRequest, Message, PromptRef

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_LEVEL_KEYS = frozenset(
    {"id", "version", "task", "description", "variables", "default_variant", "schema", "variants"}
)
_VARIANT_KEYS = frozenset({"system", "user", "params"})
_DEFAULT_MAX_TOKENS = 800
_DEFAULT_TEMPERATURE = 0.3


class PromptError(ValueError):
    """One or more prompt files are invalid; the message names each file and problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid prompt templates:\n  " + "\n  ".join(problems))
        self.problems = problems


class PromptRenderError(ValueError):
    """The variables passed to render() do not match the template's declared variables."""


@dataclass(frozen=True, slots=True)
class PromptVariant:
    name: str
    user: str
    system: str | None
    params: Mapping[str, Any]

    @property
    def max_tokens(self) -> int:
        return int(self.params.get("max_tokens", _DEFAULT_MAX_TOKENS))

    @property
    def temperature(self) -> float:
        return float(self.params.get("temperature", _DEFAULT_TEMPERATURE))


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    ref: PromptRef
    task: str
    messages: tuple[Message, ...]
    variables: Mapping[str, Any]
    variant: PromptVariant
    schema: JsonSchema | None = None

    def request(self) -> LLMRequest:
        """The provider request: messages for OpenAI, the raw variables for the local writer."""
        return LLMRequest(
            task=self.task,
            messages=self.messages,
            context=self.variables,
            prompt=self.ref,
            max_tokens=self.variant.max_tokens,
            temperature=self.variant.temperature,
            options=self.variant.params,
        )


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    id: str
    version: int
    task: str
    description: str
    variables: tuple[str, ...]
    variants: Mapping[str, PromptVariant]
    default_variant: str
    schema: JsonSchema | None = None
    source: Path | None = field(default=None, compare=False)

    def ref(self, variant: str | None = None) -> PromptRef:
        return PromptRef(self.id, self.version, self._variant(variant).name)

    def render(self, variables: Mapping[str, Any], variant: str | None = None) -> RenderedPrompt:
        chosen = self._variant(variant)
        missing = [name for name in self.variables if name not in variables]
        unexpected = sorted(set(variables) - set(self.variables))
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(f"missing {', '.join(missing)}")
            if unexpected:
                problems.append(f"unexpected {', '.join(unexpected)}")
            raise PromptRenderError(
                f"prompt {self.id!r} v{self.version}: {'; '.join(problems)} "
                f"(declared: {', '.join(self.variables)})"
            )
        messages = []
        if chosen.system:
            messages.append(Message("system", _fill(chosen.system, variables)))
        messages.append(Message("user", _fill(chosen.user, variables)))
        return RenderedPrompt(
            ref=PromptRef(self.id, self.version, chosen.name),
            task=self.task,
            messages=tuple(messages),
            variables=dict(variables),
            variant=chosen,
            schema=self.schema,
        )

    def _variant(self, name: str | None) -> PromptVariant:
        chosen = self.variants.get(name or self.default_variant)
        if chosen is None:
            raise PromptRenderError(
                f"prompt {self.id!r} has no variant {name!r} (variants: {', '.join(self.variants)})"
            )
        return chosen


class PromptRegistry:
    def __init__(self, templates: Mapping[str, PromptTemplate]) -> None:
        self._templates = dict(templates)

    @classmethod
    def load(cls, directory: Path) -> PromptRegistry:
        if not directory.is_dir():
            raise PromptError([f"{directory}: PROMPTS_DIR is not a folder"])
        templates: dict[str, PromptTemplate] = {}
        problems: list[str] = []
        files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
        for path in files:
            try:
                template = parse_template(path)
            except PromptError as error:
                problems.extend(error.problems)
                continue
            if template.id in templates:
                problems.append(f"{path}: prompt id {template.id!r} is defined twice")
                continue
            templates[template.id] = template
        if not files:
            problems.append(f"{directory}: no prompt templates (*.yaml)")
        if problems:
            raise PromptError(problems)
        return cls(templates)

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._templates

    def __len__(self) -> int:
        return len(self._templates)

    def get(self, prompt_id: str) -> PromptTemplate:
        try:
            return self._templates[prompt_id]
        except KeyError:
            raise KeyError(f"no prompt template {prompt_id!r}") from None

    def ids(self) -> list[str]:
        return sorted(self._templates)

    def render(
        self, prompt_id: str, variables: Mapping[str, Any], variant: str | None = None
    ) -> RenderedPrompt:
        return self.get(prompt_id).render(variables, variant)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "id": template.id,
                "version": template.version,
                "task": template.task,
                "variants": list(template.variants),
                "default_variant": template.default_variant,
                "variables": list(template.variables),
                "structured": template.schema is not None,
            }
            for template in (self._templates[key] for key in self.ids())
        ]


def parse_template(path: Path) -> PromptTemplate:
    """Read and validate one file; every problem found is reported, prefixed with the path."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PromptError([f"{path}: cannot read YAML ({error})"]) from None
    if not isinstance(raw, dict):
        raise PromptError([f"{path}: must be a mapping with id, version and variants"])
    problems: list[str] = []
    _check_header(raw, path.stem, problems)
    variables = _check_variables(raw.get("variables", []), problems)
    schema = _check_schema(raw.get("schema"), problems)
    variants = _parse_variants(raw.get("variants"), set(variables), problems)
    used = {name for variant in variants.values() for name in _placeholders(variant)}
    problems.extend(
        f"variable {name!r} is declared but no variant uses it"
        for name in variables
        if name not in used
    )
    default_variant = raw.get("default_variant", next(iter(variants), None))
    if variants and default_variant not in variants:
        problems.append(f"default_variant {default_variant!r} is not a variant")
    if problems:
        raise PromptError([f"{path}: {problem}" for problem in problems])
    return PromptTemplate(
        id=raw["id"],
        version=raw["version"],
        task=str(raw.get("task", raw["id"])),
        description=str(raw.get("description", "")),
        variables=tuple(variables),
        variants=variants,
        default_variant=str(default_variant),
        schema=schema,
        source=path,
    )


def _check_header(raw: Mapping[str, Any], stem: str, problems: list[str]) -> None:
    problems.extend(f"unknown key {key!r}" for key in sorted(set(raw) - _TOP_LEVEL_KEYS))
    prompt_id = raw.get("id")
    if prompt_id != stem:
        problems.append(f"id {prompt_id!r} must match the file name {stem!r}")
    if not isinstance(prompt_id, str) or not _IDENTIFIER.match(prompt_id):
        problems.append("id must be lower_snake_case")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append("version must be a positive integer")
    task = raw.get("task", prompt_id)
    if not isinstance(task, str) or not task:
        problems.append("task must be a non-empty string")


def _check_variables(value: Any, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(name, str) and _IDENTIFIER.match(name) for name in value
    ):
        problems.append("variables must be a list of lower_snake_case names")
        return []
    if len(set(value)) != len(value):
        problems.append("variables lists a name twice")
    return value


def _check_schema(value: Any, problems: list[str]) -> JsonSchema | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append("schema must be a mapping")
        return None
    try:
        check_schema(value)
    except ValueError as error:
        problems.append(str(error))
    return value


def _parse_variants(
    value: Any, declared: set[str], problems: list[str]
) -> dict[str, PromptVariant]:
    if not isinstance(value, dict) or not value:
        problems.append("variants must be a non-empty mapping of name -> {system, user, params}")
        return {}
    variants: dict[str, PromptVariant] = {}
    for name, body in value.items():
        where = f"variant {name!r}"
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            problems.append(f"{where}: name must be lower_snake_case")
            continue
        if not isinstance(body, dict):
            problems.append(f"{where}: must be a mapping with user (and system, params)")
            continue
        for key in sorted(set(body) - _VARIANT_KEYS):
            problems.append(f"{where}: unknown key {key!r}")
        user, system = body.get("user"), body.get("system")
        params = body.get("params", {})
        if not isinstance(user, str) or not user.strip():
            problems.append(f"{where}: user template is missing")
            continue
        if system is not None and not isinstance(system, str):
            problems.append(f"{where}: system must be text")
            continue
        if not isinstance(params, dict):
            problems.append(f"{where}: params must be a mapping")
            continue
        problems.extend(f"{where}: {problem}" for problem in _check_params(params))
        variant = PromptVariant(name, user, system, params)
        for placeholder in sorted(_placeholders(variant) - declared):
            problems.append(f"{where}: uses {{{{ {placeholder} }}}}, which is not a variable")
        variants[name] = variant
    return variants


def _check_params(params: Mapping[str, Any]) -> list[str]:
    problems = []
    temperature = params.get("temperature", _DEFAULT_TEMPERATURE)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        problems.append("params.temperature must be a number from 0 to 2")
    max_tokens = params.get("max_tokens", _DEFAULT_MAX_TOKENS)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        problems.append("params.max_tokens must be a positive integer")
    return problems


def _placeholders(variant: PromptVariant) -> set[str]:
    texts = [variant.user, variant.system or ""]
    return {match.group(1) for text in texts for match in _PLACEHOLDER.finditer(text)}


def _fill(template: str, variables: Mapping[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda match: _as_text(variables[match.group(1)]), template)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "(not given)"
    if isinstance(value, int | float):
        return str(value)
    # One line, C encoder: cheaper to build than indented JSON and fewer tokens for the model.
    return json.dumps(_client_safe(value), ensure_ascii=False, default=str)


def _client_safe(value: Any) -> Any:
    """Agent-only RESO fields never reach a model: its output may be shown to clients."""
    if isinstance(value, Mapping):
        return {
            key: _client_safe(item) for key, item in value.items() if key not in AGENT_ONLY_FIELDS
        }
    if isinstance(value, list | tuple):
        return [_client_safe(item) for item in value]
    return value
