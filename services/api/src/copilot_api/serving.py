"""Running uvicorn so that a shutdown refuses late clients instead of resetting them.

uvicorn closes its listening socket first thing on SIGTERM (the workers do; the multi-worker
supervisor even kept its copy open until every worker had drained). Either way connections
waiting in the kernel's accept queue at that instant were reset, and connections a worker had
just accepted without reading their request yet were closed unanswered. Here, on SIGTERM, the
listener first stops taking new connections (`draining.refuse_new_connections`: late clients
are refused), what is already queued is accepted and served normally, anything still queued
after that gets `503 shutting_down`, and only then does the listener close and the drain of
in-flight requests begin.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from copilot_api.draining import (
    answer_queued_connections,
    refuse_new_connections,
    wait_until_queues_empty,
)

# How long an accept queue must stay empty before the listener closes: handshakes under way
# complete, and the worker that accepted a connection reads its request (a worker's shutdown
# closes connections it has accepted but not yet read from).
QUEUE_SETTLE_S = 0.2
# At most this long for the workers to take what is queued; the rest gets 503 shutting_down.
QUEUE_DRAIN_TIMEOUT_S = 1.0


class _DrainingMultiprocess(Multiprocess):
    """The supervisor holds a copy of the listener the workers share: it stops new connections
    while the workers still accept, then signals them (each closes its copy), answers what is
    left and closes its own copy last."""

    def terminate_all(self) -> None:
        refusing = [sock for sock in self.sockets if refuse_new_connections(sock)]
        wait_until_queues_empty(refusing, settle=QUEUE_SETTLE_S, timeout=QUEUE_DRAIN_TIMEOUT_S)
        for sock in refusing:  # the workers did not take these (stuck, or stopped by Ctrl-C)
            answer_queued_connections(sock)
        super().terminate_all()
        for sock in refusing:
            answer_queued_connections(sock)
        for sock in self.sockets:
            sock.close()


class _DrainingServer(uvicorn.Server):
    """A single-process server: the same steps in its own event loop, which keeps accepting and
    serving while the queue empties."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        listeners = [sock for server in self.servers for sock in server.sockets]
        refusing = [sock for sock in listeners if refuse_new_connections(sock)]
        if refusing:
            await asyncio.to_thread(
                wait_until_queues_empty,
                refusing,
                settle=QUEUE_SETTLE_S,
                timeout=QUEUE_DRAIN_TIMEOUT_S,
            )
            # Our own copies keep the listener open, and its queue intact, once the event
            # loop's servers close: whatever is still queued is answered, not reset.
            copies = [socket.socket(fileno=os.dup(sock.fileno())) for sock in refusing]
            for server in self.servers:
                server.close()
            for copy in copies:
                with copy:
                    await asyncio.to_thread(answer_queued_connections, copy)
        await super().shutdown(sockets)


def run_server(app: Any, **options: Any) -> None:
    """`uvicorn.run(app, **options)` with the shutdown above (not under --reload)."""
    config = uvicorn.Config(app, **options)
    if config.should_reload:
        uvicorn.run(app, **options)
    elif config.workers > 1:
        _DrainingMultiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server = _DrainingServer(config)
        with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
            server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
