"""Caches: an in-process LRU tier plus a Redis tier shared by every worker and task."""

from copilot_api.cache.codecs import Codec, JsonCodec, VectorCodec
from copilot_api.cache.keys import cache_key
from copilot_api.cache.registry import EMBEDDING, PROMPT, CacheRegistry
from copilot_api.cache.tiered import CacheObserver, TieredCache

__all__ = [
    "EMBEDDING",
    "PROMPT",
    "CacheObserver",
    "CacheRegistry",
    "Codec",
    "JsonCodec",
    "TieredCache",
    "VectorCodec",
    "cache_key",
]
