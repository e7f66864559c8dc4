"""Throughput with the instrumentation on versus off; prints one JSON object.

Two `copilot serve` processes share one embedded PostgreSQL: one with METRICS_ENABLED=true (the
default: HTTP metrics, DB pool gauges, per-worker snapshots for /metrics), one with
METRICS_ENABLED=false. A keep-alive load generator drives them in alternating rounds (so drift in
machine load hits both alike) and the medians are compared. Target: on keeps >= 85% of off.

Two figures: requests per second (wall clock), and the server's CPU time per request (user + sys
of the server and its workers, from /proc). On a shared machine the first is noisy; the second is
what instrumentation costs, and `kept_ratio` (the throughput a CPU-bound server keeps) uses it.

    uv run python -m bench.observability_overhead                  # POST /api/property-search
    uv run python -m bench.observability_overhead --path /health   # if search does not exist yet

`--path auto` (the default) uses POST /api/property-search when the service has it (an API key
with the `search` scope is created for the run) and falls back to GET /health otherwise; the
output names the endpoint measured. Request logs go to /dev/null in both modes alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from copilot_api.storage.embedded import EmbeddedPostgres, ServerTuning
from tests.harness import ServeProcess, free_port, service_environment, serving

SEARCH_PATH = "/api/property-search"
SEARCH_BODY = {"query": "3 bedroom house with a pool under $600k"}
UNLIMITED = "1000000000"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]

    def request(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def main() -> int:
    args = _parse_args()
    with tempfile.TemporaryDirectory(prefix="obs-bench-") as scratch:
        root = Path(scratch)
        database = EmbeddedPostgres(root / "postgres", ServerTuning(durable=False))
        database_url = database.start()
        try:
            result = _run(args, root, database_url)
        finally:
            database.stop()
    print(json.dumps(result))
    return 0


def _run(args: argparse.Namespace, root: Path, database_url: str) -> dict[str, object]:
    with (
        _server(root / "off", database_url, args, metrics=False) as off,
        _server(root / "on", database_url, args, metrics=True) as on,
    ):
        endpoint, note = _choose_endpoint(args, off.base_url, database_url, root)
        for server in (off, on):  # warm caches and pools; not measured
            asyncio.run(_load(server.base_url, endpoint, args.concurrency, 1.0))
        rounds: dict[str, list[Round]] = {"off": [], "on": []}
        for _ in range(args.rounds):
            for mode, server in (("off", off), ("on", on)):
                cpu_before = _cpu_seconds(server.process.pid)
                rps, done, failed = asyncio.run(
                    _load(server.base_url, endpoint, args.concurrency, args.seconds)
                )
                cpu = _cpu_seconds(server.process.pid) - cpu_before
                rounds[mode].append(Round(rps, cpu / max(done, 1) * 1e6, failed))
    off_rps = statistics.median(r.rps for r in rounds["off"])
    on_rps = statistics.median(r.rps for r in rounds["on"])
    off_cpu = statistics.median(r.cpu_us for r in rounds["off"])
    on_cpu = statistics.median(r.cpu_us for r in rounds["on"])
    kept = off_cpu / on_cpu if on_cpu else 0.0
    return {
        "benchmark": "observability_overhead",
        "endpoint": f"{endpoint.method} {endpoint.path}",
        "endpoint_note": note,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "round_seconds": args.seconds,
        "rounds": args.rounds,
        "off_rps": [round(r.rps, 1) for r in rounds["off"]],
        "on_rps": [round(r.rps, 1) for r in rounds["on"]],
        "off_cpu_us_per_request": [round(r.cpu_us, 1) for r in rounds["off"]],
        "on_cpu_us_per_request": [round(r.cpu_us, 1) for r in rounds["on"]],
        "off_rps_median": round(off_rps, 1),
        "on_rps_median": round(on_rps, 1),
        "rps_ratio": round(on_rps / off_rps, 3) if off_rps else 0.0,
        "off_cpu_us_median": round(off_cpu, 1),
        "on_cpu_us_median": round(on_cpu, 1),
        "kept_ratio": round(kept, 3),
        "target_ratio": 0.85,
        "meets_target": kept >= 0.85,
        "failed_requests": sum(r.failed for mode in rounds.values() for r in mode),
    }


@dataclass(frozen=True)
class Round:
    rps: float
    cpu_us: float  # server CPU time per request, microseconds
    failed: int


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--path",
        default="auto",
        help=f"endpoint to load; auto: POST {SEARCH_PATH} if it exists, else GET /health",
    )
    parser.add_argument("--method", default=None, help="HTTP method for --path (default GET)")
    parser.add_argument("--body", default=None, help="JSON body for --path")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=8, help="rounds per mode (alternating)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    args = parser.parse_args()
    if not 0 < args.seconds <= 60 or not 0 < args.rounds <= 30 or not 0 < args.concurrency <= 256:
        parser.error("keep --seconds <= 60, --rounds <= 30, --concurrency <= 256")
    return args


@contextmanager
def _server(
    data_dir: Path, database_url: str, args: argparse.Namespace, *, metrics: bool
) -> Iterator[ServeProcess]:
    env = service_environment(
        data_dir,
        PORT=str(free_port()),
        WORKERS=str(args.workers),
        DATABASE_URL=database_url,
        LOAD_SAMPLE_DATA="true",
        METRICS_ENABLED="true" if metrics else "false",
        RATE_LIMIT_REQUESTS_PER_MINUTE=UNLIMITED,
        RATE_LIMIT_REQUESTS_PER_HOUR=UNLIMITED,
    )
    with serving(env, cwd=data_dir.parent) as server:
        server.wait_ready(180)
        yield server


def _choose_endpoint(
    args: argparse.Namespace, base: str, database_url: str, root: Path
) -> tuple[Endpoint, str]:
    path = args.path
    note = "as requested"
    if path == "auto":
        paths = httpx.get(f"{base}/docs/openapi.json", timeout=10).json().get("paths", {})
        if "post" in paths.get(SEARCH_PATH, {}):
            path, note = SEARCH_PATH, "property search (the issue's target endpoint)"
        else:
            path, note = "/health", f"{SEARCH_PATH} does not exist yet: measured /health instead"
    searching = path == SEARCH_PATH
    method = args.method or ("POST" if searching else "GET")
    body = (
        args.body.encode()
        if args.body
        else (json.dumps(SEARCH_BODY).encode() if searching else b"")
    )
    headers = {"X-API-Key": _create_key(database_url, root)} if path.startswith("/api/") else {}
    return Endpoint(method, path, body, headers), note


def _create_key(database_url: str, root: Path) -> str:
    """A `search` key without rate limits, through the real CLI (it prints the key last)."""
    command = ["keys", "create", "--name", "overhead-bench", "--scopes", "search"]
    command += ["--rate-limit-per-minute", UNLIMITED, "--rate-limit-per-hour", UNLIMITED]
    result = subprocess.run(
        [sys.executable, "-m", "copilot_api", *command],
        env=service_environment(root / "keys", DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip().splitlines()[-1]


async def _load(
    base: str, endpoint: Endpoint, concurrency: int, seconds: float
) -> tuple[float, int, int]:
    """(requests per second, requests done, requests failed) over `seconds` from `concurrency`
    keep-alive connections."""
    host, port = base.removeprefix("http://").split(":")
    request = endpoint.request(f"{host}:{port}")
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    results = await asyncio.gather(
        *(_connection(host, int(port), request, deadline) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    done = sum(ok for ok, _ in results)
    return done / elapsed, done, sum(failed for _, failed in results)


async def _connection(host: str, port: int, request: bytes, deadline: float) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    ok = failed = 0
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if 200 <= status < 300:
                ok += 1
            else:
                failed += 1
    finally:
        writer.close()
        await writer.wait_closed()
    return ok, failed


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (uvicorn workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            total += (int(stat[11]) + int(stat[12])) / ticks  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


if __name__ == "__main__":
    sys.exit(main())
