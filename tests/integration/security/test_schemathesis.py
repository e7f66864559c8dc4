"""schemathesis against the live service's own OpenAPI document, with a valid admin key:
at least 500 generated requests, no 5xx, every response as documented. Generated strings include
NUL bytes in every parameter and body field (they used to reach PostgreSQL and fail with 500)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import APIOperation, Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.integration.security.support import LiveServer, make_key

pytestmark = pytest.mark.slow

MIN_CASES = 500
# No 5xx, and every response as documented: content type and body schema. (Undocumented
# status codes, schemathesis' status_code_conformance, are left to each route's owner.)
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


def _run(operation: APIOperation[Any, Any, Any, Any], key: str, examples: int) -> int:
    """Up to `examples` generated cases for one operation; returns how many ran."""
    ran = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # no example database written into the repository
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case[Any]) -> None:
        nonlocal ran
        ran += 1
        case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)

    check()
    return ran


def test_the_api_matches_its_schema(
    database_url: str,
    start_server: Callable[..., LiveServer],
    record_log_output: Callable[[str], None],
) -> None:
    key = make_key(
        database_url, name="schemathesis", scopes="admin", per_minute=10**6, per_hour=10**6
    )
    server = start_server(DATABASE_URL=database_url)
    server.wait_ready()
    schema = schemathesis.openapi.from_url(f"{server.base_url}/docs/openapi.json")
    # Explicit, so a changed default cannot quietly drop the input that used to cause 500s.
    schema.config.generation.update(allow_x00=True)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # every operation of the document loads
        operations.append(result.ok())
    assert any(op.path.startswith("/api") for op in operations)

    # Operations without inputs have one distinct request: spend the budget on the others.
    counts = {op.label: _run(op, key, 1) for op in operations}
    varied = [op for op in operations if op.path_parameters or op.query or op.body]
    rounds = 0
    while sum(counts.values()) < MIN_CASES and rounds < 3:
        rounds += 1
        share = math.ceil((MIN_CASES - sum(counts.values())) / len(varied)) + 5
        for operation in varied:
            counts[operation.label] += _run(operation, key, share)

    total = sum(counts.values())
    # The `not_a_server_error` check fails the run on the first 5xx: reaching here means 0.
    print(f"schemathesis: {total} cases tried, 0 5xx seen, {len(operations)} operations: {counts}")
    assert total >= MIN_CASES
    assert server.stop() == 0
    record_log_output(server.stderr())
