"""Closing a listening socket without resetting anyone (Linux).

Closing a listener resets every connection still waiting in its accept queue, and a client that
arrives at that instant sees its request die. So a shutdown first makes the kernel drop new
connection attempts (a socket filter on the listener that drops SYN segments: the client
retransmits its SYN about a second later and then finds the port closed, a clean refusal),
lets the workers accept what is already queued, and answers anything still left in the queue
itself with `503 shutting_down` before the listener closes.

Only SYNs are dropped: handshakes already under way complete, and the connections the listener
hands out (which inherit its filter) carry no SYN after their handshake.
"""

from __future__ import annotations

import ctypes
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterable
from typing import Protocol

logger = logging.getLogger(__name__)

SO_ATTACH_FILTER = 26  # Linux <asm-generic/socket.h>; not exported by the socket module
SHUTTING_DOWN_RETRY_AFTER_S = 2

# Classic BPF over the TCP header: load the flags byte, drop (return 0) when SYN is set, else
# keep the whole segment.
_DROP_SYN_PROGRAM = (
    (0x30, 0, 0, 13),  # ldb [13]
    (0x45, 0, 1, 0x02),  # jset #SYN, next, skip one
    (0x06, 0, 0, 0),  # ret #0: drop
    (0x06, 0, 0, 0xFFFFFFFF),  # ret #-1: keep
)
_FILTER_CODE = ctypes.create_string_buffer(
    b"".join(struct.pack("HBBI", *instruction) for instruction in _DROP_SYN_PROGRAM)
)
# struct sock_fprog { unsigned short len; struct sock_filter *filter; } (native alignment).
_FILTER_PROGRAM = struct.pack("HP", len(_DROP_SYN_PROGRAM), ctypes.addressof(_FILTER_CODE))

_TCP_INFO_SIZE = 104
_TCPI_UNACKED_OFFSET = 24  # for a listener: the accept queue's length


class Listener(Protocol):
    """A listening socket: `socket.socket` or asyncio's `TransportSocket`."""

    def fileno(self) -> int: ...

    def setsockopt(self, level: int, optname: int, value: int | bytes, /) -> None: ...

    def getsockopt(self, level: int, optname: int, buflen: int, /) -> bytes: ...


def refuse_new_connections(listener: Listener) -> bool:
    """From now on the listener drops connection attempts (the port stays open); False when
    that is not possible here (not Linux, not TCP), where closing is all there is."""
    if listener.fileno() < 0:
        return False
    try:
        listener.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, _FILTER_PROGRAM)
    except OSError as error:
        logger.warning("cannot stop new connections before closing the listener: %s", error)
        return False
    return True


def accept_queue_length(listener: Listener) -> int:
    """Connections the kernel has completed that nobody has accepted yet (0 when unknown)."""
    if listener.fileno() < 0:
        return 0
    try:
        info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
    except OSError:
        return 0
    (length,) = struct.unpack_from("I", info, _TCPI_UNACKED_OFFSET)
    return int(length)


def wait_until_queues_empty(
    listeners: Iterable[Listener], *, settle: float, timeout: float
) -> bool:
    """Until every accept queue has stayed empty for `settle` seconds (handshakes in flight
    land, and whoever accepted them has read their requests), at most `timeout` seconds; False
    if a queue was still not empty then."""
    listeners = list(listeners)
    deadline = time.monotonic() + timeout
    empty_since: float | None = None
    while True:
        now = time.monotonic()
        if any(accept_queue_length(listener) for listener in listeners):
            empty_since = None
        elif empty_since is None:
            empty_since = now
        elif now - empty_since >= settle:
            return True
        if now >= deadline:
            return empty_since is not None
        time.sleep(0.01)


def answer_queued_connections(listener: socket.socket, *, timeout: float = 5.0) -> int:
    """Accept everything left in the listener's queue and answer each with `503 shutting_down`
    (the request is read first: closing a socket with unread data would reset it). Returns how
    many were answered; gives each at most `timeout` seconds."""
    listener.setblocking(False)
    answering: list[threading.Thread] = []
    while True:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            break
        except OSError as error:  # closed meanwhile
            logger.debug("stopped answering queued connections: %s", error)
            break
        thread = threading.Thread(
            target=_answer_shutting_down, args=(connection, timeout), daemon=True
        )
        thread.start()
        answering.append(thread)
    deadline = time.monotonic() + timeout
    for thread in answering:
        thread.join(max(0.0, deadline - time.monotonic()))
    if answering:
        logger.info("answered %d queued connection(s) with 503 shutting_down", len(answering))
    return len(answering)


_BODY = json.dumps(
    {"error": {"code": "shutting_down", "message": "The server is shutting down; retry shortly."}}
).encode()
SHUTTING_DOWN_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: application/json\r\n"
    + f"content-length: {len(_BODY)}\r\n".encode()
    + f"retry-after: {SHUTTING_DOWN_RETRY_AFTER_S}\r\n".encode()
    + b"connection: close\r\n\r\n"
    + _BODY
)


def _answer_shutting_down(connection: socket.socket, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with connection:
        try:
            connection.setblocking(True)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                connection.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = connection.recv(65536)
                if not chunk:
                    return  # the client gave up
                head += chunk
            connection.sendall(SHUTTING_DOWN_RESPONSE)
            connection.shutdown(socket.SHUT_WR)
            # Read (and discard) until the client closes, so the close sends no reset.
            while time.monotonic() < deadline:
                connection.settimeout(max(0.01, deadline - time.monotonic()))
                if not connection.recv(65536):
                    return
        except OSError:
            return  # the client went away or took too long: nothing more to do
