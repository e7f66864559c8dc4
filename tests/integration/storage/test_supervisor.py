"""The embedded server's supervisor against its owner: a server the owner stopped is retired,
and no supervisor (of this process or of a worker sharing it) ever starts it again."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot_api.storage.database import DatabaseUnavailableError
from copilot_api.storage.embedded import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    ServerRetiredError,
    ServerTuning,
)
from copilot_api.storage.supervisor import EmbeddedSupervisor, ServerState

TUNING = ServerTuning(shared_buffers="64MB", durable=False)


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """The process that starts the server owns it (as `copilot serve` does)."""
    server = EmbeddedPostgres(tmp_path / "pg", TUNING)
    server.start()
    yield server
    server.stop()
    server.stop_server()  # whatever still runs there (a server wrongly restarted)


def _worker_view(owner: EmbeddedPostgres) -> EmbeddedPostgres:
    """What a uvicorn worker holds: the same server, reused, not owned."""
    worker = EmbeddedPostgres(owner.data_dir, TUNING)
    assert worker.start() == owner.url()
    return worker


async def _no_op() -> None:
    return None


def test_a_server_its_owner_stopped_is_not_restarted(owner: EmbeddedPostgres) -> None:
    worker = _worker_view(owner)
    supervisor = EmbeddedSupervisor(worker, max_restarts=3, on_restart=_no_op, poll_interval=0.05)

    async def owner_stops_while_supervised() -> None:
        supervising = asyncio.create_task(supervisor.run())
        await asyncio.sleep(0.3)
        assert supervisor.state is ServerState.RUNNING
        await asyncio.to_thread(owner.stop)
        # The supervisor notices, does not restart the server, and stops watching by itself.
        await asyncio.wait_for(supervising, timeout=30)

    asyncio.run(owner_stops_while_supervised())
    assert supervisor.state is ServerState.RETIRED
    assert not supervisor.alive  # this process lost its database: it must be replaced
    with pytest.raises(DatabaseUnavailableError):
        supervisor.check_available()
    time.sleep(0.3)
    assert not owner.is_running()
    with pytest.raises(ServerRetiredError):
        worker.ensure_running()
    assert not owner.is_running()


def test_a_new_owner_brings_a_retired_server_back_into_supervision(
    owner: EmbeddedPostgres,
) -> None:
    owner.stop()
    assert owner.start() == owner.url()  # an owner starts it again: no longer retired
    worker = _worker_view(owner)
    postmaster = owner.postmaster_pid()
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while owner.is_running():
        assert time.monotonic() < deadline, "the killed postmaster is still running"
        time.sleep(0.05)
    # A dead server (not a retired one) is restarted; as the supervisor does, retry while the
    # killed server's children are still exiting (EmbeddedPostgresError), never when retired.
    while True:
        try:
            assert worker.ensure_running()
            break
        except ServerRetiredError:
            raise
        except EmbeddedPostgresError:
            assert time.monotonic() < deadline + 20, "the server could not be restarted"
            time.sleep(0.2)
    assert owner.postmaster_pid() not in (None, postmaster)
