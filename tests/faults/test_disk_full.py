"""Disk full for DATA_DIR during an ingest: DATA_DIR is a small tmpfs in a private mount namespace
(root only), the embedded PostgreSQL runs on it, and a filler file leaves a few MB for
`copilot listings ingest`. The CLI fails with one clear error (no hang, no traceback), the rows
stored are exactly whole committed batches, and once space is freed a re-run lands every row.
The scenario itself runs in tests/faults/disk_full_driver.py, inside the namespace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from copilot_api.listings.samples.generator import generate_listings
from tests.faults.conftest import FaultReport
from tests.harness import REPO_ROOT

LISTINGS = 1_500  # below the bulk-load threshold: indexes stay, as in an everyday ingest
BATCH_SIZE = 100
# Fits the initialised server (about 60 MB with its first WAL segment) plus the filler.
TMPFS_MB = 128
HEADROOM_MB = 4  # left free for the ingest: roughly a third of the listings fit
DRIVER_TIMEOUT_S = 120


def _namespaces_available() -> str | None:
    """Why the scenario cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root: mounts a tmpfs in a private mount namespace"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux) for a private mount namespace"
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"cannot create a mount namespace: {probe.stderr.strip()}"
    return None


def _run_driver(data_dir: Path, feed: Path) -> dict[str, Any]:
    data_dir.mkdir()
    # The mount lives only in the new namespace; `exec` makes the driver the process the
    # timeout below signals, and the driver stops its server before the namespace ends.
    script = 'mount -t tmpfs -o "size=$1" tmpfs "$2" && shift 2 && exec "$@"'
    process = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
         f"{TMPFS_MB}M", str(data_dir), sys.executable, "-m", "tests.faults.disk_full_driver",
         str(data_dir), str(feed), str(BATCH_SIZE), str(HEADROOM_MB)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=DRIVER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.terminate()  # the driver stops its server on SIGTERM
        stdout, stderr = process.communicate(timeout=30)
        raise AssertionError(f"the scenario took over {DRIVER_TIMEOUT_S} s:\n{stderr}") from None
    assert process.returncode == 0, stderr
    report: dict[str, Any] = json.loads(stdout)
    return report


def test_disk_full_during_ingest_loses_no_row(tmp_path: Path, fault_report: FaultReport) -> None:
    if reason := _namespaces_available():
        pytest.skip(reason)
    feed = tmp_path / "feed.jsonl"  # outside DATA_DIR: only the database's disk fills
    listings = list(generate_listings(LISTINGS))
    feed.write_text("".join(json.dumps(listing) + "\n" for listing in listings))
    all_keys = [str(listing["ListingKey"]) for listing in listings]

    observed = _run_driver(tmp_path / "data", feed)

    full, rerun = observed["full"], observed["rerun"]
    after_full: list[str] | None = observed["keys_after_full"]
    after_rerun: list[str] | None = observed["keys_after_rerun"]
    fault_report.record(
        "disk full for DATA_DIR during ingest (tmpfs)",
        time_to_503_s=None,
        time_to_recovery_s=observed["seconds_to_recovery"],
        requests_failed=0,
        rows_lost=None if after_rerun is None else len(set(all_keys) - set(after_rerun)),
    )
    assert not observed["postmaster_left"], "the embedded server outlived the scenario"
    # A clear failure, not a hang (timeout: status None) or a traceback.
    assert full["status"] == 3, full
    assert "Traceback" not in full["stderr"], full["stderr"]
    assert "copilot: error: the database failed" in full["stderr"], full["stderr"]
    # Usually our batch's own "No space left on device"; when another backend PANICs on a WAL
    # write first, the server's "terminating connection" instead. Either way a short message.
    assert len(full["stderr"].splitlines()) <= 6, full["stderr"]
    # Whole batches only: the stored rows are the file's first k batches, as the report says.
    assert after_full is not None, f"the server did not come back once space was freed: {observed}"
    stored = len(after_full)
    assert stored % BATCH_SIZE == 0, f"{stored} rows: a half-written batch"
    assert stored < LISTINGS, "the disk never filled: the scenario did not happen"
    assert after_full == sorted(all_keys[:stored])
    assert full["stdout"].startswith(f"inserted {stored}, "), full["stdout"]
    # Space freed: the re-run converges and every row lands.
    assert rerun["status"] == 0, rerun["stderr"]
    assert rerun["stdout"].startswith(
        f"inserted {LISTINGS - stored}, updated 0, unchanged {stored}"
    ), rerun["stdout"]
    assert after_rerun == sorted(all_keys)
