"""Engine behaviour with test-only step types: timeouts, failures, deferred effects, records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_api.workflows import plugin as workflows_plugin
from copilot_api.workflows.definitions import WorkflowDefinitionError
from copilot_api.workflows.steps.base import StepContext, StepParams, StepType
from copilot_api.workflows.steps.registry import shipped_steps
from copilot_config import Settings
from tests.integration.security.support import make_key

WRITES: list[str] = []


class SleepParams(StepParams):
    seconds: float


class Sleep(StepType[SleepParams]):
    name: ClassVar[str] = "sleep"
    params_model: ClassVar[type[StepParams]] = SleepParams

    async def run(self, params: SleepParams, context: StepContext) -> dict[str, Any]:
        await asyncio.sleep(params.seconds)
        return {"slept": params.seconds}


class RememberParams(StepParams):
    value: str


class Remember(StepType[RememberParams]):
    """Defers a write: it must happen only when the whole execution succeeds."""

    name: ClassVar[str] = "remember"
    params_model: ClassVar[type[StepParams]] = RememberParams

    async def run(self, params: RememberParams, context: StepContext) -> dict[str, Any]:
        async def write() -> None:
            WRITES.append(params.value)

        context.defer(write)
        return {"value": params.value}


class Explode(StepType[StepParams]):
    name: ClassVar[str] = "explode"
    params_model: ClassVar[type[StepParams]] = StepParams

    async def run(self, params: StepParams, context: StepContext) -> dict[str, Any]:
        raise RuntimeError("secret internal detail: password=hunter2")


WORKFLOW = """
id: demo
version: 1
description: Engine test workflow
input:
  type: object
  additionalProperties: false
  required: [value]
  properties:
    value: {type: string}
    nap: {type: number, default: 0}
    fail: {type: boolean, default: false}
steps:
  - id: remember
    type: remember
    with: {value: $input.value}
  - id: nap
    type: sleep
    timeout_s: 0.3
    with: {seconds: $input.nap}
  - id: out
    type: respond
    with: {value: $steps.remember.value, slept: $steps.nap.slept, who: $context.user_id}
"""


@pytest.fixture
def demo_client(
    tmp_path: Path,
    make_settings: Callable[..., Settings],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient[Litestar]]:
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "demo.yaml").write_text(WORKFLOW)
    (folder / "boom.yaml").write_text(
        "id: boom\nversion: 1\ndescription: Always fails\n"
        "steps:\n  - {id: first, type: remember, with: {value: never}}\n  - {id: second, type: explode}\n"
    )
    steps = shipped_steps()
    for step in (Sleep(), Remember(), Explode()):
        steps.register(step)
    monkeypatch.setattr(workflows_plugin, "shipped_steps", lambda: steps)
    key = make_key(database_url, name="engine-test", scopes="workflows")
    try:
        with TestClient(
            create_app(make_settings(database_url=database_url, workflows_dir=folder))
        ) as client:
            client.headers["X-API-Key"] = key
            yield client
    finally:
        WRITES.clear()


def _execute(client: TestClient[Litestar], workflow: str, payload: dict[str, Any]) -> Any:
    return client.post(f"/api/workflows/{workflow}/execute", json={"input": payload})


def test_success_applies_deferred_effects_and_records_durations(
    demo_client: TestClient[Litestar],
) -> None:
    response = _execute(demo_client, "demo", {"value": "kept"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["output"]["value"] == "kept"
    assert body["output"]["who"].startswith("cpk_")
    assert WRITES == ["kept"]
    assert set(body["step_durations_ms"]) == {"remember", "nap", "out"}


def test_the_record_spans_the_execution(
    demo_client: TestClient[Litestar], database_url: str
) -> None:
    """Written once at the end, the row still says when the execution started."""
    response = _execute(demo_client, "demo", {"value": "timed", "nap": 0.2})
    assert response.status_code == 200, response.text
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT status, extract(epoch FROM finished_at - started_at) * 1000, duration_ms"
            " FROM workflow_executions WHERE id = %s",
            (response.json()["execution_id"],),
        ).fetchone()
    assert row is not None
    status, span_ms, duration_ms = row
    assert status == "succeeded"
    assert duration_ms >= 200
    assert float(span_ms) >= duration_ms


def test_a_timed_out_step_fails_the_execution_and_writes_nothing(
    demo_client: TestClient[Litestar], database_url: str
) -> None:
    response = _execute(demo_client, "demo", {"value": "lost", "nap": 2})
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "step_timeout"
    assert error["details"]["step"] == "nap"
    assert WRITES == []
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT status, error->>'code', output, finished_at IS NOT NULL FROM workflow_executions WHERE id = %s",
            (error["details"]["execution_id"],),
        ).fetchone()
    assert row == ("failed", "step_timeout", None, True)


def test_an_unexpected_error_is_a_clean_500_without_internals(
    demo_client: TestClient[Litestar],
) -> None:
    response = _execute(demo_client, "boom", {})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "step_failed"
    assert "hunter2" not in response.text
    assert WRITES == []


def test_bad_definitions_stop_the_app_from_being_built(
    tmp_path: Path, make_settings: Callable[..., Settings], database_url: str
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        "id: bad\nversion: 1\ndescription: Broken\nsteps:\n  - {id: out, type: levitate, with: {a: 1}}\n"
    )
    with pytest.raises(
        WorkflowDefinitionError, match=r"bad\.yaml: step 'out': unknown step type 'levitate'"
    ):
        create_app(make_settings(database_url=database_url, workflows_dir=folder))


def test_a_cancelled_execution_is_closed_and_writes_nothing(
    demo_client: TestClient[Litestar], database_url: str
) -> None:
    from contextlib import suppress

    from copilot_api.state import WORKFLOW_ENGINE

    engine = demo_client.app.state[WORKFLOW_ENGINE]

    async def run_and_cancel() -> None:
        task = asyncio.create_task(
            engine.execute("demo", {"value": "gone", "nap": 0.25}, user_id="u1")
        )
        await asyncio.sleep(0.1)
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    demo_client.blocking_portal.call(run_and_cancel)
    assert WRITES == []
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT status, error->>'code' FROM workflow_executions WHERE user_id = 'u1'"
        ).fetchone()
    assert row == ("failed", "cancelled")
