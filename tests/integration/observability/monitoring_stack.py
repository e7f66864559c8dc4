"""The repository's monitoring stack, for real: the Debian exporters and Prometheus itself.

`prometheus_for` starts Prometheus with monitoring/prometheus.yml and monitoring/rules/*.yml,
changed only where a laptop differs from docker-compose: each job's target is a live address on
127.0.0.1 and scrapes and rule evaluations run every second so a test needs seconds, not minutes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.harness import REPO_ROOT, free_port, wait_until
from tests.integration.observability.live import PROMETHEUS

MONITORING = REPO_ROOT / "monitoring"
SCRAPE_INTERVAL_S = 1

# Debian packages prometheus-{node,postgres,redis}-exporter (.ci/run installs them).
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
POSTGRES_EXPORTER = "/usr/bin/prometheus-postgres-exporter"
REDIS_EXPORTER = "/usr/bin/prometheus-redis-exporter"


@contextmanager
def _process(
    args: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> Iterator[None]:
    with log.open("w") as output:
        process = subprocess.Popen(
            list(args), stdout=output, stderr=subprocess.STDOUT, env=dict(env) if env else None
        )
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_metrics(address: str, what: str) -> None:
    wait_until(
        lambda: httpx.get(f"http://{address}/metrics", timeout=2).status_code == 200, 20, what
    )


@contextmanager
def exporters(postgres_url: str, redis_url: str, work_dir: Path) -> Iterator[dict[str, str]]:
    """node, postgres and redis exporters on free ports: {prometheus.yml job name: address}."""
    addresses = {job: f"127.0.0.1:{free_port()}" for job in ("node", "postgres", "redis")}
    with ExitStack() as stack:
        stack.enter_context(
            _process(
                [NODE_EXPORTER, f"--web.listen-address={addresses['node']}"],
                work_dir / "node-exporter.log",
            )
        )
        stack.enter_context(
            _process(
                [POSTGRES_EXPORTER, f"--web.listen-address={addresses['postgres']}"],
                work_dir / "postgres-exporter.log",
                env={"DATA_SOURCE_NAME": f"{postgres_url}?sslmode=disable"},
            )
        )
        stack.enter_context(
            _process(
                [
                    REDIS_EXPORTER,
                    "-redis.addr",
                    redis_url,
                    "-web.listen-address",
                    addresses["redis"],
                ],
                work_dir / "redis-exporter.log",
            )
        )
        for job, address in addresses.items():
            _wait_for_metrics(address, f"the {job} exporter")
        yield addresses


def adapted_config(targets: Mapping[str, str]) -> dict[str, Any]:
    """monitoring/prometheus.yml with live targets, 1 s intervals and absolute rule paths."""
    config: dict[str, Any] = yaml.safe_load((MONITORING / "prometheus.yml").read_text("utf-8"))
    interval = f"{SCRAPE_INTERVAL_S}s"
    config["global"].update(
        scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval
    )
    config["rule_files"] = [str(MONITORING / pattern) for pattern in config["rule_files"]]
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    unserved = sorted(set(jobs) - set(targets))
    assert not unserved, f"prometheus.yml jobs with no live target in the test: {unserved}"
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    return config


@contextmanager
def prometheus_for(targets: Mapping[str, str], work_dir: Path) -> Iterator[str]:
    """Prometheus running the repository's config and rules against `targets`; its base URL."""
    config_file = work_dir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(adapted_config(targets)), encoding="utf-8")
    address = f"127.0.0.1:{free_port()}"
    base = f"http://{address}"
    args = [
        PROMETHEUS,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={work_dir / 'tsdb'}",
        f"--web.listen-address={address}",
    ]
    with _process(args, work_dir / "prometheus.log"):
        wait_until(lambda: httpx.get(f"{base}/-/ready", timeout=1).status_code == 200, 30, base)
        yield base


def api(base: str, path: str, **params: Any) -> Any:
    """The `data` of a successful Prometheus API answer; the error text otherwise."""
    response = httpx.get(f"{base}/api/v1/{path}", params=params, timeout=10)
    body = response.json()
    assert body.get("status") == "success", f"{path} {params}: {body.get('error', body)}"
    return body["data"]
