"""Stops an embedded PostgreSQL when the process that owns it ends, however it ends.

Run by `EmbeddedPostgres` as `python -m copilot_api.storage.watchdog DATA_DIR OWNER_PID` with a
pipe on stdin whose only writer is the owner: end-of-file means the owner is gone (a clean exit
closes the pipe too, after stopping the server itself, so then there is nothing left to do).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from copilot_api.storage.embedded import EmbeddedPostgres


def main(argv: list[str]) -> int:
    data_dir, owner_pid = Path(argv[0]), int(argv[1])
    # The owner's terminal may send SIGINT/SIGHUP to everyone; we wait for the pipe instead.
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    while sys.stdin.buffer.read(4096):
        pass
    EmbeddedPostgres(data_dir).stop_orphan(owner_pid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
