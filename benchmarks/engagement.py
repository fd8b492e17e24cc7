"""Engagement benchmark: ingestion with evaluation, leaderboards at a million users, NBA ranking.

Run: ``.venv/bin/python benchmarks/engagement.py [--events 20000] [--batch 500]
[--redis redis://127.0.0.1:6379/14] [--users 1000000]``

Prints, in one run:

1. activity events ingested per second with points, badge and streak evaluation, on a
   fresh SQLite file and, when ``HUB_TEST_DATABASE_URL`` is set, on PostgreSQL (in a
   database of its own, ``<name>_bench_engagement``); then checks nothing was lost
   (every unique event stored and evaluated once, the ledger summing to zero)
   (goal: at least 2,000 per second);
2. a leaderboard read (top 10 and the caller's own rank, through
   ``leaderboards.leaderboard``) against a Redis board of 10,000, 100,000 and 1,000,000
   users (goal: p99 under 5 ms and flat as the board grows); the board's keys are
   deleted afterwards;
3. next-best-action ranking for one user, warm (goal: under 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from hub.db import ActivityEvent, Database, User
from hub.db.engagement import ProcessedEvent
from hub.db.migrate import upgrade
from hub.demo.seed import seed_demo
from hub.personas.audience import Requester, Segment
from hub.services.activity import Activity
from hub.services.engagement import ledger, nba
from hub.services.engagement.leaderboards import board_key, leaderboard
from hub.services.engagement.periods import period_of
from hub.services.engagement.processing import ingest
from hub.services.engagement.seed import seed_engagement
from hub.services.engagement.seed_facts import DEMO_FACTS
from hub.store import MemoryStore
from hub.store.redis import RedisStore

NOW = datetime.now(UTC).replace(microsecond=0)
KINDS = (
    ("sign_in", 30),
    ("asset_viewed", 30),
    ("page_viewed", 15),
    ("course_completed", 5),
    ("quiz_passed", 5),
    ("deal_registered", 5),
    ("deal_won", 3),
    ("campaign_redistributed", 4),
    ("claim_submitted", 3),
)
COURSES = ("sales-essentials", "product-fundamentals", "advanced-networking")


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _prepare(url: str, people: int) -> tuple[Database, list[int]]:
    db = Database(url)
    await upgrade(db)
    await seed_demo(db)
    await seed_engagement(db, now=NOW)
    async with db.transaction() as session:
        org_ids = list(
            (await session.scalars(text("SELECT id FROM partner_orgs ORDER BY id"))).all()
        )
        session.add_all(
            User(email=f"bench{n}@load.example", partner_org_id=org_ids[n % len(org_ids)])
            for n in range(people)
        )
    async with db.session() as session:
        users = list((await session.scalars(select(User.id))).all())
    return db, users


def _events(users: list[int], count: int, rng: random.Random) -> list[Activity]:
    kinds = [kind for kind, weight in KINDS for _ in range(weight)]
    events = []
    for n in range(count):
        kind = rng.choice(kinds)
        user = rng.choice(users)
        at = NOW - timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 1440))
        obj = rng.choice(COURSES) if kind == "course_completed" else f"{kind}-{rng.randint(1, 50)}"
        payload: dict[str, object] = {}
        if kind == "deal_won":
            payload["amount"] = rng.randint(1_000, 500_000)
        if kind == "quiz_passed":
            payload["score"] = rng.choice([70, 85, 100])
        events.append(Activity(f"bench:{n}", kind, at, user, None, obj, "bench", payload))
    return events


async def bench_ingestion(label: str, url: str, total: int, batch: int) -> None:
    db, users = await _prepare(url, 2_000)
    store = MemoryStore()
    rng = random.Random(6)
    unique = _events(users, total, rng)
    # Late and repeated deliveries: 5% of the events arrive a second time, shuffled in.
    stream = unique + rng.sample(unique, total // 20)
    rng.shuffle(stream)
    for user in rng.sample(users, 50):  # some boards ready, so credits move them too
        await leaderboard(db, store, user_id=user, scope="program", period="month", now=NOW)
    started = time.perf_counter()
    new = 0
    badges = 0
    for start in range(0, len(stream), batch):
        report = await ingest(db, store, stream[start : start + batch])
        new += report.recorded
        badges += len(report.badges)
    elapsed = time.perf_counter() - started
    async with db.session() as session:
        stored = await session.scalar(
            select(func.count(ActivityEvent.id)).where(ActivityEvent.source == "bench")
        )
        evaluated = await session.scalar(select(func.count(ProcessedEvent.event_id)))
        sums = await ledger.trial_balance(session)
        drift = await ledger.account_drift(session)
    lost = total - int(stored or 0)
    print(
        f"ingest  {label:<10} {len(stream):>7,} deliveries ({total:,} unique) in {elapsed:5.2f} s"
        f" = {len(stream) / elapsed:8,.0f} events/s; {badges} badges;"
        f" stored {stored:,}, evaluated {evaluated:,}, lost {lost}, ledger sums {sums}, drift {drift}"
    )
    if new != total or lost or evaluated != total or sums != (0, 0) or drift:
        raise SystemExit(f"ingestion on {label} lost or doubled something")
    await db.close()


def _bench_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_bench_engagement").render_as_string(
        hide_password=False
    )


async def _fresh_postgres(url: str) -> str:
    target = _bench_url(url)
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    name = make_url(target).database
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return target


async def bench_leaderboard(redis_url: str, sizes: list[int], rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    db, users = await _prepare(f"sqlite+aiosqlite:///{folder / 'lb.db'}", 0)
    viewer = users[0]
    store = RedisStore.from_url(redis_url)
    raw = Redis.from_url(redis_url, decode_responses=True)
    period = period_of("month", NOW)
    key = board_key("program", "all", period)
    rng = random.Random(14)
    loaded = 0
    try:
        await raw.delete(key)
        await raw.set(f"{key}:ready", "1")
        for size in sizes:
            started = time.perf_counter()
            async with raw.pipeline(transaction=False) as pipe:
                for start in range(loaded, size, 10_000):
                    chunk = {
                        f"9{n:09d}": rng.randint(0, 1_000_000)
                        for n in range(start, min(size, start + 10_000))
                    }
                    pipe.zadd(key, chunk)
                await pipe.execute()
            loaded = size
            load = time.perf_counter() - started
            samples, store_only = [], []
            for _ in range(rounds):
                await raw.zadd(key, {str(viewer): rng.randint(0, 1_000_000)})
                began = time.perf_counter()
                board = await leaderboard(db, store, user_id=viewer, now=NOW)
                samples.append((time.perf_counter() - began) * 1000)
                if len(board.top) != 10 or board.me is None:
                    raise SystemExit("the board did not answer top 10 and own rank")
                member = f"9{rng.randrange(size):09d}"
                began = time.perf_counter()
                await store.get(f"{key}:ready")
                await store.zrevrange(key, 0, 9)
                await store.zrevrank(key, member)
                await store.zscore(key, member)
                store_only.append((time.perf_counter() - began) * 1000)
            print(
                f"board   {size:>9,} users (loaded in {load:5.2f} s): top 10 + own rank"
                f" p50 {statistics.median(samples):.2f} ms, p99 {_percentile(samples, 0.99):.2f} ms"
                f" (leaderboard(), with the user's placement from SQLite);"
                f" the four Redis reads alone p50 {statistics.median(store_only):.2f} ms,"
                f" p99 {_percentile(store_only, 0.99):.2f} ms ({rounds} reads each)"
            )
    finally:
        await raw.delete(key, f"{key}:ready")
        await raw.aclose()
        await store.close()
        await db.close()


async def bench_nba(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    db, _ = await _prepare(f"sqlite+aiosqlite:///{folder / 'nba.db'}", 0)
    async with db.session() as session:
        rep = await session.scalar(select(User.id).where(User.email == "rep@acme.example"))
    assert rep is not None
    subject = Requester(rep, "sales_rep", Segment(partner_type="Reseller", tier="Gold"))
    for record in (False, True):
        await nba.next_best_actions(db, subject, DEMO_FACTS, now=NOW, record_shown=record)
        samples = []
        for _ in range(rounds):
            began = time.perf_counter()
            actions = await nba.next_best_actions(
                db, subject, DEMO_FACTS, now=NOW, record_shown=record
            )
            samples.append((time.perf_counter() - began) * 1000)
        assert actions
        what = "and recording 'shown'" if record else "read only"
        print(
            f"nba     one user, warm, {what:<22}: p50 {statistics.median(samples):.2f} ms,"
            f" p99 {_percentile(samples, 0.99):.2f} ms ({len(actions)} actions of 8 rules)"
        )
    await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    await bench_ingestion(
        "sqlite", f"sqlite+aiosqlite:///{folder / 'ingest.db'}", args.events, args.batch
    )
    if postgres := os.environ.get("HUB_TEST_DATABASE_URL"):
        await bench_ingestion(
            "postgresql", await _fresh_postgres(postgres), args.events, args.batch
        )
    sizes = [size for size in (10_000, 100_000, 1_000_000) if size <= args.users] or [args.users]
    await bench_leaderboard(args.redis, sizes, args.rounds)
    await bench_nba(500)


if __name__ == "__main__":
    asyncio.run(main())
