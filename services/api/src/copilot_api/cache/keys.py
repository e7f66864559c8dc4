"""Cache keys: a digest of everything that determines the value.

Callers pass the model and (for prompts) the prompt id, version and variant among the parts, so
a new model or a new prompt version can never be served an old answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def cache_key(*parts: Any) -> str:
    """A stable hex digest of JSON-able parts (dict order does not matter)."""
    canonical = json.dumps(
        parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
