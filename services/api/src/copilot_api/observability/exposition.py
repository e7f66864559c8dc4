"""The worker's metric reader: publishes its snapshot and renders `/metrics` for all workers.

`WorkerMetricReader` is an `opentelemetry-exporter-prometheus` `PrometheusMetricReader` whose
collection step (`_receive_metrics`, the SDK's hook for readers) also writes this worker's
cumulative state to the shared directory and, while serving a scrape, swaps in the merge of
every worker's state. The exporter then turns that into the Prometheus text format as usual, so
names, units and labels are exactly the exporter's.

A background thread collects every `METRICS_FLUSH_INTERVAL_SECONDS` so that other workers see
this one's totals; a scrape also collects first, so the answering worker is always exact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from prometheus_client import CollectorRegistry, generate_latest

from copilot_api.observability.multiprocess import Merger, SnapshotStore, snapshot_of

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4"  # Litestar appends "; charset=utf-8"


class WorkerMetricReader(PrometheusMetricReader):
    def __init__(
        self,
        store: SnapshotStore | None,
        resource: Resource,
        scope: InstrumentationScope,
    ) -> None:
        self._prometheus_registry = CollectorRegistry(auto_describe=False)
        super().__init__(registry=self._prometheus_registry, scope_info_enabled=False)
        self._store = store
        self._resource = resource
        self._scope = scope
        self._write_lock = threading.Lock()
        self._serving_scrape = threading.local()
        self._closed = False
        self._last: dict[str, Any] = {}
        self._native: list[Callable[[], dict[str, Any]]] = []

    def add_native_source(self, source: Callable[[], dict[str, Any]]) -> None:
        """Metrics aggregated outside the SDK (snapshot format), published with this worker's."""
        self._native.append(source)

    def render(self) -> bytes:
        """The Prometheus text exposition of every worker's metrics."""
        self._serving_scrape.active = True
        try:
            # generate_latest -> the exporter's collector -> self.collect() -> _receive_metrics
            return generate_latest(self._prometheus_registry)
        finally:
            self._serving_scrape.active = False

    def publish(self) -> None:
        """Write this worker's current totals for the others (the periodic flush)."""
        self.collect()

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        own = snapshot_of(metrics_data)  # never None: build info is always observed
        for source in self._native:
            own.update(source())
        if self._store is not None:
            with self._write_lock:
                self._last = own
                if not self._closed:
                    self._store.write(own)
        if getattr(self._serving_scrape, "active", False):
            merger = self._store.merge(own) if self._store is not None else _only(own)
            super()._receive_metrics(merger.metrics_data(self._resource, self._scope))

    def open(self) -> None:
        """(Re)start publishing: at each lifespan start, since an app may be started again."""
        with self._write_lock:
            self._closed = False

    def close(self) -> None:
        """Final snapshot, marked closed: this worker's totals stay, its levels are dropped."""
        self.collect()
        with self._write_lock:
            if self._store is not None and not self._closed:
                self._store.write(self._last, closed=True)
            self._closed = True


def _only(own: dict[str, Any]) -> Merger:
    merger = Merger()
    merger.add(own, running=True)
    return merger


def worker_metrics(
    store: SnapshotStore | None, resource: Resource, scope: InstrumentationScope
) -> tuple[Meter, WorkerMetricReader]:
    """This worker's meter and its reader (`store` None: a single process, no files)."""
    # target_info describes the service, not the worker that happens to answer the scrape.
    shared = Resource({k: v for k, v in resource.attributes.items() if k != "service.instance.id"})
    reader = WorkerMetricReader(store, shared, scope)
    provider = MeterProvider(
        metric_readers=[reader],
        resource=resource,
        shutdown_on_exit=False,  # lives as long as the app object
        exemplar_filter=AlwaysOffExemplarFilter(),  # the text format carries none anyway
    )
    return provider.get_meter(scope.name, scope.version), reader


class Flusher:
    """Calls `reader.publish()` every `interval` seconds on a daemon thread until stopped."""

    def __init__(self, reader: WorkerMetricReader, interval: float) -> None:
        self._reader = reader
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-flush", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._reader.publish()
            except Exception:
                logger.exception("could not publish this worker's metrics")
