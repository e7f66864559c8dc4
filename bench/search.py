"""Property search benchmark: prints ONE JSON object.

1. ingest: `copilot listings ingest` (a subprocess, end to end: start-up, validation, embedding,
   upserts, index builds) of N generated listings into an embedded PostgreSQL, in rows/s;
2. search: a live `copilot serve` on 127.0.0.1, hammered through HTTP with a bounded number of
   realistic queries at a fixed concurrency: latency p50/p95/p99 and requests/s;
3. recall@10 of the index path (HNSW, as the search uses it) against an exact scan, with
   embeddings of realistic listing text, on filtered queries broad enough for the index path.

    uv run python bench/search.py                 # 100,000 listings (several minutes)
    uv run python bench/search.py --size 5000 --requests 300    # a smoke run

The machine is usually shared: run it when it is quiet and read the figures with that in mind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import psycopg

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings.fields import Op, embedding_text
from copilot_api.listings.filters import Filter
from copilot_api.listings.samples import generate_listings
from copilot_api.listings.search import HNSW_EF_SEARCH, nearest_keys
from copilot_api.listings.store import HNSW_EF_CONSTRUCTION, HNSW_M
from copilot_api.security import store as key_store
from copilot_api.security.scopes import parse_scopes
from copilot_api.storage.embedded import EmbeddedPostgres, ServerTuning

REPO_ROOT = Path(__file__).resolve().parent.parent
DIMENSIONS = 384

# What agents type: selective (exact plan) and broad (index plan) filters, semantic words.
SEARCH_QUERIES = [
    "3 bed 2 bath in Ames under $250k with a garage",
    "cozy bungalow with a fenced backyard near downtown",
    "condo in Denver under 500k",
    "4 bedroom house with a pool in Austin",
    "updated kitchen with quartz counters",
    "waterfront home with a private dock",
    "single-story home built after 2000 in Raleigh",
    "townhouse in Portland with a 2 car garage",
    "new construction in West Des Moines",
    "homes in Madison, WI near the lake under 600k",
    "hardwood floors and a finished basement",
    "2 bed condo with a balcony under 400k",
]
# Semantic parts of agent queries, for recall (the vector ranking sees only these words).
RECALL_QUERIES = [
    "updated kitchen with quartz counters and a large island",
    "craftsman bungalow with a covered front porch",
    "finished basement with a rec room and a home office",
    "private heated pool with a sunny deck",
    "waterfront setting with a private dock",
    "single-level living close to parks and playgrounds",
    "hardwood floors and vaulted ceilings",
    "fenced backyard with fruit trees and a fire pit",
    "walk to restaurants and coffee shops",
    "new construction with a builder warranty",
    "light-filled condo with a private balcony",
    "spa-like primary bath with a soaking tub",
]
RECALL_FILTERS = [
    [Filter("StandardStatus", Op.EQ, "Active")],
    [Filter("ListPrice", Op.LTE, 600_000), Filter("StandardStatus", Op.EQ, "Active")],
    [Filter("BedroomsTotal", Op.GTE, 3), Filter("StandardStatus", Op.EQ, "Active")],
    [
        Filter("City", Op.IN, ["Austin", "Denver", "Raleigh"]),
        Filter("StandardStatus", Op.EQ, "Active"),
    ],
    [Filter("City", Op.EQ, "Portland"), Filter("StandardStatus", Op.EQ, "Active")],
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="listings to ingest")
    parser.add_argument("--requests", type=int, default=2_000, help="timed HTTP searches")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the server")
    parser.add_argument("--warmup", type=int, default=100, help="untimed searches first")
    parser.add_argument("--keep", type=Path, help="keep the data under this directory")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: search the database a previous run left there (no ingest)",
    )
    args = parser.parse_args()
    if args.reuse and args.keep is None:
        parser.error("--reuse needs --keep DIR")

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="copilot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "benchmark": "property-search",
        "machine": _machine(),
        "size": args.size,
    }
    server = EmbeddedPostgres(workdir / "postgres", ServerTuning())
    url = server.start()
    try:
        result["ingest"] = None if args.reuse else _ingest(url, workdir, args.size)
        key = _api_key(url)
        with _serve(url, workdir, args.workers) as base_url:
            result["search"] = asyncio.run(
                _load(base_url, key, args.requests, args.concurrency, args.warmup)
            )
        result["recall"] = asyncio.run(_recall(url))
        result["storage"] = _storage(url)
    finally:
        server.stop()
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    ingest_rate = result["ingest"]["rows_per_second"] if result["ingest"] else None
    result["targets"] = {
        "ingest_rows_per_second": {
            "target": 2000,
            "met": None if ingest_rate is None else ingest_rate >= 2000,
        },
        "search_p95_ms": {"target": 50, "met": result["search"]["p95_ms"] <= 50},
        "recall_at_10": {"target": 0.95, "met": result["recall"]["recall_at_10"] >= 0.95},
    }
    print(json.dumps(result))
    return 0


def _machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in load],
        "note": "shared machine; other work may run concurrently",
    }


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "REDIS_URL")}
    return {
        **env,
        "ENVIRONMENT": "development",
        "DATABASE_URL": url,
        "LOAD_SAMPLE_DATA": "false",
        "EMBEDDING_PROVIDER": "local",
        "EMBEDDING_DIMENSIONS": str(DIMENSIONS),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _ingest(url: str, workdir: Path, size: int) -> dict[str, Any]:
    path = workdir / "listings.jsonl"
    log(f"generating {size:,} listings")
    encoder = msgspec.json.Encoder()
    with path.open("wb") as handle:
        for listing in generate_listings(size):
            handle.write(encoder.encode(listing) + b"\n")
    log("ingesting with `copilot listings ingest`")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "copilot_api", "listings", "ingest", str(path), "--no-progress"],
        env=_env(url),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    log(done.stdout.strip())
    return {
        "rows": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(size / seconds),
        "summary": done.stdout.strip(),
        "scope": "whole CLI process: start-up, read, validate, embed, upsert, index builds",
    }


def _api_key(url: str) -> str:
    async def create() -> str:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            _, generated = await key_store.create_key(
                connection,
                name=f"bench-{os.getpid()}",
                scopes=parse_scopes("search"),
                rate_limit_per_minute=10_000_000,
                rate_limit_per_hour=100_000_000,
            )
            return generated.secret

    return asyncio.run(create())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _serve(url: str, workdir: Path, workers: int) -> Iterator[str]:
    port = _free_port()
    log(f"starting `copilot serve` with {workers} workers on port {port}")
    process = subprocess.Popen(
        [sys.executable, "-m", "copilot_api", "serve"],
        env=_env(
            url, PORT=str(port), HOST="127.0.0.1", WORKERS=str(workers), DATA_DIR=str(workdir)
        ),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "serve.log").open("w"),
    )
    base_url = f"127.0.0.1:{port}"
    try:
        _wait_ready(port, process)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited during start-up; see serve.log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(
                    b"GET /health/readiness HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server never became ready")


class _Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator should not eat the CPU the
    server needs (the machine has two cores)."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port, self.key = host, port, key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"X-API-Key: {self.key}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _load(
    base_url: str, key: str, requests: int, concurrency: int, warmup: int
) -> dict[str, Any]:
    host, port = base_url.split(":")
    bodies = [json.dumps({"query": query, "limit": 10}).encode() for query in SEARCH_QUERIES]
    latencies: list[float] = []
    plans: Counter[str] = Counter()
    server_ms: list[float] = []
    errors: Counter[int] = Counter()
    counter = iter(range(warmup + requests))
    lock = asyncio.Lock()

    async def worker() -> None:
        connection = _Connection(host, int(port), key)
        try:
            while True:
                async with lock:
                    index = next(counter, None)
                if index is None:
                    return
                started = time.perf_counter()
                status, payload = await connection.post(
                    "/api/property-search", bodies[index % len(bodies)]
                )
                elapsed = (time.perf_counter() - started) * 1000
                if index < warmup:
                    continue
                if status != 200:
                    errors[status] += 1
                    continue
                latencies.append(elapsed)
                answer = json.loads(payload)
                plans[answer["plan"]] += 1
                server_ms.append(answer["took_ms"])
        finally:
            await connection.close()

    log(f"{warmup} warm-up + {requests} timed searches at concurrency {concurrency}")
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    timed_share = len(latencies) / max(1, warmup + requests)
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": dict(errors),
        "p50_ms": round(_percentile(ordered, 50), 1),
        "p95_ms": round(_percentile(ordered, 95), 1),
        "p99_ms": round(_percentile(ordered, 99), 1),
        "requests_per_second": round(len(latencies) / (wall * timed_share), 1) if latencies else 0,
        "server_took_ms_p50": round(statistics.median(server_ms), 1) if server_ms else None,
        "plans": dict(plans),
        "queries": len(SEARCH_QUERIES),
    }


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def _recall(url: str) -> dict[str, Any]:
    log("recall@10: index path against an exact scan")
    provider = LocalEmbeddingProvider(DIMENSIONS)
    semantic = await _recall_of(url, provider.embed_sync(RECALL_QUERIES))
    # "More like this": whole listing texts as queries (not in the index: another seed).
    listing_texts = [embedding_text(listing) for listing in generate_listings(12, seed=4242)]
    similar = await _recall_of(url, provider.embed_sync(listing_texts))
    return {
        "k": 10,
        "recall_at_10": semantic["mean"],
        "min": semantic["min"],
        "queries": semantic["queries"],
        "per_filter": semantic["per_filter"],
        "recall_at_10_listing_text_queries": similar["mean"],
        "index_ms_p50": semantic["index_ms_p50"],
        "exact_ms_p50": semantic["exact_ms_p50"],
        "hnsw": {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH},
        "note": "queries are the semantic words of agent searches (the vector ranking sees only "
        "those); filters broad enough for the index plan",
    }


async def _recall_of(url: str, vectors: Any) -> dict[str, Any]:
    per_filter: dict[str, float] = {}
    recalls: list[float] = []
    latency: dict[str, list[float]] = {"index": [], "exact": []}
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        for filters in RECALL_FILTERS:
            label = " AND ".join(f"{f.field} {f.op.value} {f.value}" for f in filters)
            found = []
            for vector in vectors:
                started = time.perf_counter()
                exact = await nearest_keys(connection, vector, filters, 10, "exact")
                latency["exact"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                approximate = await nearest_keys(connection, vector, filters, 10, "index")
                latency["index"].append((time.perf_counter() - started) * 1000)
                found.append(len(set(exact) & set(approximate)) / max(1, len(exact)))
            per_filter[label] = round(statistics.mean(found), 3)
            recalls += found
    return {
        "mean": round(statistics.mean(recalls), 3),
        "min": round(min(recalls), 2),
        "queries": len(recalls),
        "per_filter": per_filter,
        "index_ms_p50": round(statistics.median(latency["index"]), 1),
        "exact_ms_p50": round(statistics.median(latency["exact"]), 1),
    }


def _storage(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT pg_size_pretty(pg_table_size('listings')),"
            " pg_size_pretty(pg_indexes_size('listings')),"
            " pg_size_pretty(pg_relation_size('listings_embedding_hnsw'))"
        ).fetchone()
    assert row is not None
    return {"table": row[0], "indexes": row[1], "hnsw": row[2]}


if __name__ == "__main__":
    sys.exit(main())
