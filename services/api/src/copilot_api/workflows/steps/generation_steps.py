"""Steps that write text: an LLM call from a prompt template, then the fair-housing review."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from copilot_api.ai.llm.types import LLMError
from copilot_api.ai.prompts import PromptRenderError
from copilot_api.compliance.advertising_review import review_generated_text
from copilot_api.workflows.steps.base import StepContext, StepError, StepParams, StepType


class GenerateParams(StepParams):
    variables: dict[str, Any]


class Generate(StepType[GenerateParams]):
    """Renders the step's prompt (A/B variant when one applies) and asks the LLM provider."""

    name: ClassVar[str] = "generate"
    params_model: ClassVar[type[StepParams]] = GenerateParams
    needs_prompt: ClassVar[bool] = True

    async def run(self, params: GenerateParams, context: StepContext) -> dict[str, Any]:
        prompt_id = context.step.prompt
        assert prompt_id is not None  # the loader requires it
        template = context.services.prompts.get(prompt_id)
        variant = context.variant.prompt_variant(prompt_id) if context.variant else None
        if variant is not None and variant not in template.variants:
            variant = None
        try:
            rendered = template.render(params.variables, variant)
        except PromptRenderError as error:
            raise StepError(422, "prompt_render_failed", str(error)) from None
        try:
            response = await context.services.llm.generate(rendered.request())
        except LLMError as error:
            raise StepError(
                502, "llm_unavailable", f"No language model could answer ({error.reason})."
            ) from None
        context.usage.add(
            response.provider,
            response.usage.prompt_tokens,
            response.usage.completion_tokens,
            fallback=response.fallback,
            cached=response.cached,
        )
        return {
            "text": response.text.strip(),
            "provider": response.provider,
            "model": response.model,
            "fallback": response.fallback,
            "cached": response.cached,
            "prompt": rendered.ref.as_dict(),
        }


class ComplianceCheckParams(StepParams):
    text: str
    max_chars: int | None = Field(None, ge=50, le=10_000)
    housing_for_older_persons: bool | None = None  # the listing's SeniorCommunityYN


class ComplianceCheck(StepType[ComplianceCheckParams]):
    """Rewrites or removes discriminatory phrasing (HUD advertising guidance), then enforces the
    length limit at a sentence boundary so the text stays MLS-ready."""

    name: ClassVar[str] = "compliance_check"
    params_model: ClassVar[type[StepParams]] = ComplianceCheckParams

    async def run(self, params: ComplianceCheckParams, context: StepContext) -> dict[str, Any]:
        text, findings = review_generated_text(
            params.text, housing_for_older_persons=bool(params.housing_for_older_persons)
        )
        if params.max_chars is not None:
            text = truncate_at_sentence(text, params.max_chars)
        return {
            "text": text,
            "compliance": {
                "blocked": False,
                "rewritten": any(finding.action != "flagged" for finding in findings),
                "flagged": any(finding.action == "flagged" for finding in findings),
                "findings": [finding.as_dict() for finding in findings],
            },
        }


def truncate_at_sentence(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind(".\n"))
    if end >= limit // 2:
        return cut[: end + 1].rstrip()
    return cut[: cut.rfind(" ")].rstrip(" ,;:") + "…"


class RespondParams(StepParams):
    model_config = StepParams.model_config | {"extra": "allow"}


class Respond(StepType[RespondParams]):
    """Assembles the workflow's output from earlier steps (any parameters, passed through)."""

    name: ClassVar[str] = "respond"
    params_model: ClassVar[type[StepParams]] = RespondParams

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> str | None:
        return None if params else "a respond step needs at least one output field"

    async def run(self, params: RespondParams, context: StepContext) -> dict[str, Any]:
        return params.model_dump()
