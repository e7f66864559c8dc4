"""A/B experiments defined in a YAML file (`EXPERIMENTS_FILE`), validated at startup.

    experiments:
      - id: listing_description_style
        description: Narrative prose vs. scannable highlights
        target: {type: prompt, id: listing_description}
        active: true
        variants:                 # the first variant is the control
          - {name: narrative, weight: 50}
          - {name: highlights, weight: 50}

A prompt experiment's variants are variants of that prompt template; a workflow experiment's
variants are interpreted by the workflow engine. At most one active experiment per target, so
which experiment applies to a request is never ambiguous.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class ExperimentConfigError(ValueError):
    """The experiments file is missing or invalid; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    type: Literal["prompt", "workflow"]
    id: str = Field(min_length=1)

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


class VariantSpec(_Strict):
    name: str
    weight: float = Field(gt=0, le=1_000_000)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"variant name {value!r} must be lower_snake_case")
        return value


class Experiment(_Strict):
    id: str
    description: str = ""
    target: Target
    active: bool = False
    variants: tuple[VariantSpec, ...] = Field(min_length=2)

    @field_validator("id")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"experiment id {value!r} must be lower_snake_case")
        return value

    @model_validator(mode="after")
    def _unique_variants(self) -> Self:
        names = [variant.name for variant in self.variants]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"variant names repeat: {', '.join(duplicates)}")
        return self

    @property
    def control(self) -> str:
        return self.variants[0].name

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(variant.name for variant in self.variants)

    def describe(self) -> dict[str, Any]:
        total = sum(variant.weight for variant in self.variants)
        return {
            "id": self.id,
            "description": self.description,
            "target": {"type": self.target.type, "id": self.target.id},
            "active": self.active,
            "control": self.control,
            "variants": [
                {
                    "name": variant.name,
                    "weight": variant.weight,
                    "share": round(variant.weight / total, 4),
                }
                for variant in self.variants
            ],
        }


class ExperimentsFile(_Strict):
    experiments: tuple[Experiment, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [experiment.id for experiment in self.experiments]
        duplicates = sorted({value for value in ids if ids.count(value) > 1})
        if duplicates:
            raise ValueError(f"experiment ids repeat: {', '.join(duplicates)}")
        active_targets: dict[str, str] = {}
        for experiment in self.experiments:
            if not experiment.active:
                continue
            target = str(experiment.target)
            if target in active_targets:
                raise ValueError(
                    f"experiments {active_targets[target]!r} and {experiment.id!r} are both "
                    f"active on {target}; at most one active experiment per target"
                )
            active_targets[target] = experiment.id
        return self


def load_experiments(path: Path) -> tuple[Experiment, ...]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExperimentConfigError(f"EXPERIMENTS_FILE {path} does not exist") from None
    except (OSError, yaml.YAMLError) as error:
        raise ExperimentConfigError(f"{path}: cannot read YAML ({error})") from None
    try:
        return ExperimentsFile.model_validate(raw or {}).experiments
    except ValidationError as error:
        raise ExperimentConfigError(f"{path}: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
