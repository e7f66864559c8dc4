"""Metrics of several worker processes merge into exact totals; dead workers' totals stay.

Workers are real processes (as uvicorn's) writing into one directory; this test process plays
the worker that answers the scrape.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from prometheus_client.parser import text_string_to_metric_families

from copilot_api.observability.exposition import WorkerMetricReader, worker_metrics
from copilot_api.observability.metrics import Telemetry
from copilot_api.observability.multiprocess import ARCHIVE_FILE, SnapshotStore
from copilot_api.observability.plugin import INSTRUMENTATION_SCOPE

WORKER = """
import os, sys
from pathlib import Path
from opentelemetry.sdk.resources import Resource
from copilot_api.observability.exposition import worker_metrics
from copilot_api.observability.metrics import Telemetry
from copilot_api.observability.multiprocess import SnapshotStore
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

directory, requests, active, sessions, ready, ending = sys.argv[1:]
meter, reader = worker_metrics(
    SnapshotStore(Path(directory)), Resource({"service.name": "test"}), InstrumentationScope("t")
)
telemetry = Telemetry(meter, version="1.0", environment="test")
reader.add_native_source(telemetry.native_metrics)
for _ in range(int(requests)):
    telemetry.request_started("GET", "http")
    telemetry.request_finished("GET", "http", 200, "/x", None, 0.02)
for _ in range(int(active)):
    telemetry.request_started("GET", "http")
telemetry.set_active_sessions(int(sessions))
telemetry.set_readiness(ready == "1", {"database": ready == "1"})
reader.publish()
print("published", flush=True)
if ending == "crash":
    os._exit(0)
if ending == "close":
    reader.close()
    sys.exit(0)
sys.stdin.readline()  # "wait": alive until the test closes stdin, then exits without closing
"""


def start_worker(
    directory: Path, *, requests: int, active: int, sessions: int, ready: bool, ending: str
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER,
            *map(str, (directory, requests, active, sessions)),
            "1" if ready else "0",
            ending,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "published"
    if ending != "wait":
        process.communicate(timeout=30)
    return process


def samples(reader: WorkerMetricReader) -> dict[str, float]:
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(reader.render().decode()):
        for sample in family.samples:
            if sample.name.endswith("_bucket") and sample.labels.get("le") != "+Inf":
                continue
            values[sample.name] = values.get(sample.name, 0) + sample.value
    return values


@pytest.fixture
def scraper(tmp_path: Path) -> Iterator[tuple[Telemetry, WorkerMetricReader]]:
    meter, reader = worker_metrics(
        SnapshotStore(tmp_path), Resource({"service.name": "test"}), INSTRUMENTATION_SCOPE
    )
    telemetry = Telemetry(meter, version="1.0", environment="test")
    reader.add_native_source(telemetry.native_metrics)
    telemetry.request_started("GET", "http")
    telemetry.request_finished("GET", "http", 200, "/x", None, 0.02)
    telemetry.set_active_sessions(5)
    telemetry.set_readiness(True, {"database": True})
    yield telemetry, reader
    reader.close()


def test_totals_sum_every_worker_and_levels_only_running_ones(
    tmp_path: Path, scraper: tuple[Telemetry, WorkerMetricReader]
) -> None:
    _, reader = scraper
    alive = start_worker(tmp_path, requests=3, active=2, sessions=7, ready=True, ending="wait")
    start_worker(tmp_path, requests=5, active=4, sessions=9, ready=False, ending="crash")
    start_worker(tmp_path, requests=4, active=1, sessions=100, ready=False, ending="close")
    try:
        first = samples(reader)
        # 1 (here) + 3 (running) + 5 (crashed) + 4 (exited cleanly): nothing is lost.
        assert first["http_server_request_duration_seconds_count"] == 13
        assert first["http_server_request_duration_seconds_bucket"] == 13  # le="+Inf"
        assert first["http_server_request_duration_seconds_sum"] == pytest.approx(13 * 0.02)
        # Levels of dead workers are gone; shared values take the running workers' max/min.
        assert first["http_server_active_requests"] == 2
        assert first["copilot_sessions_active"] == 7
        assert first["copilot_health_ready"] == 1
        assert first["copilot_build_info"] == 1

        # The two finished workers were folded into the archive; totals are unchanged.
        assert (tmp_path / ARCHIVE_FILE).exists()
        assert len(list(tmp_path.glob("worker-*.json"))) == 2  # this process + the running one
        assert samples(reader) == first
    finally:
        alive.communicate(timeout=30)  # closes its stdin: it exits without closing its reader

    after_exit = samples(reader)
    assert after_exit["http_server_request_duration_seconds_count"] == 13  # never backwards
    assert after_exit.get("http_server_active_requests", 0) == 0
    assert after_exit["copilot_sessions_active"] == 5


def test_a_compaction_interrupted_before_deleting_files_counts_them_once(
    tmp_path: Path, scraper: tuple[Telemetry, WorkerMetricReader]
) -> None:
    _, reader = scraper
    start_worker(tmp_path, requests=5, active=0, sessions=0, ready=True, ending="crash")
    [crashed] = [p for p in tmp_path.glob("worker-*.json") if p != reader_path(reader)]
    content = crashed.read_bytes()
    assert samples(reader)["http_server_request_duration_seconds_count"] == 6
    assert not crashed.exists()
    crashed.write_bytes(content)  # as if the compaction had stopped before its unlink
    assert samples(reader)["http_server_request_duration_seconds_count"] == 6
    assert not crashed.exists()


def reader_path(reader: WorkerMetricReader) -> Path:
    store = reader._store  # the test needs to tell its own file from the workers'
    assert store is not None
    return store.path
