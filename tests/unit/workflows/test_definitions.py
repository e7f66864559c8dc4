"""Definition validation: every mistake stops loading with an error naming the file and the step."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from copilot_api.workflows.catalog import WorkflowCatalog
from copilot_api.workflows.definitions import WorkflowDefinitionError, load_definition
from copilot_api.workflows.steps.base import StepContext, StepParams, StepRegistry, StepType


class EchoParams(StepParams):
    text: str
    times: int = 1


class Echo(StepType[EchoParams]):
    name: ClassVar[str] = "echo"
    params_model: ClassVar[type[StepParams]] = EchoParams

    async def run(self, params: EchoParams, context: StepContext) -> dict[str, Any]:
        return {"text": params.text * params.times}


class Generate(Echo):
    name: ClassVar[str] = "generate"
    needs_prompt: ClassVar[bool] = True


STEPS = StepRegistry([Echo(), Generate()])
PROMPTS = frozenset({"greeting"})

VALID = """
id: demo
version: 2
description: Demo workflow
input:
  type: object
  additionalProperties: false
  required: [name]
  properties:
    name: {type: string}
steps:
  - id: first
    type: echo
    with: {text: $input.name}
  - id: second
    type: generate
    prompt: greeting
    with: {text: $steps.first.text, times: 2}
"""


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_definition_loads(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, VALID), STEPS, PROMPTS)
    assert definition.id == "demo"
    assert [step.id for step in definition.steps] == ["first", "second"]
    assert definition.output_step == "second"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("type: echo", "type: teleport"),
            "step 'first': unknown step type 'teleport' (known: echo, generate)",
        ),
        (("    prompt: greeting\n", ""), "step 'second': step type 'generate' needs a 'prompt'"),
        (("prompt: greeting", "prompt: farewell"), "step 'second': unknown prompt 'farewell'"),
        (
            ("$steps.first.text", "$steps.third.text"),
            "step 'second': reference '$steps.third.text' names a step that does not run before this one",
        ),
        (
            ("$input.name", "$input.nickname"),
            "step 'first': reference '$input.nickname' names an input field",
        ),
        (("$input.name", "$secrets.key"), "step 'first': bad reference '$secrets.key'"),
        (
            ("with: {text: $input.name}", "with: {text: $input.name, colour: red}"),
            "step 'first': unknown parameter(s) colour",
        ),
        (("with: {text: $input.name}", "with: {}"), "step 'first': missing parameter(s) text"),
        (("  - id: second", "  - id: first"), "step 'first': duplicate step id"),
        (("version: 2", "version: zero"), "version: Input should be a valid integer"),
        (
            ("    type: echo\n", "    type: echo\n    retries: 3\n"),
            "step 'first': retries: Extra inputs are not permitted",
        ),
        (
            ("type: object\n  additionalProperties", "type: objekt\n  additionalProperties"),
            "input schema is invalid",
        ),
    ],
)
def test_mistakes_name_the_file_and_the_step(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_definition(path, STEPS, PROMPTS)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "id: [unclosed")
    with pytest.raises(WorkflowDefinitionError, match="not valid YAML"):
        load_definition(path, STEPS, PROMPTS)


def test_the_catalog_refuses_duplicate_ids_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(WorkflowDefinitionError, match="no workflow definitions"):
        WorkflowCatalog.load(tmp_path, STEPS, PROMPTS)
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, VALID, "b.yaml")
    with pytest.raises(WorkflowDefinitionError, match=r"b\.yaml: workflow id 'demo' defined twice"):
        WorkflowCatalog.load(tmp_path, STEPS, PROMPTS)


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(WorkflowDefinitionError, match="workflows folder not found"):
        WorkflowCatalog.load(tmp_path / "nope", STEPS, PROMPTS)


def test_the_cli_refuses_a_bad_workflow_folder_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.harness import REPO_ROOT

    folder = tmp_path / "workflows"
    folder.mkdir()
    write(
        folder, "id: bad\nversion: 1\ndescription: x\nsteps:\n  - {id: a, type: nope}\n", "bad.yaml"
    )
    env = {**os.environ, "WORKFLOWS_DIR": str(folder), "ENVIRONMENT": "test"}
    result = subprocess.run(
        [sys.executable, "-m", "copilot_api", "config", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        f"copilot: error: {folder / 'bad.yaml'}: step 'a': unknown step type 'nope' (known: comparables, "
    )
    assert len(result.stderr.strip().splitlines()) == 1
