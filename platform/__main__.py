"""Pulumi entry point (`Pulumi.yaml`: `main: platform/`). The program lives in copilot_platform."""

from pathlib import Path

from copilot_platform.program import main

main(repo_root=Path(__file__).resolve().parent.parent)
