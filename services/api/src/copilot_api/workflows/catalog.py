"""All workflow definitions of a folder, loaded and validated once at startup."""

from __future__ import annotations

from pathlib import Path

from copilot_api.workflows.definitions import (
    WorkflowDefinition,
    WorkflowDefinitionError,
    load_definition,
)
from copilot_api.workflows.steps.base import StepRegistry


class WorkflowCatalog:
    def __init__(self, definitions: dict[str, WorkflowDefinition]) -> None:
        self._definitions = definitions

    @classmethod
    def load(cls, folder: Path, steps: StepRegistry, prompt_ids: frozenset[str]) -> WorkflowCatalog:
        if not folder.is_dir():
            raise WorkflowDefinitionError(f"{folder}: workflows folder not found (WORKFLOWS_DIR)")
        definitions: dict[str, WorkflowDefinition] = {}
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            definition = load_definition(path, steps, prompt_ids)
            if definition.id in definitions:
                raise WorkflowDefinitionError(
                    f"{path}: workflow id '{definition.id}' defined twice"
                )
            definitions[definition.id] = definition
        if not definitions:
            raise WorkflowDefinitionError(f"{folder}: no workflow definitions (*.yaml) found")
        return cls(definitions)

    def get(self, workflow_id: str) -> WorkflowDefinition | None:
        return self._definitions.get(workflow_id)

    def all(self) -> list[WorkflowDefinition]:
        return sorted(self._definitions.values(), key=lambda definition: definition.id)
