"""HTTP API of the workflow engine."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, ConfigDict, Field

from copilot_api.errors import ApiError
from copilot_api.security.principal import caller_id, may_access
from copilot_api.state import WORKFLOW_ENGINE
from copilot_api.workflows.definitions import WorkflowDefinition
from copilot_api.workflows.engine import WorkflowEngine
from copilot_api.workflows.store import ExecutionStore

SCOPE = {"scope": "workflows"}


class ExecuteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(
        default_factory=dict, description="Matches the workflow's input schema"
    )
    session_id: str | None = Field(None, min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


def _engine(state: State) -> WorkflowEngine:
    engine: WorkflowEngine = state[WORKFLOW_ENGINE]
    return engine


def describe(definition: WorkflowDefinition) -> dict[str, Any]:
    return {
        "id": definition.id,
        "version": definition.version,
        "description": definition.description,
        "input_schema": definition.input,
        "steps": [
            {"id": step.id, "type": step.type, "prompt": step.prompt, "timeout_s": step.timeout_s}
            for step in definition.steps
        ],
    }


@get("/workflows", opt=SCOPE, summary="List the workflows", sync_to_thread=False)
def list_workflows(state: State) -> dict[str, Any]:
    return {"workflows": [describe(definition) for definition in _engine(state).catalog.all()]}


@get("/workflows/{workflow_id:str}", opt=SCOPE, summary="One workflow", sync_to_thread=False)
def get_workflow(state: State, workflow_id: FromPath[str]) -> dict[str, Any]:
    return describe(_engine(state).definition(workflow_id))


@post("/workflows/{workflow_id:str}/execute", opt=SCOPE, summary="Run a workflow", status_code=200)
async def execute_workflow(
    request: Request[Any, Any, Any],
    state: State,
    workflow_id: FromPath[str],
    data: JSONBody[ExecuteRequest],
) -> dict[str, Any]:
    result = await _engine(state).execute(
        workflow_id, data.input, user_id=caller_id(request), session_id=data.session_id
    )
    return result.as_response()


@get("/executions/{execution_id:uuid}", opt=SCOPE, summary="One execution's record")
async def get_execution(
    request: Request[Any, Any, Any], state: State, execution_id: FromPath[UUID]
) -> dict[str, Any]:
    store: ExecutionStore = _engine(state).store
    record = await store.get(execution_id)
    if record is None or not may_access(request, record["user_id"]):
        raise ApiError(404, "execution_not_found", f"No execution {execution_id}.")
    return record


workflow_router = Router(
    path="/api",
    route_handlers=[list_workflows, get_workflow, execute_workflow, get_execution],
    tags=["workflows"],
)
