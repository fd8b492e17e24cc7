"""Redis store (redis-py asyncio): shared by every app and worker process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from redis.asyncio import Redis

_INCR_WITH_TTL = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class RedisStore:
    """The store on a Redis server; every operation is one atomic command or script."""

    name = "redis"

    def __init__(self, client: Redis, prefix: str = "") -> None:
        self._redis = client
        self._prefix = prefix
        self._incr = client.register_script(_INCR_WITH_TTL)

    @classmethod
    def from_url(cls, url: str, prefix: str = "") -> RedisStore:
        """A store on ``url``; ``prefix`` namespaces every key (several hubs, one Redis)."""
        client = Redis.from_url(url, decode_responses=True, health_check_interval=30)
        return cls(client, prefix)

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def clear(self) -> int:
        """Delete every key under this store's prefix (tests and tooling only)."""
        deleted = 0
        async for key in self._redis.scan_iter(match=f"{self._prefix}*", count=1000):
            deleted += int(await self._redis.delete(key))
        return deleted

    async def get(self, key: str) -> str | None:
        return cast(str | None, await self._redis.get(self._k(key)))

    async def get_many(self, *keys: str) -> list[str | None]:
        if not keys:
            return []
        return cast(list[str | None], await self._redis.mget([self._k(key) for key in keys]))

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._redis.set(self._k(key), value, px=None if ttl is None else _ms(ttl))

    async def set_many(self, entries: Sequence[tuple[str, str, float | None]]) -> None:
        if not entries:
            return
        # One round trip; each SET stands on its own (no MULTI: nothing reads them as a set).
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, value, ttl in entries:
                pipe.set(self._k(key), value, px=None if ttl is None else _ms(ttl))
            await pipe.execute()

    async def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        stored = await self._redis.set(
            self._k(key), value, nx=True, px=None if ttl is None else _ms(ttl)
        )
        return bool(stored)

    async def delete(self, *keys: str) -> int:
        return int(await self._redis.delete(*map(self._k, keys))) if keys else 0

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        result = await self._incr(
            keys=[self._k(key)], args=[amount, 0 if ttl is None else _ms(ttl)]
        )
        return int(result)

    async def expire(self, key: str, ttl: float) -> bool:
        return bool(await self._redis.pexpire(self._k(key), _ms(ttl)))

    async def ttl(self, key: str) -> float | None:
        millis = int(await self._redis.pttl(self._k(key)))
        return None if millis < 0 else millis / 1000

    async def zadd(self, key: str, scores: dict[str, float]) -> None:
        if scores:
            await self._redis.zadd(self._k(key), dict(scores))

    async def zincrby(self, key: str, member: str, amount: float) -> float:
        return float(await self._redis.zincrby(self._k(key), amount, member))

    async def zscore(self, key: str, member: str) -> float | None:
        score = await self._redis.zscore(self._k(key), member)
        return None if score is None else float(score)

    async def zrevrank(self, key: str, member: str) -> int | None:
        rank = await self._redis.zrevrank(self._k(key), member)
        return None if rank is None else int(rank)

    async def zcount_above(self, key: str, score: float) -> int:
        return int(await self._redis.zcount(self._k(key), f"({score!r}", "+inf"))

    async def zrevrange(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        rows = await self._redis.zrevrange(self._k(key), start, stop, withscores=True)
        return [(str(member), float(score)) for member, score in rows]

    async def zrem(self, key: str, *members: str) -> int:
        return int(await self._redis.zrem(self._k(key), *members)) if members else 0

    async def zcard(self, key: str) -> int:
        return int(await self._redis.zcard(self._k(key)))

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
