"""One contract, every store: the in-process store must behave like Redis."""

from __future__ import annotations

import asyncio

import pytest

from hub.store import KeyValueStore

pytestmark = pytest.mark.anyio


async def test_get_set_delete(any_store: KeyValueStore) -> None:
    assert await any_store.get("k") is None
    await any_store.set("k", "v")
    assert await any_store.get("k") == "v"
    await any_store.set("k", "w")
    assert await any_store.get("k") == "w"
    assert await any_store.delete("k", "missing") == 1
    assert await any_store.get("k") is None
    assert await any_store.delete() == 0


async def test_get_many_reads_values_in_order(any_store: KeyValueStore) -> None:
    await any_store.set("a", "1")
    await any_store.set("c", "3", ttl=0.05)
    await any_store.zadd("board", {"x": 1.0})
    assert await any_store.get_many("c", "missing", "a", "board") == ["3", None, "1", None]
    assert await any_store.get_many() == []
    await asyncio.sleep(0.12)
    assert await any_store.get_many("a", "c") == ["1", None]


async def test_set_many_sets_each_with_its_own_expiry(any_store: KeyValueStore) -> None:
    await any_store.set("b", "old", ttl=60)
    await any_store.set_many([("a", "1", None), ("b", "2", None), ("c", "3", 0.05)])
    assert await any_store.get_many("a", "b", "c") == ["1", "2", "3"]
    assert await any_store.ttl("b") is None, "a later set_many clears an earlier expiry"
    await asyncio.sleep(0.1)
    assert await any_store.get_many("a", "c") == ["1", None]
    await any_store.set_many([])


async def test_values_expire(any_store: KeyValueStore) -> None:
    await any_store.set("short", "v", ttl=0.05)
    await any_store.set("long", "v", ttl=60)
    remaining = await any_store.ttl("long")
    assert remaining is not None
    assert 59 < remaining <= 60
    assert await any_store.ttl("short") is not None
    await asyncio.sleep(0.12)
    assert await any_store.get("short") is None
    assert await any_store.ttl("short") is None
    assert await any_store.get("long") == "v"


async def test_set_without_ttl_clears_an_earlier_expiry(any_store: KeyValueStore) -> None:
    await any_store.set("k", "v", ttl=0.05)
    await any_store.set("k", "v2")
    await asyncio.sleep(0.1)
    assert await any_store.get("k") == "v2"
    assert await any_store.ttl("k") is None


async def test_set_if_absent_is_first_writer_wins(any_store: KeyValueStore) -> None:
    results = await asyncio.gather(*(any_store.set_if_absent("lock", str(i)) for i in range(20)))
    assert results.count(True) == 1
    winner = results.index(True)
    assert await any_store.get("lock") == str(winner)


async def test_set_if_absent_after_expiry(any_store: KeyValueStore) -> None:
    assert await any_store.set_if_absent("replay", "1", ttl=0.05)
    assert not await any_store.set_if_absent("replay", "2", ttl=0.05)
    await asyncio.sleep(0.1)
    assert await any_store.set_if_absent("replay", "3")


async def test_incr_is_atomic_and_ttl_is_set_once(any_store: KeyValueStore) -> None:
    results = await asyncio.gather(*(any_store.incr("hits", ttl=60) for _ in range(50)))
    assert sorted(results) == list(range(1, 51))
    assert await any_store.get("hits") == "50"
    assert await any_store.incr("hits", 5) == 55
    remaining = await any_store.ttl("hits")
    assert remaining is not None
    assert remaining > 50


async def test_incr_window_restarts_after_expiry(any_store: KeyValueStore) -> None:
    assert await any_store.incr("window", ttl=0.05) == 1
    assert await any_store.incr("window", ttl=0.05) == 2
    await asyncio.sleep(0.1)
    assert await any_store.incr("window", ttl=0.05) == 1


async def test_expire_only_existing_keys(any_store: KeyValueStore) -> None:
    assert not await any_store.expire("nothing", 10)
    await any_store.set("k", "v")
    assert await any_store.expire("k", 0.05)
    await asyncio.sleep(0.1)
    assert await any_store.get("k") is None


async def test_sorted_set_ranks_highest_first(any_store: KeyValueStore) -> None:
    await any_store.zadd("board", {"ann": 10, "bob": 30, "cyd": 20})
    assert await any_store.zincrby("board", "ann", 25) == 35
    assert await any_store.zrevrange("board", 0, -1) == [
        ("ann", 35.0),
        ("bob", 30.0),
        ("cyd", 20.0),
    ]
    assert await any_store.zrevrange("board", 0, 1) == [("ann", 35.0), ("bob", 30.0)]
    assert await any_store.zrevrank("board", "cyd") == 2
    assert await any_store.zrevrank("board", "nobody") is None
    assert await any_store.zscore("board", "bob") == 30.0
    assert await any_store.zscore("board", "nobody") is None
    assert await any_store.zcard("board") == 3


async def test_sorted_set_ties_order_like_redis(any_store: KeyValueStore) -> None:
    await any_store.zadd("ties", {"a": 5, "b": 5, "c": 5})
    assert [member for member, _ in await any_store.zrevrange("ties", 0, -1)] == ["c", "b", "a"]
    assert await any_store.zrevrank("ties", "a") == 2
    # Ranks shared by ties count only who scores strictly more.
    await any_store.zadd("ties", {"d": 9})
    assert await any_store.zcount_above("ties", 5) == 1
    assert await any_store.zcount_above("ties", 4.5) == 4
    assert await any_store.zcount_above("ties", 9) == 0
    assert await any_store.zcount_above("nothing", 0) == 0


async def test_sorted_set_removal(any_store: KeyValueStore) -> None:
    await any_store.zadd("board", {"ann": 1, "bob": 2})
    assert await any_store.zrem("board", "ann", "nobody") == 1
    assert await any_store.zrevrange("board", 0, -1) == [("bob", 2.0)]
    assert await any_store.zrem("board", "bob") == 1
    assert await any_store.zcard("board") == 0
    assert await any_store.zrem("missing", "x") == 0
    assert await any_store.zrevrange("missing", 0, -1) == []


async def test_zincrby_creates_members(any_store: KeyValueStore) -> None:
    assert await any_store.zincrby("new", "ann", 3) == 3
    assert await any_store.zrevrank("new", "ann") == 0


async def test_ping(any_store: KeyValueStore) -> None:
    await any_store.ping()
