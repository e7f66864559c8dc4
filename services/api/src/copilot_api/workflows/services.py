"""What steps may use, gathered by the workflows plugin from the other capabilities."""

from __future__ import annotations

from dataclasses import dataclass

from copilot_api.ai.llm.types import LLMProvider
from copilot_api.ai.prompts import PromptRegistry
from copilot_api.listings.runtime import ListingsRuntime
from copilot_api.sessions.store import SessionStore
from copilot_api.storage.database import Database


@dataclass(slots=True)
class WorkflowServices:
    database: Database
    prompts: PromptRegistry
    llm: LLMProvider
    sessions: SessionStore
    listings: ListingsRuntime
