"""Experiment definitions: validation, and the check against prompt templates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from copilot_api.ai.prompts import PromptRegistry
from copilot_api.experiments.config import Experiment, ExperimentConfigError, load_experiments
from copilot_api.experiments.service import check_prompt_targets
from tests.harness import REPO_ROOT


def _experiment(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "style",
        "target": {"type": "prompt", "id": "listing_description"},
        "active": True,
        "variants": [{"name": "narrative", "weight": 50}, {"name": "highlights", "weight": 50}],
    }
    base.update(overrides)
    return base


def _load(tmp_path: Path, *experiments: dict[str, object]) -> tuple[Experiment, ...]:
    path = tmp_path / "experiments.yaml"
    path.write_text(yaml.safe_dump({"experiments": list(experiments)}), encoding="utf-8")
    return load_experiments(path)


def test_the_shipped_file_is_valid_against_the_shipped_prompts() -> None:
    experiments = load_experiments(REPO_ROOT / "definitions/experiments.yaml")
    assert any(experiment.active for experiment in experiments)
    check_prompt_targets(experiments, PromptRegistry.load(REPO_ROOT / "definitions/prompts"))


def test_a_valid_definition_loads(tmp_path: Path) -> None:
    (experiment,) = _load(tmp_path, _experiment())
    assert experiment.control == "narrative"
    assert experiment.describe()["variants"][1] == {
        "name": "highlights",
        "weight": 50,
        "share": 0.5,
    }


@pytest.mark.parametrize(
    ("experiments", "problem"),
    [
        ([_experiment(variants=[{"name": "a", "weight": 1}])], "at least 2 items"),
        (
            [_experiment(variants=[{"name": "a", "weight": 0}, {"name": "b", "weight": 1}])],
            "greater than 0",
        ),
        (
            [_experiment(variants=[{"name": "a", "weight": 1}, {"name": "a", "weight": 1}])],
            "variant names repeat: a",
        ),
        ([_experiment(id="Bad-Id")], "must be lower_snake_case"),
        ([_experiment(target={"type": "table", "id": "x"})], "target.type"),
        ([_experiment(owner="me")], "owner: Extra inputs are not permitted"),
        ([_experiment(), _experiment()], "experiment ids repeat: style"),
        ([_experiment(), _experiment(id="style2")], "both active on prompt:listing_description"),
    ],
)
def test_invalid_definitions_are_refused_naming_the_file(
    tmp_path: Path, experiments: list[dict[str, object]], problem: str
) -> None:
    with pytest.raises(ExperimentConfigError) as raised:
        _load(tmp_path, *experiments)
    assert str(tmp_path / "experiments.yaml") in str(raised.value)
    assert problem in str(raised.value)


def test_two_experiments_on_one_target_may_coexist_if_only_one_is_active(tmp_path: Path) -> None:
    loaded = _load(tmp_path, _experiment(), _experiment(id="older", active=False))
    assert len(loaded) == 2


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExperimentConfigError, match=r"EXPERIMENTS_FILE .* does not exist"):
        load_experiments(tmp_path / "nope.yaml")


def test_prompt_experiments_must_name_real_prompts_and_variants(tmp_path: Path) -> None:
    prompts = PromptRegistry.load(REPO_ROOT / "definitions/prompts")
    unknown_variant = _load(
        tmp_path,
        _experiment(variants=[{"name": "narrative", "weight": 1}, {"name": "poem", "weight": 1}]),
    )
    with pytest.raises(ExperimentConfigError, match="has no variant poem"):
        check_prompt_targets(unknown_variant, prompts)
    unknown_prompt = _load(tmp_path, _experiment(target={"type": "prompt", "id": "haiku"}))
    with pytest.raises(ExperimentConfigError, match="no prompt template 'haiku'"):
        check_prompt_targets(unknown_prompt, prompts)
    workflow = _load(tmp_path, _experiment(target={"type": "workflow", "id": "anything"}))
    check_prompt_targets(workflow, prompts)  # the engine checks these
