"""Running uvicorn so that a shutdown refuses late clients instead of resetting them.

With several workers, uvicorn's supervisor holds its own copy of the listening socket until every
worker has drained. Meanwhile the kernel keeps completing handshakes into a backlog nobody
accepts from, and those connections are reset when the supervisor exits: a client that arrived
after SIGTERM saw its request die mid-way. Here the supervisor closes its copy before it signals
the workers (each closes its own first thing), so from SIGTERM on a new connection is refused,
which clients and load balancers retry elsewhere, while in-flight requests finish.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess


class _ListenerClosingMultiprocess(Multiprocess):
    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()  # new connections are refused from here on
        super().terminate_all()


def run_server(app: Any, **options: Any) -> None:
    """`uvicorn.run(app, **options)`, with the shutdown above when it runs several workers."""
    config = uvicorn.Config(app, **options)
    if config.workers > 1 and not config.should_reload:
        _ListenerClosingMultiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.run(app, **options)
