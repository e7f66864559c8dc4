"""Brings a dead embedded PostgreSQL back: polls the postmaster, restarts it with bounded backoff.

Every uvicorn worker runs one; the restart itself is serialised by a file lock in
`EmbeddedPostgres.ensure_running`, so the first worker to notice restarts the server and the
others find it back. After `max_restarts` failed attempts in a row the supervisor gives up and
reports itself failed, which fails liveness so that the process supervisor (ECS, systemd,
docker) restarts the whole service.

A server its owner stopped (the owning command ended, or its watchdog stopped it) is retired,
not dead: the supervisor never restarts it, stops watching and fails liveness too, since this
process has lost its database for good.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from copilot_api.storage.database import DatabaseUnavailableError
from copilot_api.storage.embedded import EmbeddedPostgres, ServerRetiredError

logger = logging.getLogger(__name__)


class ServerState(enum.Enum):
    RUNNING = "running"
    RESTARTING = "restarting"
    FAILED = "failed"
    RETIRED = "retired"  # stopped by its owner: never restarted


@dataclass(frozen=True, slots=True)
class Backoff:
    first_delay: float = 0.5
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before restart attempt `attempt` (1-based): 0 for the first."""
        if attempt <= 1:
            return 0.0
        return float(min(self.max_delay, self.first_delay * 2 ** (attempt - 2)))


class EmbeddedSupervisor:
    def __init__(
        self,
        server: EmbeddedPostgres,
        *,
        max_restarts: int,
        on_restart: Callable[[], Awaitable[None]],
        poll_interval: float = 0.2,
        backoff: Backoff | None = None,
    ) -> None:
        self.server = server
        self.max_restarts = max_restarts
        self.state = ServerState.RUNNING
        self.restarts = 0
        self._on_restart = on_restart
        self._poll_interval = poll_interval
        self._backoff = backoff or Backoff()

    @property
    def alive(self) -> bool:
        """False once restarting has been given up or the server retired: the process needs
        replacing."""
        return self.state not in (ServerState.FAILED, ServerState.RETIRED)

    def check_available(self) -> None:
        """Raises at once while the server is down (known, or seen in its postmaster.pid: a
        cheap local check that beats waiting for a connection attempt to time out)."""
        if self.state is not ServerState.RUNNING:
            raise DatabaseUnavailableError(f"embedded PostgreSQL is {self.state.value}")
        if not self.server.is_running():
            raise DatabaseUnavailableError("embedded PostgreSQL is not running")

    async def run(self) -> None:
        """Runs until cancelled, or until the server is retired."""
        while self.state is not ServerState.RETIRED:
            await asyncio.sleep(self._poll_interval)
            if await asyncio.to_thread(self.server.is_running):
                if self.state is not ServerState.RUNNING:  # another worker brought it back
                    await self._recovered()
                continue
            if self.state is ServerState.RUNNING:
                logger.error("embedded PostgreSQL is not running; restarting it")
                self.state = ServerState.RESTARTING
            if self.state is ServerState.RESTARTING:
                await self._restart()

    async def _restart(self) -> None:
        for attempt in range(1, self.max_restarts + 1):
            await asyncio.sleep(self._backoff.delay(attempt))
            try:
                await asyncio.to_thread(self.server.ensure_running)
            except ServerRetiredError:
                logger.warning("embedded PostgreSQL was stopped by its owner; not restarting it")
                self.state = ServerState.RETIRED
                return
            except Exception as error:
                logger.warning(
                    "restart %d/%d of embedded PostgreSQL failed: %s",
                    attempt,
                    self.max_restarts,
                    str(error).splitlines()[0] if str(error) else type(error).__name__,
                )
                continue
            self.restarts += 1
            await self._recovered()
            return
        logger.critical(
            "embedded PostgreSQL could not be restarted after %d attempts; failing liveness",
            self.max_restarts,
        )
        self.state = ServerState.FAILED

    async def _recovered(self) -> None:
        await self._on_restart()
        self.state = ServerState.RUNNING
        logger.info("embedded PostgreSQL is back on port %s", self.server.port)
