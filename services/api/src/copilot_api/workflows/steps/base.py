"""The contract every step type follows, and the registry the loader validates against."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from copilot_api.workflows.definitions import StepDefinition, WorkflowDefinition
    from copilot_api.workflows.services import WorkflowServices


class StepParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ParamsT = TypeVar("ParamsT", bound=StepParams)


class StepError(Exception):
    """A step could not do its job for a reason the caller should see (HTTP status + code)."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


@dataclass(slots=True)
class Usage:
    """What the LLM calls of one execution cost, and who answered."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    providers: list[str] = field(default_factory=list)
    fallback: bool = False
    calls: int = 0
    cached_calls: int = 0

    def add(
        self,
        provider: str,
        prompt_tokens: int,
        completion_tokens: int,
        *,
        fallback: bool,
        cached: bool,
    ) -> None:
        self.calls += 1
        self.cached_calls += int(cached)
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        if provider not in self.providers:
            self.providers.append(provider)
        self.fallback = self.fallback or fallback

    @property
    def all_cached(self) -> bool:
        """Every LLM answer of the execution came from the prompt cache."""
        return self.calls > 0 and self.cached_calls == self.calls

    @property
    def provider(self) -> str | None:
        return "+".join(self.providers) if self.providers else None


@dataclass(frozen=True, slots=True)
class Variant:
    """The A/B variant this execution runs, and what the experiment targets."""

    experiment_id: str
    name: str
    target_type: str  # "prompt" or "workflow"
    target_id: str

    def prompt_variant(self, prompt_id: str) -> str | None:
        """The prompt variant to render: a prompt experiment's variant for its own prompt, a
        workflow experiment's variant for every prompt (when the template has it)."""
        if self.target_type == "workflow" or self.target_id == prompt_id:
            return self.name
        return None


Effect = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class StepContext:
    execution_id: UUID
    workflow: WorkflowDefinition
    step: StepDefinition
    user_id: str | None
    session_id: str | None
    variant: Variant | None
    services: WorkflowServices
    usage: Usage
    effects: list[Effect]

    def defer(self, effect: Effect) -> None:
        """Run `effect` only after every step succeeded: a failed execution changes nothing."""
        self.effects.append(effect)


class StepType(ABC, Generic[ParamsT]):
    name: ClassVar[str]
    params_model: ClassVar[type[StepParams]]
    needs_prompt: ClassVar[bool] = False

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> str | None:
        """Load-time check: unknown or missing parameter names (values may be references)."""
        fields = cls.params_model.model_fields
        unknown = sorted(set(params) - set(fields))
        if unknown:
            return f"unknown parameter(s) {', '.join(unknown)} for step type '{cls.name}'"
        missing = sorted(
            name for name, info in fields.items() if info.is_required() and name not in params
        )
        if missing:
            return f"missing parameter(s) {', '.join(missing)} for step type '{cls.name}'"
        return None

    def parse_params(self, resolved: dict[str, Any]) -> ParamsT:
        try:
            return self.params_model.model_validate(resolved)  # type: ignore[return-value]
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise StepError(422, "invalid_step_input", f"{where}: {first['msg']}") from None

    @abstractmethod
    async def run(self, params: ParamsT, context: StepContext) -> dict[str, Any]:
        """Do the work; return a JSON-able mapping that later steps may reference."""


class StepRegistry:
    def __init__(self, step_types: Iterable[StepType[Any]] = ()) -> None:
        self._types: dict[str, StepType[Any]] = {}
        for step_type in step_types:
            self.register(step_type)

    def register(self, step_type: StepType[Any]) -> None:
        if step_type.name in self._types:
            raise ValueError(f"step type '{step_type.name}' registered twice")
        self._types[step_type.name] = step_type

    def get(self, name: str) -> StepType[Any] | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return list(self._types)
