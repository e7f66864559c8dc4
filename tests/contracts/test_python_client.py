"""clients/python is what `make client` generates from the service's current OpenAPI document."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.harness import REPO_ROOT

CLIENT_DIR = REPO_ROOT / "clients/python"
GENERATED = ("openapi.json", "src/copilot_client")


def files_under(root: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in GENERATED:
        base = root / part
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            if "__pycache__" not in path.parts:
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


def test_the_committed_client_matches_a_fresh_generation(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts/generate_client.py"), "--output", str(tmp_path)],
        capture_output=True, text=True, timeout=240, check=False, cwd=REPO_ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    fresh, committed = files_under(tmp_path), files_under(CLIENT_DIR)
    assert "src/copilot_client/api/search/api_property_search_property_search.py" in fresh
    drift = sorted(
        name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name)
    )
    assert not drift, f"clients/python is out of date, run `make client`: {drift}"
