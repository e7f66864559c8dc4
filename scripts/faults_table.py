"""Print the fault suite's figures (FAULTS_REPORT, one JSON object a line) as one table.

Usage: python scripts/faults_table.py REPORT.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = (
    ("scenario", "scenario"),
    ("time_to_503_s", "time to 503 (s)"),
    ("time_to_recovery_s", "time to recovery (s)"),
    ("requests_failed", "requests failed"),
    ("rows_lost", "rows lost"),
)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def render(rows: list[dict[str, object]]) -> str:
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "|".join(" --- " for _ in COLUMNS) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    path = Path(argv[0])
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            print(f"{path}:{number}: not a JSON object ({error.msg})", file=sys.stderr)
            return 2
    if not rows:
        print(f"{path}: no scenario recorded a row", file=sys.stderr)
        return 1
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
