from __future__ import annotations

import pytest

from copilot_api.listings.query_cache import LruCache


def test_the_least_recently_used_entry_is_evicted() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the oldest
    cache.put("c", 3)
    assert "b" not in cache
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_a_stored_none_is_remembered() -> None:
    cache: LruCache[str, int | None] = LruCache(1)
    cache.put("no words", None)
    assert "no words" in cache
    assert cache.get("no words") is None


def test_a_cache_needs_room() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LruCache(0)
