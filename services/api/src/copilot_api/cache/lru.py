"""The in-process tier: a bounded LRU of encoded values with a per-entry lifetime.

Values are kept encoded (bytes), exactly as Redis holds them, so a caller mutating what it got
back can never change what the next caller gets, and memory use is the size of the payloads.
Single-threaded by design: it is only touched from the event loop.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Entry:
    value: bytes
    expires_at: float


class LRUCache:
    def __init__(
        self, max_size: int, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_size < 0:
            raise ValueError("max_size must not be negative")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.max_size = max_size
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.evictions = 0
        self.expirations = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._entries[key]
            self.expirations += 1
            return None
        self._entries.move_to_end(key)
        return entry.value

    def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> int:
        """Store a value; returns how many entries were evicted to make room."""
        if self.max_size == 0:
            return 0
        lifetime = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        self._entries[key] = _Entry(value, self._clock() + lifetime)
        self._entries.move_to_end(key)
        evicted = 0
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)
            evicted += 1
        self.evictions += evicted
        return evicted

    def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
