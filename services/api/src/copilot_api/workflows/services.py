"""What steps may use. Filled in by the workflows plugin from the other capabilities."""

from __future__ import annotations

from dataclasses import dataclass

from copilot_api.storage.database import Database


@dataclass(slots=True)
class WorkflowServices:
    database: Database

    def llm_identity(self) -> str:
        return "none"
