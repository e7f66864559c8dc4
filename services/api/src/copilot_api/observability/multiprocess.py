"""Exact metrics across uvicorn workers: per-worker snapshot files, merged at scrape time.

Each worker periodically writes its cumulative metrics to `<dir>/worker-<pid>-<id>.json` (atomic
rename). The worker answering `/metrics` merges every file, as prometheus_client's multiprocess
mode does, following each metric's `WorkerAggregation` from `copilot_config.telemetry`:

- counters and histograms are summed over every worker that ever ran, so totals never go back
  when a worker dies or restarts. Files of dead workers are folded into `archive.json` (under an
  exclusive lock, crash-safe) so the directory does not grow with restarts;
- levels (in-flight requests, pool connections) are summed over running workers only; shared
  values (active sessions, build info) take the max, health flags the min.

A worker is running while its file is not marked closed (graceful exit) and its pid is alive.
The directory must be emptied when the supervisor starts (`copilot serve` does it).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from copilot_config.telemetry import METRICS_BY_NAME, WorkerAggregation

logger = logging.getLogger(__name__)

ARCHIVE_FILE = "archive.json"
_LOCK_FILE = ".lock"
_WORKER_PREFIX = "worker-"

# A snapshot is plain JSON: {"pid", "closed", "metrics": {name: MetricState}}.
MetricState = dict[str, Any]
"""{"kind": "sum"|"gauge"|"histogram", "monotonic", "description", "unit", "points": {...}}."""


def snapshot_of(data: MetricsData) -> dict[str, MetricState]:
    """This worker's cumulative metrics as JSON-able state (points keyed by their attributes)."""
    metrics: dict[str, MetricState] = {}
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                state = _state_of(metric)
                if state is not None:
                    metrics[metric.name] = state
    return metrics


def _state_of(metric: Metric) -> MetricState | None:
    points: dict[str, Any] = {}
    data = metric.data
    if isinstance(data, Histogram):
        kind, monotonic = "histogram", True
        for hp in data.data_points:
            points[_key(hp.attributes)] = {
                "attributes": dict(hp.attributes or {}),
                "count": hp.count,
                "sum": hp.sum,
                "bounds": list(hp.explicit_bounds),
                "buckets": list(hp.bucket_counts),
            }
    elif isinstance(data, Sum | Gauge):
        kind = "sum" if isinstance(data, Sum) else "gauge"
        monotonic = isinstance(data, Sum) and data.is_monotonic
        for np in data.data_points:
            points[_key(np.attributes)] = {
                "attributes": dict(np.attributes or {}),
                "value": np.value,
            }
    else:  # exponential histograms are not configured anywhere
        return None
    return {
        "kind": kind,
        "monotonic": monotonic,
        "description": metric.description or "",
        "unit": metric.unit or "",
        "points": points,
    }


def _key(attributes: Any) -> str:
    return json.dumps(dict(attributes or {}), sort_keys=True, default=str)


def aggregation_of(name: str, state: MetricState) -> WorkerAggregation:
    spec = METRICS_BY_NAME.get(name)
    if spec is not None:
        return spec.aggregation
    if state["kind"] == "histogram" or state["monotonic"]:
        return WorkerAggregation.SUM
    return WorkerAggregation.LIVE_SUM


@dataclass(slots=True)
class _Snapshot:
    path: Path
    pid: int
    closed: bool
    metrics: dict[str, MetricState]

    @property
    def running(self) -> bool:
        return not self.closed and _pid_alive(self.pid)


@dataclass(slots=True)
class Merger:
    """Accumulates snapshots metric by metric, then yields OpenTelemetry `MetricsData`."""

    _metrics: dict[str, MetricState] = field(default_factory=dict)
    _contributions: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, metrics: dict[str, MetricState], *, running: bool) -> None:
        for name, state in metrics.items():
            mode = aggregation_of(name, state)
            if mode is not WorkerAggregation.SUM and not running:
                continue
            merged = self._metrics.setdefault(name, {**state, "points": {}})
            if merged["kind"] != state["kind"]:
                logger.warning("metric %s changed kind between workers; skipping one", name)
                continue
            for key, point in state["points"].items():
                self._add_point(name, merged["points"], key, point, mode)

    def _add_point(
        self, name: str, points: dict[str, Any], key: str, point: Any, mode: WorkerAggregation
    ) -> None:
        current = points.get(key)
        if current is None:
            points[key] = json.loads(json.dumps(point))  # private copy
            return
        if "buckets" in point:
            if point["bounds"] != current["bounds"]:
                logger.warning("histogram %s changed buckets between workers; skipping one", name)
                return
            current["count"] += point["count"]
            current["sum"] += point["sum"]
            current["buckets"] = [
                a + b for a, b in zip(current["buckets"], point["buckets"], strict=True)
            ]
        elif mode is WorkerAggregation.LIVE_MAX:
            current["value"] = max(current["value"], point["value"])
        elif mode is WorkerAggregation.LIVE_MIN:
            current["value"] = min(current["value"], point["value"])
        else:
            current["value"] += point["value"]

    def state(self) -> dict[str, MetricState]:
        return self._metrics

    def metrics_data(self, resource: Resource, scope: InstrumentationScope) -> MetricsData:
        now = time.time_ns()
        metrics = [_metric_of(name, state, now) for name, state in sorted(self._metrics.items())]
        return MetricsData(
            resource_metrics=[
                ResourceMetrics(
                    resource=resource,
                    scope_metrics=[ScopeMetrics(scope=scope, metrics=metrics, schema_url="")],
                    schema_url="",
                )
            ]
        )


def _metric_of(name: str, state: MetricState, now: int) -> Metric:
    cumulative = AggregationTemporality.CUMULATIVE
    points = state["points"].values()
    data: Sum | Gauge | Histogram
    if state["kind"] == "histogram":
        data = Histogram(
            data_points=[
                HistogramDataPoint(
                    attributes=p["attributes"],
                    start_time_unix_nano=0,
                    time_unix_nano=now,
                    count=p["count"],
                    sum=p["sum"],
                    bucket_counts=p["buckets"],
                    explicit_bounds=p["bounds"],
                    min=float("nan"),  # not exported to Prometheus
                    max=float("nan"),
                )
                for p in points
            ],
            aggregation_temporality=cumulative,
        )
    else:
        number_points = [
            NumberDataPoint(
                attributes=p["attributes"],
                start_time_unix_nano=0,
                time_unix_nano=now,
                value=p["value"],
            )
            for p in points
        ]
        if state["kind"] == "sum":
            data = Sum(number_points, cumulative, is_monotonic=state["monotonic"])
        else:
            data = Gauge(number_points)
    return Metric(name=name, description=state["description"], unit=state["unit"], data=data)


class SnapshotStore:
    """One worker's view of the shared directory: writes its own file, merges everyone's."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.pid = os.getpid()
        # pid plus a random part: a recycled pid never overwrites a dead worker's totals.
        self.path = directory / f"{_WORKER_PREFIX}{self.pid}-{uuid.uuid4().hex[:12]}.json"

    def write(self, metrics: dict[str, MetricState], *, closed: bool = False) -> None:
        document = {"pid": self.pid, "closed": closed, "metrics": metrics}
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        temporary.replace(self.path)

    def merge(self, own: dict[str, MetricState]) -> Merger:
        """Everyone's metrics, with this worker's fresh state instead of its file."""
        merger = Merger()
        merger.add(own, running=True)
        with self._locked():
            archive = self._read_archive()
            merger.add(archive, running=False)
            dead: list[_Snapshot] = []
            for snapshot in self._worker_snapshots():
                if snapshot.running:
                    merger.add(snapshot.metrics, running=True)
                else:
                    merger.add(snapshot.metrics, running=False)
                    dead.append(snapshot)
            if dead:
                self._fold_into_archive(archive, dead)
        return merger

    def _worker_snapshots(self) -> Iterator[_Snapshot]:
        for path in sorted(self.directory.glob(f"{_WORKER_PREFIX}*.json")):
            if path == self.path:
                continue
            document = _read_json(path)
            if document is None:
                continue
            yield _Snapshot(
                path, int(document["pid"]), bool(document["closed"]), document["metrics"]
            )

    def _read_archive(self) -> dict[str, MetricState]:
        """Caller holds the lock."""
        document = _read_json(self.directory / ARCHIVE_FILE)
        if document is None:
            return {}
        # Files already folded in by a compaction that stopped before deleting them.
        for name in document["absorbed"]:
            (self.directory / name).unlink(missing_ok=True)
        metrics: dict[str, MetricState] = document["metrics"]
        return metrics

    def _fold_into_archive(self, archive: dict[str, MetricState], dead: list[_Snapshot]) -> None:
        """Caller holds the lock. Only totals survive a worker: levels die with it."""
        merger = Merger()
        merger.add(archive, running=False)
        for snapshot in dead:
            merger.add(snapshot.metrics, running=False)
        document = {
            "absorbed": [snapshot.path.name for snapshot in dead],
            "metrics": merger.state(),
        }
        temporary = self.directory / f".{ARCHIVE_FILE}.tmp"
        temporary.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        temporary.replace(self.directory / ARCHIVE_FILE)
        for snapshot in dead:
            snapshot.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.directory / _LOCK_FILE, "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def prepare_directory(directory: Path) -> None:
    """Start from an empty directory (the supervisor's job, before any worker starts)."""
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_file():
            entry.unlink(missing_ok=True)


def remove_abandoned_directories(parent: Path) -> None:
    """Delete `<parent>/<pid>` directories of supervisors that are no longer running."""
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if entry.is_dir() and entry.name.isdigit() and not _pid_alive(int(entry.name)):
            for file in entry.iterdir():
                file.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                entry.rmdir()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.warning("unreadable metrics snapshot %s: %s", path.name, error)
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A worker that died but was not reaped yet still answers signals; its state says Z.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}
