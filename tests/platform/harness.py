"""Run the real Pulumi program in-process against `RecordingMocks`, one stack at a time.

Pulumi's runtime state (mocks, config, root stack) is global: `run_program` resets all of it
before each run, so runs never see each other's resources or exports.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi.runtime.settings
import yaml

from copilot_platform.config import PROJECT, StackConfig, parse_stack_config
from copilot_platform.policies import Policy, policies_for
from copilot_platform.policies.base import Inputs
from copilot_platform.policies.facts import facts_from_config
from copilot_platform.program import Tiers, main
from tests.harness import REPO_ROOT
from tests.platform.mocks import RecordedResource, RecordingMocks

STACKS = ("staging", "production")
# What CI passes (`pulumi config set imageTag $GITHUB_SHA`): keeps runs independent of git state.
IMAGE_TAG = "0123456789abcdef0123456789abcdef01234567"
OPENAI_KEY = "sk-proj-Zq3v9TtWm2Lr8Ky5Np4Hb7Fd1Gc6Jx0S"


@dataclass(frozen=True)
class StackRun:
    stack: str
    config: Mapping[str, Any]
    resources: Sequence[RecordedResource]
    outputs: Mapping[str, Any]
    secret_outputs: frozenset[str]
    calls: Sequence[tuple[str, Mapping[str, Any]]]
    call_providers: Sequence[str]
    tiers: Tiers | None
    root: pulumi.Resource

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.type == type_]

    def one(self, type_: str) -> RecordedResource:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    @property
    def graph(self) -> list[tuple[str, Inputs]]:
        """The `(type, inputs)` pairs the policies check."""
        return [(resource.type, resource.inputs) for resource in self.resources]

    def by_id(self, resource_id: str) -> RecordedResource:
        for resource in self.resources:
            if resource.id == resource_id:
                return resource
        raise KeyError(resource_id)


def stack_file_config(stack: str) -> dict[str, Any]:
    """The `config:` block of `Pulumi.<stack>.yaml`, keys as written (`aws:region`, ...)."""
    text = (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    config: dict[str, Any] = document["config"]
    return config


def operator_config(stack: str, **overrides: Any) -> dict[str, Any]:
    """The stack file plus what an operator sets from the command line (tag, OpenAI key)."""
    config = stack_file_config(stack)
    config[f"{PROJECT}:imageTag"] = IMAGE_TAG
    config[f"{PROJECT}:appSecrets"] = {"OPENAI_API_KEY": OPENAI_KEY}
    for key, value in overrides.items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full_key, None)
        else:
            config[full_key] = value
    return config


def parsed_config(config: Mapping[str, Any]) -> StackConfig:
    """The typed model the program builds from `config`."""
    prefix = f"{PROJECT}:"
    values = {
        key.removeprefix(prefix): value for key, value in config.items() if key.startswith(prefix)
    }
    return parse_stack_config(values, config.get("aws:region"))


def stack_policies(config: Mapping[str, Any]) -> list[Policy]:
    """The policies that apply to a stack: the policy pack's, from the same facts."""
    return policies_for(facts_from_config(config, REPO_ROOT))


def _encode(value: Any) -> str:
    """Config values as the engine hands them to the program: objects as JSON, scalars as text."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def run_program(
    stack: str,
    config: Mapping[str, Any],
    repo_root: Path = REPO_ROOT,
    *,
    entry_point: bool = False,
) -> StackRun:
    """Run the program for `stack`; with `entry_point`, exactly as Pulumi does (`platform/`)."""
    mocks = RecordingMocks(region=str(config.get("aws:region", "us-east-1")))
    # Pulumi resolves outputs on the thread's current event loop; earlier tests may have run
    # `asyncio.run`, which leaves none set. One loop serves every run of the session.
    asyncio.set_event_loop(_pulumi_loop())
    return _run_on_current_loop(stack, config, repo_root, mocks, entry_point=entry_point)


_LOOPS: list[asyncio.AbstractEventLoop] = []


def _pulumi_loop() -> asyncio.AbstractEventLoop:
    if not _LOOPS or _LOOPS[0].is_closed():
        _LOOPS[:] = [asyncio.new_event_loop()]
    return _LOOPS[0]


def _run_on_current_loop(
    stack: str,
    config: Mapping[str, Any],
    repo_root: Path,
    mocks: RecordingMocks,
    *,
    entry_point: bool,
) -> StackRun:
    # A fresh root stack, settings and config for every run: nothing leaks between runs.
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_all_config(
        {key: _encode(value) for key, value in config.items()},
        [f"{PROJECT}:appSecrets"],
    )
    captured: dict[str, Any] = {}

    async def collect_outputs(outputs: Mapping[str, Any]) -> None:
        values: dict[str, Any] = {}
        secret: set[str] = set()
        for name, value in outputs.items():
            output = pulumi.Output.from_input(value)
            values[name] = await output.future()
            if await output.is_secret():
                secret.add(name)
        captured["outputs"] = values
        captured["secret_outputs"] = frozenset(secret)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]  # the SDK's decorator is untyped
    def program() -> pulumi.Output[None]:
        if entry_point:
            # What the Python language host does with `main: platform/`.
            runpy.run_path(str(repo_root / "platform"), run_name="__main__")
        else:
            captured["tiers"] = main(repo_root)
        root = pulumi.runtime.settings.get_root_resource()
        captured["root"] = root
        outputs = cast(dict[str, Any], getattr(root, "outputs", {}))
        return pulumi.Output.from_input(collect_outputs(dict(outputs)))

    program()
    return StackRun(
        stack=stack,
        config=dict(config),
        resources=tuple(mocks.resources),
        outputs=captured["outputs"],
        secret_outputs=captured["secret_outputs"],
        calls=tuple(mocks.calls),
        call_providers=tuple(mocks.call_providers),
        tiers=captured.get("tiers"),
        root=captured["root"],
    )
