"""The environment contract: every variable the service reads, derived from `Settings`' sections.

The platform renders the container's `environment` and `secrets` from this list, `.env.example`
must list exactly these names, and the README's configuration table is generated from it.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from copilot_config.settings import Environment, section_models


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    type: str
    default: str | None
    secret: bool
    required_in: tuple[Environment, ...]
    description: str
    section: str
    # Where the service reads it: `settings.<section>.<attribute>`.
    attribute: str


# Variables the validator requires in deployed environments (see Settings._check_environment_rules).
_REQUIRED_WHEN_DEPLOYED = frozenset({"DATABASE_URL", "REDIS_URL"})


def env_contract() -> list[EnvVar]:
    return [
        _describe(field_name, info, section_name)
        for section_name, model in section_models().items()
        for field_name, info in model.model_fields.items()
    ]


def env_var(name: str) -> EnvVar:
    for variable in env_contract():
        if variable.name == name:
            return variable
    raise KeyError(name)


def _describe(field_name: str, info: FieldInfo, section: str) -> EnvVar:
    if info.alias is None:
        raise TypeError(f"settings field {section}.{field_name} names no environment variable")
    name = info.alias
    required = (
        (Environment.STAGING, Environment.PRODUCTION) if name in _REQUIRED_WHEN_DEPLOYED else ()
    )
    return EnvVar(
        name=name,
        type=_type_name(info.annotation),
        default=_render_default(info.get_default(call_default_factory=True)),
        secret=_is_secret(info.annotation),
        required_in=required,
        description=info.description or "",
        section=section,
        attribute=f"{section}.{field_name}",
    )


def _is_secret(annotation: object) -> bool:
    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


def _type_name(annotation: object) -> str:  # noqa: PLR0911 - one return per kind
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return " | ".join(_type_name(arg) for arg in args)
    if typing.get_origin(annotation) is typing.Literal:
        return "|".join(str(arg) for arg in args)
    if typing.get_origin(annotation) in (list, tuple):
        return "comma-separated list"
    if annotation is SecretStr:
        return "secret"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "|".join(str(member.value) for member in annotation)
    if annotation is Path:
        return "path"
    return getattr(annotation, "__name__", str(annotation))


def _render_default(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        # Comma-separated in the environment; an empty list is the same as unset.
        return ",".join(str(item) for item in value) or None
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def markdown_table() -> str:
    """The README's configuration table, generated so it cannot drift from `Settings`."""
    rows = [
        "| Variable | Setting | Type | Default | Secret | Required in | Description |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for variable in env_contract():
        default = f"`{variable.default}`" if variable.default is not None else "—"
        required = ", ".join(env.value for env in variable.required_in) or "—"
        secret = "yes" if variable.secret else "no"
        rows.append(
            f"| `{variable.name}` | `{variable.attribute}` | {variable.type} | {default} "
            f"| {secret} | {required} | {variable.description} |"
        )
    return "\n".join(rows)
