"""Peak memory of process trees, sampled in a background thread (Linux /proc).

Memory is the proportional set size (PSS) summed over a process and its descendants: shared
pages (PostgreSQL's shared_buffers, forked workers' common pages) are split between the
processes that map them instead of being counted once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").glob("*/children"))
    except OSError:  # the process ended meanwhile
        return found
    for task in tasks:
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def tree(pid: int) -> list[int]:
    pending, seen = [pid], []
    while pending:
        current = pending.pop()
        seen.append(current)
        pending += _children(current)
    return seen


def pss_bytes(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_pss(pid: int) -> int:
    return sum(pss_bytes(member) for member in tree(pid))


class PeakMemory:
    """The highest PSS seen for each named process tree while running."""

    def __init__(self, roots: dict[str, Callable[[], int | None]], interval: float = 0.5) -> None:
        self._roots = roots
        self._interval = interval
        self.peaks: dict[str, int] = dict.fromkeys(roots, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        for name, root in self._roots.items():
            pid = root()
            if pid is not None:
                self.peaks[name] = max(self.peaks[name], tree_pss(pid))

    @contextmanager
    def running(self) -> Iterator[PeakMemory]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self.sample()

    def megabytes(self) -> dict[str, float]:
        return {name: round(peak / 2**20, 1) for name, peak in self.peaks.items()}


def directory_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
