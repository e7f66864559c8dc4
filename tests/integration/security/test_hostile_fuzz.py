"""A bounded hypothesis run of hostile text through the query parser and the filter validator,
end to end (HTTP, rule parser, filter validation, SQL on embedded PostgreSQL): queries and filter
values mixing NUL, unpaired surrogates, control and non-BMP characters, wrong types and unknown
fields. Every answer is a 200 or a 4xx with a machine-readable code; a 5xx fails the test."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.listings.fields import FIELDS, Op
from tests.integration.security.support import make_key

EXAMPLES = 150  # per strategy; bounded so the run stays under ~30 s

HOSTILE = ["\x00", "\ud800", "\udfff", "\x1b[31m", "\u202e", "\U0001f3e0", "%00", "'; --", "\\"]
PHRASES = ["3 bed 2 bath in Ames", "under $250k", "with a pool", "near", "homes"]

# Every code point, surrogates included, biased towards the ones that used to cause 500s.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.sampled_from(PHRASES), any_text), max_size=6
).map("".join)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text
)
filter_value = st.one_of(json_scalar, st.lists(json_scalar, max_size=4))
filter_item = st.fixed_dictionaries(
    {
        "field": st.one_of(st.sampled_from(sorted(FIELDS)), hostile_text),
        "op": st.one_of(st.sampled_from([op.value for op in Op]), hostile_text),
        "value": filter_value,
    }
)


def _search(client: TestClient[Litestar], key: str, body: dict[str, Any]) -> tuple[int, str]:
    response = client.post(
        "/api/property-search",
        content=json.dumps(body),  # ASCII escapes: unpaired surrogates travel as \udXXX
        headers={"X-API-Key": key, "content-type": "application/json"},
    )
    code = response.json()["error"]["code"] if response.status_code >= 400 else ""
    return response.status_code, code


def test_hostile_queries_and_filters_never_cause_a_5xx(
    client: TestClient[Litestar], database_url: str
) -> None:
    key = make_key(database_url, name="fuzz", scopes="search", per_minute=10**6, per_hour=10**6)
    seen: list[tuple[int, str]] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=hostile_text)
    def queries(query: str) -> None:
        seen.append(_search(client, key, {"query": query or "x"}))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=st.sampled_from(PHRASES), filters=st.lists(filter_item, min_size=1, max_size=3))
    def filters(query: str, filters: list[dict[str, Any]]) -> None:
        seen.append(_search(client, key, {"query": query, "filters": filters}))

    queries()
    filters()
    server_errors = [status for status, _ in seen if status >= 500]
    print(f"hostile search fuzz: {len(seen)} cases tried, {len(server_errors)} 5xx seen")
    assert len(seen) >= EXAMPLES  # hypothesis really ran
    assert server_errors == []
    assert all(code for status, code in seen if status >= 400)
    # The strategies reach every layer: accepted searches, and each kind of refusal.
    codes = {code for _, code in seen}
    assert {"", "invalid_characters", "invalid_filter"} <= codes
