"""Strict request bodies: unknown fields are an error, not silently dropped.

    class SearchRequest(StrictStruct):
        query: str

A body with an extra field gets 400 `validation_error` whose details name the field
("Object contains unknown field `x`"). Use it for every request body whose fields we define.
"""

from __future__ import annotations

import msgspec


class StrictStruct(msgspec.Struct, forbid_unknown_fields=True):
    """Base for request bodies; see the module docstring."""
