"""The key-value store: sessions, cache, rate limits, leaderboards, replay caches."""

from __future__ import annotations

from hub.store.base import KeyValueStore
from hub.store.memory import MemoryStore


def open_store(redis_url: str | None) -> KeyValueStore:
    """Redis when a URL is given, else the in-process store."""
    if redis_url:
        from hub.store.redis import RedisStore

        return RedisStore.from_url(redis_url)
    return MemoryStore()


__all__ = ["KeyValueStore", "MemoryStore", "open_store"]
