"""Regenerate the typed Python client in clients/python from the service's OpenAPI document.

    make client                       # after changing the API
    uv run python scripts/generate_client.py --output /tmp/x   # what the drift test does

Offline and deterministic: the document comes from `create_app` on default settings (no server,
no database; environment variables that could change the API are ignored), written with sorted
keys, then openapi-python-client (locked in uv.lock) renders the package from it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from copilot_api.app import create_app
from copilot_config import Environment, Settings, env_contract

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIENT_DIR = REPO_ROOT / "clients/python"
CONFIG = CLIENT_DIR / "generator.yaml"
PACKAGE = "copilot_client"
# What the generator writes, relative to the client folder; the rest (pyproject.toml, the
# generator settings, tests) is written by hand.
GENERATED = ("openapi.json", f"src/{PACKAGE}")


def openapi_document() -> dict[str, Any]:
    for variable in env_contract():
        os.environ.pop(variable.name, None)
    settings = Settings(_env_file=None, environment=Environment.DEVELOPMENT)
    document: dict[str, Any] = create_app(settings).openapi_schema.to_schema()
    return document


def generate(output: Path) -> None:
    """Write `openapi.json` and `src/copilot_client/` under `output` (replacing them)."""
    document = output / "openapi.json"
    output.mkdir(parents=True, exist_ok=True)
    document.write_text(
        json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    package = output / "src" / PACKAGE
    with tempfile.TemporaryDirectory() as scratch:
        rendered = Path(scratch) / PACKAGE
        generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
        if generator is None:
            raise SystemExit("openapi-python-client is not installed (uv sync)")
        subprocess.run(  # noqa: S603 - the generator from our own venv, fixed arguments
            [generator, "generate", "--path", str(document), "--meta", "none",
             "--config", str(CONFIG), "--output-path", str(rendered), "--fail-on-warning"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        shutil.rmtree(package, ignore_errors=True)
        package.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(rendered, package)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=CLIENT_DIR, help="the client folder")
    arguments = parser.parse_args()
    try:
        generate(arguments.output)
    except subprocess.CalledProcessError as failure:
        print(failure.stdout + failure.stderr, file=sys.stderr)
        return 1
    print(f"generated {', '.join(str(arguments.output / path) for path in GENERATED)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
