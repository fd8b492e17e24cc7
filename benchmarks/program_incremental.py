"""Program insight's incremental update, one step at a time, for side-by-side figures.

Each step runs in its own process, so two checkouts of the hub can take turns on
databases of their own (the code before a change does not keep what the code after it
keeps). ``build`` makes a database with the same generated program as
``benchmarks/program.py`` (schema and generator of the checkout that runs it: build
with the code before, so both can upgrade their copy); ``copy`` clones it with
PostgreSQL's ``CREATE DATABASE … TEMPLATE``; ``full`` times the full recompute; ``step``
adds 10,000 new events on the 1,000 busiest partners and times one worker run (with
``--days-on N`` as of N days later, when every summary is older than a day)::

    URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test
    PYTHONPATH=<checkout before> .venv/bin/python benchmarks/program_incremental.py build \\
        --url $URL --name inc_base \\
        --orgs 2000 --people 40000 --events 2000000
    .venv/bin/python benchmarks/program_incremental.py copy --url $URL --name inc_base \\
        --to inc_after
    .venv/bin/python benchmarks/program_incremental.py full --url $URL --name inc_after
    .venv/bin/python benchmarks/program_incremental.py step --url $URL --name inc_after

and the same ``full`` and ``step`` with ``PYTHONPATH=<checkout before>`` on another copy.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from hub.db import Database
from hub.db.migrate import upgrade
from hub.services.program.summaries import refresh


def _url(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


async def _admin(base: str, *statements: str) -> None:
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await admin.dispose()


async def build(base: str, name: str, orgs: int, people: int, events: int) -> None:
    from benchmarks.program import _populate
    from hub.demo.seed import seed_demo

    await _admin(base, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    db = Database(_url(base, name))
    await upgrade(db)
    await seed_demo(db)
    began = time.perf_counter()
    await _populate(db, orgs, people, events)
    print(f"built {orgs:,} orgs, {events:,} events in {time.perf_counter() - began:.0f} s")
    await db.close()


async def copy(base: str, name: str, to: str) -> None:
    await _admin(
        base, f'DROP DATABASE IF EXISTS "{to}"', f'CREATE DATABASE "{to}" TEMPLATE "{name}"'
    )
    db = Database(_url(base, to))
    await upgrade(db)  # the schema of the checkout that runs this
    await db.close()


async def full(base: str, name: str) -> None:
    db = Database(_url(base, name))
    began = time.perf_counter()
    report = await refresh(db, full=True)
    print(
        f"full recompute      {report.partners:>7,} partners  {time.perf_counter() - began:8.1f} s"
    )
    await db.close()


async def step(base: str, name: str, count: int, partners: int, days_on: int) -> None:
    db = Database(_url(base, name))
    async with db.transaction() as session:
        tag = await session.scalar(text("SELECT count(*) FROM activity_events"))
        await session.execute(
            text(
                f"""INSERT INTO activity_events (idempotency_key, user_id, partner_org_id, kind,
                      object, occurred_at, recorded_at, source, payload)
                    SELECT 'bench:new:{int(tag or 0)}:' || g, NULL,
                           (SELECT min(id) FROM partner_orgs WHERE slug LIKE 'b%') + g % {partners},
                           'campaign_redistributed', 'n' || g, now(), now(), 'bench', '{{}}'
                    FROM generate_series(1, {count}) g"""  # noqa: S608 (integers only)
            )
        )
    began = time.perf_counter()
    # Days on, every summary is older than a day: the worker derives every partner again.
    report = await refresh(db, datetime.now(UTC) + timedelta(days=days_on))
    print(
        f"incremental update  {report.partners:>7,} partners  {time.perf_counter() - began:8.1f} s"
        f"   ({count:,} new events across {partners:,} partners, {days_on} days on)"
    )
    await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "copy", "full", "step", "drop"])
    parser.add_argument("--url", required=True, help="PostgreSQL URL of an existing database")
    parser.add_argument("--name", required=True, help="the benchmark database")
    parser.add_argument("--to", default="", help="copy: the new database")
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--new-events", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=1_000)
    parser.add_argument("--days-on", type=int, default=0, help="step: run as of days later")
    args = parser.parse_args()
    if args.action == "build":
        asyncio.run(build(args.url, args.name, args.orgs, args.people, args.events))
    elif args.action == "copy":
        asyncio.run(copy(args.url, args.name, args.to))
    elif args.action == "full":
        asyncio.run(full(args.url, args.name))
    elif args.action == "step":
        asyncio.run(step(args.url, args.name, args.new_events, args.partners, args.days_on))
    else:
        asyncio.run(_admin(args.url, f'DROP DATABASE IF EXISTS "{args.name}"'))


if __name__ == "__main__":
    main()
