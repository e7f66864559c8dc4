"""Growth of the property search with the catalogue: a Markdown table and a PNG of the curves.

Reads the JSON objects `bench/search.py --output` wrote (one per size) and prints the table
the README shows; draws ingest rate, search latency and throughput, peak memory and disk size
against the number of listings (log scale) into one PNG.

    uv run python bench/search_growth.py docs/bench/search-*.json --png docs/search-growth.png
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt

Row = dict[str, Any]
COLUMNS: tuple[tuple[str, Callable[[Row], str]], ...] = (
    ("listings", lambda r: f"{r['size']:,}"),
    ("ingest s", lambda r: _optional(r["ingest"], "seconds", "{:,.0f}")),
    ("ingest rows/s", lambda r: _optional(r["ingest"], "rows_per_second", "{:,}")),
    ("p50 ms", lambda r: f"{r['search']['p50_ms']:.0f}"),
    ("p95 ms", lambda r: f"{r['search']['p95_ms']:.0f}"),
    ("req/s (c=8)", lambda r: f"{r['search']['requests_per_second']:.1f}"),
    ("raw SQL req/s", lambda r: f"{r['raw_sql']['requests_per_second']:.1f}"),
    ("HTTP/raw", lambda r: f"{r['http_to_raw_sql_ratio']:.2f}"),
    ("recall@10 tie-aware", lambda r: f"{r['recall']['recall_at_10_tie_aware']:.3f}"),
    ("DB peak MB", lambda r: f"{r['peak_memory_mb']['database']:,.0f}"),
    ("service peak MB", lambda r: f"{r['peak_memory_mb']['service']:,.0f}"),
    ("disk MB", lambda r: f"{r['storage']['data_directory_mb']:,.0f}"),
    ("load avg", lambda r: f"{r['machine']['load_average_at_start'][0]:.1f}"),
)


def _optional(section: dict[str, Any] | None, key: str, form: str) -> str:
    return "—" if section is None else form.format(section[key])


def table(runs: list[dict[str, Any]]) -> str:
    head = "| " + " | ".join(name for name, _ in COLUMNS) + " |"
    rule = "| " + " | ".join("---" for _ in COLUMNS) + " |"
    rows = ["| " + " | ".join(cell(run) for _, cell in COLUMNS) + " |" for run in runs]
    return "\n".join([head, rule, *rows])


def draw(runs: list[dict[str, Any]], path: Path) -> None:
    sizes = [run["size"] for run in runs]
    figure, axes = plt.subplots(2, 2, figsize=(11, 8))
    panels = [
        (
            axes[0][0],
            "search latency (ms, concurrency 8)",
            {
                "p50": [run["search"]["p50_ms"] for run in runs],
                "p95": [run["search"]["p95_ms"] for run in runs],
            },
        ),
        (
            axes[0][1],
            "throughput (req/s, concurrency 8)",
            {
                "HTTP": [run["search"]["requests_per_second"] for run in runs],
                "raw SQL": [run["raw_sql"]["requests_per_second"] for run in runs],
            },
        ),
        (
            axes[1][0],
            "memory and disk (MB)",
            {
                "database peak": [run["peak_memory_mb"]["database"] for run in runs],
                "service peak": [run["peak_memory_mb"]["service"] for run in runs],
                "disk": [run["storage"]["data_directory_mb"] for run in runs],
            },
        ),
        (
            axes[1][1],
            "ingest (rows/s, end to end)",
            {
                "ingest": [
                    run["ingest"]["rows_per_second"] if run["ingest"] else 0 for run in runs
                ],
            },
        ),
    ]
    for axis, title, series in panels:
        for label, values in series.items():
            axis.plot(sizes, values, marker="o", label=label)
        axis.set_xscale("log")
        axis.set_title(title)
        axis.set_xlabel("listings")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.suptitle("Property search growth (shared 2-core machine; see the README)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", nargs="+", type=Path, help="JSON files of bench/search.py")
    parser.add_argument("--png", type=Path, help="write the curves to this PNG")
    args = parser.parse_args()
    runs = sorted((json.loads(path.read_text()) for path in args.results), key=lambda r: r["size"])
    print(table(runs))
    if args.png is not None:
        draw(runs, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
