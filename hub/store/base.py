"""The contract every key-value store implements.

Values are text; callers encode JSON themselves. A ``ttl`` is in seconds and
``None`` means the key lives until deleted. Sorted sets rank high scores
first (``zrevrank`` 0 is the leader), as leaderboards want.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class KeyValueStore(Protocol):
    """Async key-value store with expiry, counters and sorted sets."""

    name: str

    async def get(self, key: str) -> str | None:
        """The value of ``key``, or ``None`` when absent or expired."""

    async def get_many(self, *keys: str) -> list[str | None]:
        """The values of ``keys`` in order, in one round trip; ``None`` where absent."""

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any value and its expiry."""

    async def set_many(self, entries: Sequence[tuple[str, str, float | None]]) -> None:
        """Store each ``(key, value, ttl)`` as :meth:`set` would, in one round trip."""

    async def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent; ``True`` when it was stored."""

    async def delete(self, *keys: str) -> int:
        """Remove keys of any type; the number that existed."""

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add ``amount`` atomically; a new counter starts at 0 and gets ``ttl``."""

    async def expire(self, key: str, ttl: float) -> bool:
        """Set a new lifetime on an existing key; ``False`` if there is none."""

    async def ttl(self, key: str) -> float | None:
        """Seconds left for ``key``; ``None`` if absent or without expiry."""

    async def zadd(self, key: str, scores: dict[str, float]) -> None:
        """Set members' scores in the sorted set ``key``."""

    async def zincrby(self, key: str, member: str, amount: float) -> float:
        """Add ``amount`` to ``member``'s score; its new score."""

    async def zscore(self, key: str, member: str) -> float | None:
        """``member``'s score, or ``None``."""

    async def zrevrank(self, key: str, member: str) -> int | None:
        """``member``'s 0-based rank, highest score first (ties by member, descending)."""

    async def zcount_above(self, key: str, score: float) -> int:
        """How many members score strictly more than ``score`` (a tied member's rank less one)."""

    async def zrevrange(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        """Members ranked ``start``..``stop`` inclusive, highest first, with scores."""

    async def zrem(self, key: str, *members: str) -> int:
        """Remove members; how many were there."""

    async def zcard(self, key: str) -> int:
        """How many members the sorted set holds."""

    async def ping(self) -> None:
        """Raise if the store cannot be reached."""

    async def close(self) -> None:
        """Release connections."""
