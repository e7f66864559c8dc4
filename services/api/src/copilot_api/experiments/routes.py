"""`GET /api/experiments`, `GET /api/experiments/{id}/results` and `POST /api/feedback`."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import BaseModel, ConfigDict, Field

from copilot_api.errors import ApiError
from copilot_api.experiments.service import ExperimentService
from copilot_api.experiments.store import ExperimentStore, Outcome
from copilot_api.security.principal import may_access
from copilot_api.state import DATABASE, EXPERIMENTS

_SCOPE = {"scope": "workflows"}


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    execution_id: UUID = Field(description="The workflow execution the feedback is about")
    outcome: Outcome = Field(description="accepted (counts as a conversion), edited or rejected")
    rating: int | None = Field(None, ge=1, le=5, description="Optional rating from 1 to 5")
    comment: str | None = Field(None, max_length=2000, description="Optional free text")


@get("/api/experiments", tags=["experiments"], summary="Configured A/B experiments", opt=_SCOPE)
async def list_experiments(state: State) -> dict[str, Any]:
    service: ExperimentService = state[EXPERIMENTS]
    return {"experiments": [experiment.describe() for experiment in service.all()]}


@get(
    "/api/experiments/{experiment_id:str}/results",
    tags=["experiments"],
    summary="Per-variant conversions, 95% Wilson intervals and z-tests against the control",
    opt=_SCOPE,
)
async def experiment_results(
    state: State, experiment_id: Annotated[str, Parameter(max_length=100)]
) -> dict[str, Any]:
    service: ExperimentService = state[EXPERIMENTS]
    experiment = service.get(experiment_id)
    if experiment is None:
        raise ApiError(404, "experiment_not_found", f"No experiment {experiment_id!r}.")
    return await service.results(experiment)


@post(
    "/api/feedback",
    tags=["experiments"],
    summary="Record the outcome of a workflow execution (accepted, edited, rejected)",
    opt=_SCOPE,
    status_code=HTTP_201_CREATED,
)
async def record_feedback(
    request: Request[Any, Any, Any], state: State, data: JSONBody[FeedbackIn]
) -> Response[dict[str, Any]]:
    store = ExperimentStore(state[DATABASE])
    execution = await store.find_execution(data.execution_id)
    # Someone else's execution is reported as missing: ids are not a way to probe others' work.
    if execution is None or not may_access(request, execution.user_id):
        raise ApiError(404, "execution_not_found", f"No execution {data.execution_id}.")
    if execution.status != "succeeded":
        raise ApiError(
            409,
            "execution_not_succeeded",
            "Feedback can only be given on a succeeded execution.",
            details={"status": execution.status},
        )
    record = await store.save_feedback(
        execution, data.execution_id, data.outcome, data.rating, data.comment
    )
    body = {
        "id": str(record.id),
        "execution_id": str(data.execution_id),
        "outcome": data.outcome,
        "rating": data.rating,
        "comment": data.comment,
        "experiment": (
            {"id": execution.experiment_id, "variant": execution.variant}
            if execution.experiment_id
            else None
        ),
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
    return Response(body, status_code=HTTP_201_CREATED if record.created else HTTP_200_OK)


experiment_handlers = [list_experiments, experiment_results, record_feedback]
