"""The JSON walker and text check behind the 400s for unstorable characters and deep bodies."""

from __future__ import annotations

from typing import Any

import pytest

from copilot_api.errors import ApiError
from copilot_api.security.input_guard import check_json_value
from copilot_api.storage.text import unstorable_reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("plain", None),
        ("Montréal 🏠", None),
        ("a\x00b", "a NUL character (U+0000)"),
        ("a\ud800", "an unpaired surrogate or undecodable byte"),
        ("\udfff", "an unpaired surrogate or undecodable byte"),
    ],
)
def test_unstorable_reason(text: str, reason: str | None) -> None:
    assert unstorable_reason(text) == reason


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def test_depth_limit_counts_containers() -> None:
    check_json_value(_nested(32), max_depth=32)
    with pytest.raises(ApiError) as refused:
        check_json_value(_nested(33), max_depth=32)
    assert refused.value.code == "json_too_deep"
    assert refused.value.details == {"max_depth": 32}


def test_a_very_deep_value_is_refused_without_recursion() -> None:
    with pytest.raises(ApiError):
        check_json_value(_nested(100_000), max_depth=32)


@pytest.mark.parametrize(
    ("value", "location"),
    [
        ({"query": "a\x00"}, "body field /query"),
        ({"filters": [{"value": ["x", "y\ud800"]}]}, "body field /filters/0/value/1"),
        ({"ok": 1, "bad\x00key": 2}, "body key /bad\\u0000key"),
        ("\x00", "body field /"),
    ],
)
def test_unstorable_text_is_located_as_a_json_pointer(value: Any, location: str) -> None:
    with pytest.raises(ApiError) as refused:
        check_json_value(value, max_depth=32)
    assert refused.value.status_code == 400
    assert refused.value.code == "invalid_characters"
    assert refused.value.details == {"location": location}


def test_numbers_booleans_and_null_pass() -> None:
    check_json_value({"a": [1, 2.5, True, None, {"b": "c"}]}, max_depth=32)
