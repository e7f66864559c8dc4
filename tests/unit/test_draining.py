"""The listener's shutdown steps on real loopback sockets: stop new connections without closing
the port, measure the accept queue, answer what is queued with 503 shutting_down."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from copilot_api.draining import (
    accept_queue_length,
    answer_queued_connections,
    refuse_new_connections,
    wait_until_queues_empty,
)

REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock


def _connect(listener: socket.socket, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(listener.getsockname(), timeout=timeout)


def test_new_connections_are_dropped_while_queued_ones_stay_usable(
    listener: socket.socket,
) -> None:
    queued = _connect(listener)
    assert accept_queue_length(listener) == 1
    assert refuse_new_connections(listener)
    with pytest.raises(TimeoutError):  # the SYN is dropped: no handshake
        _connect(listener, timeout=0.3)
    assert accept_queue_length(listener) == 1
    accepted, _ = listener.accept()
    with queued, accepted:  # the accepted socket inherits the filter: data still flows
        queued.sendall(b"ping")
        assert accepted.recv(16) == b"ping"
        accepted.sendall(b"pong")
        assert queued.recv(16) == b"pong"


def _read_all(client: socket.socket, answers: list[bytes]) -> None:
    with client:
        answer = b""
        while chunk := client.recv(65536):  # a reset would raise here
            answer += chunk
    answers.append(answer)


def test_queued_connections_get_503_shutting_down_and_late_ones_are_refused(
    listener: socket.socket,
) -> None:
    answers: list[bytes] = []
    readers = []
    for _ in range(2):
        client = _connect(listener)
        client.sendall(REQUEST)
        readers.append(threading.Thread(target=_read_all, args=(client, answers)))
        readers[-1].start()
    assert refuse_new_connections(listener)
    assert answer_queued_connections(listener) == 2
    for reader in readers:
        reader.join(timeout=10)
    assert len(answers) == 2
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 "), answer
        assert b"retry-after: 2" in head.lower()
        assert json.loads(body)["error"]["code"] == "shutting_down"
    address = listener.getsockname()
    listener.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=5)


def test_waiting_for_the_queue_reports_whether_it_emptied(listener: socket.socket) -> None:
    assert wait_until_queues_empty([listener], settle=0.05, timeout=1.0)
    with _connect(listener):
        assert not wait_until_queues_empty([listener], settle=0.05, timeout=0.2)
        listener.accept()[0].close()
        assert wait_until_queues_empty([listener], settle=0.05, timeout=1.0)
