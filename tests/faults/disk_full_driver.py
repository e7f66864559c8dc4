"""Driver of the "disk full for DATA_DIR during ingest" scenario, run by test_disk_full.py inside
a private mount namespace whose small tmpfs is DATA_DIR (so the mount, and the full disk, exist
for this process tree only):

    python -m tests.faults.disk_full_driver DATA_DIR FEED BATCH_SIZE HEADROOM_MB

It starts the embedded PostgreSQL under DATA_DIR (owned here, so that the CLI reuses it and it is
stopped before the namespace goes away), fills the tmpfs up to HEADROOM_MB with a filler file,
runs `copilot listings ingest FEED` until the disk is full, removes the filler, runs the ingest
again, and prints one JSON object of observations on stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg

from copilot_api.storage.embedded import EmbeddedPostgres, EmbeddedPostgresError, ServerTuning
from copilot_api.storage.migrations import apply_migrations
from tests.harness import REPO_ROOT, service_environment

CLI_TIMEOUT_S = 20.0  # a hang shows as a timeout, never as a stuck test
RECOVERY_TIMEOUT_S = 30.0


def _ingest(data_dir: Path, feed: Path, batch_size: int) -> dict[str, Any]:
    env = service_environment(
        data_dir, EMBEDDING_PROVIDER="local", EMBEDDING_DIMENSIONS="64", LOG_LEVEL="WARNING"
    )
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "copilot_api", "listings", "ingest", str(feed),
             "--batch-size", str(batch_size), "--no-progress"],
            env=env, cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=CLI_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as expired:  # run() has killed it
        stderr = expired.stderr
        text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
        return {"status": None, "seconds": CLI_TIMEOUT_S, "stdout": "", "stderr": text}
    return {
        "status": result.returncode,
        "seconds": round(time.monotonic() - started, 3),
        "stdout": result.stdout,
        "stderr": result.stderr,
    }


def _keys(server: EmbeddedPostgres) -> list[str] | None:
    """The stored listing keys in order, or None when the server cannot answer in time.

    After a PANIC the postmaster replays its WAL first ("the database system is in recovery
    mode"), for a few seconds on a busy machine, and a recovery that started before the space was
    freed may still fail and stop the server: both are waited out, restarting a stopped server as
    a supervised service would.
    """
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while True:
        try:
            with psycopg.connect(server.url(), connect_timeout=5) as connection:
                rows = connection.execute("SELECT listing_key FROM listings ORDER BY 1").fetchall()
            return [str(key) for (key,) in rows]
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)
            with contextlib.suppress(EmbeddedPostgresError):  # still no space: try again
                server.ensure_running()


def _fill(path: Path, headroom: int) -> None:
    """Writes `path` until the file system has only `headroom` bytes left."""
    chunk = b"\0" * (1 << 20)
    with path.open("wb") as filler:
        while True:
            stats = os.statvfs(path.parent)
            free = stats.f_bavail * stats.f_frsize
            if free <= headroom:
                return
            filler.write(chunk[: min(len(chunk), free - headroom)])
            filler.flush()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # runs main's `finally`: the server is stopped


def main(data_dir: Path, feed: Path, batch_size: int, headroom_mb: float) -> dict[str, Any]:
    observed: dict[str, Any] = {}
    # Durable (fsync on), as in development; small buffers: the tmpfs is small too.
    server = EmbeddedPostgres(data_dir / "postgres", ServerTuning(shared_buffers="64MB"))
    try:
        apply_migrations(server.start())
        filler = data_dir / "filler"
        _fill(filler, int(headroom_mb * (1 << 20)))
        observed["full"] = _ingest(data_dir, feed, batch_size)
        observed["server_survived"] = server.is_running()
        filler.unlink()  # space is freed
        freed_at = time.monotonic()
        # PostgreSQL may have stopped itself (a PANIC on a WAL write, then a crash recovery that
        # found no space either): start it again, as a restarted service would.
        observed["server_restarted"] = server.ensure_running()
        observed["keys_after_full"] = _keys(server)
        observed["rerun"] = _ingest(data_dir, feed, batch_size)
        observed["keys_after_rerun"] = _keys(server)
        observed["seconds_to_recovery"] = round(time.monotonic() - freed_at, 3)
    finally:
        server.stop()
        server.stop_server()  # even a server restarted above: nothing outlives the namespace
        observed["postmaster_left"] = server.is_running()
    return observed


if __name__ == "__main__":
    # The test's timeout sends SIGTERM: stop the server rather than leave it in the namespace.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    directory, path, size, headroom = sys.argv[1:5]
    report = main(Path(directory), Path(path), int(size), float(headroom))
    print(json.dumps(report))
