"""Prompt templates: loading and validation at startup, strict rendering."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from copilot_api.ai.llm import PromptRef
from copilot_api.ai.prompts import PromptError, PromptRegistry, PromptRenderError
from tests.harness import REPO_ROOT
from tests.unit.ai.listings import SUBJECT

VALID = """\
id: greeting
version: 2
task: listing_description
variables: [name, listing]
variants:
  plain:
    system: You write greetings.
    user: "Hello {{ name }}, about {{listing}}."
  loud:
    params: {temperature: 0.9, max_tokens: 50}
    user: "HELLO {{ name }}!"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


def test_the_shipped_prompts_load() -> None:
    registry = PromptRegistry.load(REPO_ROOT / "definitions/prompts")
    assert registry.ids() == ["client_followup", "listing_description", "market_analysis"]
    for template in registry.describe():
        assert len(template["variants"]) >= 2
        assert template["version"] >= 1


def test_render_fills_placeholders_and_carries_the_reference(tmp_path: Path) -> None:
    _write(tmp_path, "greeting.yaml", VALID)
    registry = PromptRegistry.load(tmp_path)
    rendered = registry.render("greeting", {"name": "Dana", "listing": {"City": "Austin"}})
    assert rendered.ref == PromptRef("greeting", 2, "plain")
    assert [message.role for message in rendered.messages] == ["system", "user"]
    assert rendered.messages[1].content == 'Hello Dana, about {"City": "Austin"}.'
    loud = registry.render("greeting", {"name": "Dana", "listing": {}}, "loud")
    request = loud.request()
    assert (request.temperature, request.max_tokens) == (0.9, 50)
    assert request.task == "listing_description"
    assert request.prompt == PromptRef("greeting", 2, "loud")
    assert [message.role for message in request.messages] == ["user"]


def test_rendering_is_strict(tmp_path: Path) -> None:
    _write(tmp_path, "greeting.yaml", VALID)
    template = PromptRegistry.load(tmp_path).get("greeting")
    with pytest.raises(PromptRenderError, match="missing listing"):
        template.render({"name": "Dana"})
    with pytest.raises(PromptRenderError, match="unexpected extra"):
        template.render({"name": "Dana", "listing": {}, "extra": 1})
    with pytest.raises(PromptRenderError, match="no variant 'shouty'"):
        template.render({"name": "Dana", "listing": {}}, "shouty")


def test_agent_only_fields_never_reach_a_prompt() -> None:
    registry = PromptRegistry.load(REPO_ROOT / "definitions/prompts")
    rendered = registry.render("listing_description", {"listing": SUBJECT, "max_chars": 900})
    facts = rendered.messages[-1].content  # the user message carries the listing
    assert '"LivingArea": 2150' in facts
    assert "PrivateRemarks" not in facts
    assert "lockbox" not in facts
    assert "ShowingInstructions" not in facts
    assert "555-0100" not in facts
    # The local provider gets the facts as given; its writers never read those fields.
    assert rendered.request().context["listing"]["PrivateRemarks"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            VALID.replace("{{ name }}!", "{{ nmae }}!"),
            "variant 'loud': uses {{ nmae }}, which is not a variable",
        ),
        (
            VALID.replace("variables: [name, listing]", "variables: [name, listing, tone]"),
            "variable 'tone' is declared but no variant uses it",
        ),
        (
            VALID.replace("id: greeting", "id: welcome"),
            "id 'welcome' must match the file name 'greeting'",
        ),
        (VALID.replace("version: 2", "version: 0"), "version must be a positive integer"),
        (
            VALID.replace("task: listing_description\n", "task: listing_description\nauthor: me\n"),
            "unknown key 'author'",
        ),
        (
            VALID.replace(
                "    params: {temperature: 0.9, max_tokens: 50}", "    params: {temperature: 5}"
            ),
            "params.temperature must be a number from 0 to 2",
        ),
        (
            VALID.replace('    user: "HELLO {{ name }}!"', '    system: "x"'),
            "variant 'loud': user template is missing",
        ),
        (VALID + "default_variant: quiet\n", "default_variant 'quiet' is not a variant"),
        (VALID + "schema: {type: objekt}\n", "invalid JSON schema"),
        ("id: greeting\n  bad: [yaml", "cannot read YAML"),
    ],
)
def test_invalid_templates_are_refused_naming_the_file(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "greeting.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptError) as raised:
        PromptRegistry.load(tmp_path)
    assert any(str(path) in line and problem in line for line in raised.value.problems), (
        raised.value.problems
    )


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    _write(tmp_path, "greeting.yaml", VALID.replace("version: 2", "version: -1"))
    _write(tmp_path, "other.yaml", "id: other\nversion: 1\nvariants: {}\n")
    with pytest.raises(PromptError) as raised:
        PromptRegistry.load(tmp_path)
    message = str(raised.value)
    assert "greeting.yaml: version must be a positive integer" in message
    assert "other.yaml: variants must be a non-empty mapping" in message


def test_a_missing_or_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="PROMPTS_DIR is not a folder"):
        PromptRegistry.load(tmp_path / "nope")
    with pytest.raises(PromptError, match="no prompt templates"):
        PromptRegistry.load(tmp_path)


def test_unknown_prompt_id_is_a_key_error(tmp_path: Path) -> None:
    _write(tmp_path, "greeting.yaml", VALID)
    registry = PromptRegistry.load(tmp_path)
    assert "greeting" in registry
    assert "nope" not in registry
    with pytest.raises(KeyError, match="no prompt template 'nope'"):
        registry.get("nope")
