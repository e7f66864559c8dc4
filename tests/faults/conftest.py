"""Fault suite: each scenario records one row of figures; `make faults` prints them as a table.

A row is appended as one JSON line to the file named by FAULTS_REPORT (when set), so the
figures survive pytest's output capture and several test files add to one table.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True, slots=True)
class FaultRow:
    scenario: str
    time_to_503_s: float | None  # None: the scenario never makes the service unready
    time_to_recovery_s: float | None
    requests_failed: int
    rows_lost: int | None  # None: the scenario writes no rows


class FaultReport:
    def __init__(self, path: Path | None) -> None:
        self._path = path

    def record(
        self,
        scenario: str,
        *,
        time_to_503_s: float | None,
        time_to_recovery_s: float | None,
        requests_failed: int,
        rows_lost: int | None,
    ) -> FaultRow:
        row = FaultRow(scenario, time_to_503_s, time_to_recovery_s, requests_failed, rows_lost)
        if self._path is not None:
            with self._path.open("a", encoding="utf-8") as report:
                report.write(json.dumps(asdict(row)) + "\n")
        return row


@pytest.fixture(scope="session")
def fault_report() -> FaultReport:
    path = os.environ.get("FAULTS_REPORT")
    return FaultReport(Path(path) if path else None)
