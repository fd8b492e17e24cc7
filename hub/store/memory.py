"""In-process store for the embedded default and tests: one process, no persistence."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class _Entry:
    value: str | dict[str, float]
    expires_at: float | None = None
    sorted_cache: list[tuple[str, float]] | None = field(default=None, repr=False)


class MemoryStore:
    """A dict with lazy expiry; sorted sets are dicts ranked on read and cached until written."""

    name = "in-process"

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def _live(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at is not None and entry.expires_at <= time.monotonic():
            del self._entries[key]
            return None
        return entry

    @staticmethod
    def _deadline(ttl: float | None) -> float | None:
        return None if ttl is None else time.monotonic() + ttl

    def _text(self, key: str) -> _Entry | None:
        entry = self._live(key)
        if entry is not None and not isinstance(entry.value, str):
            raise TypeError(f"{key} holds a sorted set, not a value")
        return entry

    def _zset(self, key: str) -> dict[str, float] | None:
        entry = self._live(key)
        if entry is None:
            return None
        if isinstance(entry.value, str):
            raise TypeError(f"{key} holds a value, not a sorted set")
        return entry.value

    def _writable_zset(self, key: str) -> dict[str, float]:
        """The sorted set at ``key``, created if absent; its cached ranking is dropped."""
        entry = self._live(key)
        if entry is None:
            entry = self._entries[key] = _Entry({})
        if isinstance(entry.value, str):
            raise TypeError(f"{key} holds a value, not a sorted set")
        entry.sorted_cache = None
        return entry.value

    def _ranked(self, key: str) -> list[tuple[str, float]]:
        entry = self._live(key)
        if entry is None or isinstance(entry.value, str):
            return []
        if entry.sorted_cache is None:
            # Redis orders equal scores by member, reversed for ZREVRANGE.
            entry.sorted_cache = sorted(
                entry.value.items(), key=lambda pair: (pair[1], pair[0]), reverse=True
            )
        return entry.sorted_cache

    async def get(self, key: str) -> str | None:
        entry = self._text(key)
        return None if entry is None else str(entry.value)

    async def get_many(self, *keys: str) -> list[str | None]:
        # Like MGET: a key holding a sorted set reads as absent instead of raising.
        entries = [self._live(key) for key in keys]
        return [e.value if e is not None and isinstance(e.value, str) else None for e in entries]

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._entries[key] = _Entry(value, self._deadline(ttl))

    async def set_many(self, entries: Sequence[tuple[str, str, float | None]]) -> None:
        for key, value, ttl in entries:
            self._entries[key] = _Entry(value, self._deadline(ttl))

    async def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        if self._live(key) is not None:
            return False
        self._entries[key] = _Entry(value, self._deadline(ttl))
        return True

    async def delete(self, *keys: str) -> int:
        found = [key for key in keys if self._live(key) is not None]
        for key in found:
            del self._entries[key]
        return len(found)

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        entry = self._text(key)
        if entry is None:
            self._entries[key] = _Entry(str(amount), self._deadline(ttl))
            return amount
        total = int(str(entry.value)) + amount
        entry.value = str(total)
        return total

    async def expire(self, key: str, ttl: float) -> bool:
        entry = self._live(key)
        if entry is None:
            return False
        entry.expires_at = self._deadline(ttl)
        return True

    async def ttl(self, key: str) -> float | None:
        entry = self._live(key)
        if entry is None or entry.expires_at is None:
            return None
        return entry.expires_at - time.monotonic()

    async def zadd(self, key: str, scores: dict[str, float]) -> None:
        zset = self._writable_zset(key)
        zset.update({member: float(score) for member, score in scores.items()})

    async def zincrby(self, key: str, member: str, amount: float) -> float:
        zset = self._writable_zset(key)
        zset[member] = zset.get(member, 0.0) + amount
        return zset[member]

    async def zscore(self, key: str, member: str) -> float | None:
        zset = self._zset(key)
        return None if zset is None else zset.get(member)

    async def zrevrank(self, key: str, member: str) -> int | None:
        zset = self._zset(key)
        if zset is None or member not in zset:
            return None
        return next(i for i, (name, _) in enumerate(self._ranked(key)) if name == member)

    async def zcount_above(self, key: str, score: float) -> int:
        zset = self._zset(key)
        return 0 if zset is None else sum(1 for value in zset.values() if value > score)

    async def zrevrange(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        ranked = self._ranked(key)
        end = None if stop == -1 else stop + 1
        return list(ranked[start:end])

    async def zrem(self, key: str, *members: str) -> int:
        if self._zset(key) is None:
            return 0
        zset = self._writable_zset(key)
        removed = sum(1 for member in members if zset.pop(member, None) is not None)
        if not zset:
            del self._entries[key]
        return removed

    async def zcard(self, key: str) -> int:
        zset = self._zset(key)
        return 0 if zset is None else len(zset)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._entries.clear()
