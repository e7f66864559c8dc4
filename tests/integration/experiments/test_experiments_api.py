"""A/B experiments through the app on the embedded database: exposures, feedback, results."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.app import create_app
from copilot_api.experiments.config import ExperimentConfigError, load_experiments
from copilot_api.experiments.service import ExperimentService
from copilot_api.experiments.stats import two_proportion_z_test, wilson_interval
from copilot_api.experiments.store import ExperimentStore
from copilot_api.security import store as key_store
from copilot_api.security.scopes import Scope
from copilot_api.state import DATABASE, EXPERIMENTS
from copilot_api.storage.migrations import apply_migrations
from copilot_config import Settings

EXPERIMENT = {
    "id": "remarks_style",
    "description": "narrative vs highlights",
    "target": {"type": "prompt", "id": "listing_description"},
    "active": True,
    "variants": [{"name": "narrative", "weight": 50}, {"name": "highlights", "weight": 50}],
}


def _experiments_file(tmp_path: Path, *experiments: dict[str, Any]) -> Path:
    path = tmp_path / "experiments.yaml"
    path.write_text(yaml.safe_dump({"experiments": list(experiments)}), encoding="utf-8")
    return path


def _api_key(database_url: str, scopes: tuple[Scope, ...] = (Scope.WORKFLOWS,)) -> str:
    apply_migrations(database_url)

    async def create() -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            _, generated = await key_store.create_key(
                conn, name=f"exp-{uuid.uuid4().hex[:8]}", scopes=scopes
            )
            return generated.secret

    return asyncio.run(create())


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str, tmp_path: Path) -> Litestar:
    path = _experiments_file(tmp_path, EXPERIMENT, {**EXPERIMENT, "id": "old", "active": False})
    return create_app(make_settings(database_url=database_url, experiments_file=path))


@pytest.fixture
def client(app: Litestar, database_url: str) -> Iterator[TestClient[Litestar]]:
    # Admin: the executions below belong to simulated users, and only their owner or an admin
    # may give feedback on them.
    key = _api_key(database_url, (Scope.WORKFLOWS, Scope.ADMIN))
    with TestClient(app) as test_client:
        test_client.headers["X-API-Key"] = key
        yield test_client


def _execution(
    database_url: str, *, user: str, variant: str | None, status: str = "succeeded"
) -> str:
    """A workflow execution row as the workflow engine writes it (migration 0015)."""
    execution_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            """
            INSERT INTO workflow_executions
                (id, workflow_id, workflow_version, status, user_id, experiment_id, variant, input)
            VALUES (%s, 'listing_description', 1, %s, %s, %s, %s, %s)
            """,
            (
                execution_id,
                status,
                user,
                "remarks_style" if variant else None,
                variant,
                json.dumps({}),
            ),
        )
    return execution_id


def test_list_experiments(client: TestClient[Litestar]) -> None:
    response = client.get("/api/experiments")
    assert response.status_code == 200
    listed = {item["id"]: item for item in response.json()["experiments"]}
    assert listed["remarks_style"]["active"] is True
    assert listed["remarks_style"]["control"] == "narrative"
    assert listed["old"]["active"] is False


def test_active_experiments_appear_in_health_detailed(client: TestClient[Litestar]) -> None:
    detail = client.get("/health/detailed").json()["services"]["experiments"]
    assert detail["status"] == "healthy"
    assert detail["active"] == [
        {
            "id": "remarks_style",
            "target": "prompt:listing_description",
            "variants": ["narrative", "highlights"],
        }
    ]


def test_exposures_are_sticky_and_recorded_once_per_user(
    client: TestClient[Litestar], app: Litestar, database_url: str, tmp_path: Path
) -> None:
    service: ExperimentService = app.state[EXPERIMENTS]
    portal = client.blocking_portal
    expose = service.expose
    first = [portal.call(expose, "prompt", "listing_description", f"u{n}") for n in range(20)]
    again = [portal.call(expose, "prompt", "listing_description", f"u{n}") for n in range(20)]
    assert [a and a.variant for a in again] == [a and a.variant for a in first]
    assert portal.call(expose, "prompt", "client_followup", "u1") is None  # no active experiment
    assert portal.call(expose, "prompt", "listing_description", None) is None  # no user
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT count(*), sum(exposures) FROM experiment_exposures WHERE experiment_id = %s",
            ("remarks_style",),
        ).fetchone()
    assert rows == (20, 40)

    # Weights changed mid-flight (everyone would now hash to "highlights"): users already
    # exposed keep the variant recorded at their first exposure.
    folder = tmp_path / "shifted"
    folder.mkdir()
    weights = [{"name": "narrative", "weight": 0.0001}, {"name": "highlights", "weight": 1000}]
    shifted = load_experiments(_experiments_file(folder, {**EXPERIMENT, "variants": weights}))
    moved = ExperimentService(shifted, ExperimentStore(app.state[DATABASE]))
    kept = [portal.call(moved.expose, "prompt", "listing_description", f"u{n}") for n in range(20)]
    assert [a and a.variant for a in kept] == [a and a.variant for a in first]


def test_feedback_conversions_and_results(
    client: TestClient[Litestar], app: Litestar, database_url: str
) -> None:
    service: ExperimentService = app.state[EXPERIMENTS]
    users = [f"agent-{n}" for n in range(40)]
    assigned = {
        user: client.blocking_portal.call(
            service.expose, "prompt", "listing_description", user
        ).variant  # type: ignore[union-attr]
        for user in users
    }
    # Feedback: every third user accepts, every fifth edits, the rest reject; one user
    # accepts twice (still one conversion), ratings on accepted ones.
    converted: Counter[str] = Counter()
    feedback: Counter[tuple[str, str]] = Counter()
    for index, user in enumerate(users):
        variant = assigned[user]
        outcome = "accepted" if index % 3 == 0 else "edited" if index % 5 == 0 else "rejected"
        execution = _execution(database_url, user=user, variant=variant)
        body: dict[str, Any] = {"execution_id": execution, "outcome": outcome}
        if outcome == "accepted":
            body["rating"] = 4 + index % 2
        response = client.post("/api/feedback", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["experiment"] == {"id": "remarks_style", "variant": variant}
        feedback[(variant, outcome)] += 1
        if outcome == "accepted":
            converted[variant] += 1
    twice = users[0]
    extra = _execution(database_url, user=twice, variant=assigned[twice])
    assert (
        client.post(
            "/api/feedback", json={"execution_id": extra, "outcome": "accepted"}
        ).status_code
        == 201
    )
    feedback[(assigned[twice], "accepted")] += 1

    results = client.get("/api/experiments/remarks_style/results")
    assert results.status_code == 200
    body = results.json()
    assert "accepted" in body["metric"]["conversion"]
    by_variant = {item["variant"]: item for item in body["variants"]}
    exposed = Counter(assigned.values())
    control = by_variant["narrative"]
    assert control["is_control"]
    assert "vs_control" not in control
    for name in ("narrative", "highlights"):
        result = by_variant[name]
        assert result["users"] == result["exposures"] == exposed[name]
        assert result["conversions"] == converted[name]
        assert result["conversion_rate"] == pytest.approx(converted[name] / exposed[name])
        interval = wilson_interval(converted[name], exposed[name])
        assert interval is not None
        assert result["confidence_interval"]["low"] == pytest.approx(interval.low, abs=1e-6)
        assert result["confidence_interval"]["high"] == pytest.approx(interval.high, abs=1e-6)
        for outcome in ("accepted", "edited", "rejected"):
            assert result["feedback"][outcome] == feedback[(name, outcome)]
    test = two_proportion_z_test(
        converted["narrative"], exposed["narrative"], converted["highlights"], exposed["highlights"]
    )
    assert test is not None
    assert by_variant["highlights"]["vs_control"]["p_value"] == pytest.approx(
        test.p_value, abs=1e-6
    )
    assert by_variant["highlights"]["vs_control"]["z"] == pytest.approx(test.z, abs=1e-4)
    assert body["totals"]["users"] == 40


def test_changing_feedback_updates_it(client: TestClient[Litestar], database_url: str) -> None:
    execution = _execution(database_url, user="u1", variant=None)
    first = client.post("/api/feedback", json={"execution_id": execution, "outcome": "edited"})
    assert first.status_code == 201
    assert first.json()["experiment"] is None  # not part of an experiment: still recorded
    second = client.post(
        "/api/feedback",
        json={"execution_id": execution, "outcome": "accepted", "rating": 5, "comment": "Great"},
    )
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT outcome, rating, comment FROM workflow_feedback WHERE execution_id = %s",
            (execution,),
        ).fetchone()
    assert row == ("accepted", 5, "Great")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"execution_id": str(uuid.uuid4()), "outcome": "accepted"}, 404, "execution_not_found"),
        ({"execution_id": "not-a-uuid", "outcome": "accepted"}, 400, "validation_error"),
        ({"execution_id": str(uuid.uuid4()), "outcome": "loved"}, 400, "validation_error"),
        (
            {"execution_id": str(uuid.uuid4()), "outcome": "accepted", "rating": 6},
            400,
            "validation_error",
        ),
        (
            {"execution_id": str(uuid.uuid4()), "outcome": "accepted", "comment": "x" * 2001},
            400,
            "validation_error",
        ),
        (
            {"execution_id": str(uuid.uuid4()), "outcome": "accepted", "extra": 1},
            400,
            "validation_error",
        ),
    ],
)
def test_bad_feedback_is_a_4xx_with_a_code(
    client: TestClient[Litestar], body: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/api/feedback", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_feedback_on_an_unfinished_execution_is_refused(
    client: TestClient[Litestar], database_url: str
) -> None:
    execution = _execution(database_url, user="u1", variant=None, status="running")
    response = client.post("/api/feedback", json={"execution_id": execution, "outcome": "accepted"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "execution_not_succeeded"


def test_unknown_experiment_results_are_404(client: TestClient[Litestar]) -> None:
    response = client.get("/api/experiments/nope/results")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "experiment_not_found"


def test_the_routes_need_a_workflows_key(app: Litestar, database_url: str) -> None:
    search_only = _api_key(database_url, (Scope.SEARCH,))
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/experiments").status_code == 401
        response = anonymous.get("/api/experiments", headers={"X-API-Key": search_only})
        assert response.status_code == 403


def test_a_bad_experiments_file_stops_the_service(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    bad = _experiments_file(
        tmp_path,
        {
            **EXPERIMENT,
            "variants": [{"name": "narrative", "weight": 1}, {"name": "poem", "weight": 1}],
        },
    )
    with pytest.raises(ExperimentConfigError, match="has no variant poem"):
        create_app(make_settings(experiments_file=bad))
    with pytest.raises(ExperimentConfigError, match="does not exist"):
        create_app(make_settings(experiments_file=tmp_path / "missing.yaml"))


def test_feedback_on_someone_elses_execution_is_not_found(app: Litestar, database_url: str) -> None:
    key = _api_key(database_url)  # migrates the database
    execution = _execution(database_url, user="cpk_someoneelse", variant=None)
    with TestClient(app) as other:
        response = other.post(
            "/api/feedback",
            json={"execution_id": execution, "outcome": "accepted"},
            headers={"X-API-Key": key},
        )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "execution_not_found"
