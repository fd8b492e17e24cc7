"""SCIM at scale, on PostgreSQL: provisioning 10,000 users through the API, then filtered
lists over 100,000.

Run: ``HUB_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test
.venv/bin/python benchmarks/identity_scim.py [--users 10000] [--total 100000]
[--requests 200] [--concurrency 8]``

In a database of its own (``<name>_bench_scim``): one partner org and its IdP with a
SCIM token; ``--users`` ``POST /scim/v2/Users`` as Okta sends them, ``--concurrency`` at
a time, through the app in-process (goal: under 60 s); then PostgreSQL adds people up to
``--total`` and each filter below is asked ``--requests`` times, p50 and p95 (goal: p95
under 50 ms). The hub has no backends configured here, so the fan-out records nothing:
these are the SCIM layer's and the database's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from hub.app import create_app
from hub.auth.idp_records import ProviderSpec, add_provider
from hub.db import Database, PartnerOrg
from hub.db.migrate import upgrade
from hub.resources import Hub
from hub.services.scim.tokens import issue_token
from hub.settings import Settings
from hub.store.memory import MemoryStore

BASE_URL = "http://127.0.0.1:8000"
FILTERS = (
    'userName eq "person77777@acme.example"',
    'externalId eq "00u0000000000004242"',
    'name.familyName eq "Family42" and active eq true',
    'userName sw "person9999"',
)


async def _fresh_database(url: str) -> str:
    parsed = make_url(url)
    name = f"{parsed.database}_bench_scim"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _okta_user(number: int) -> dict[str, object]:
    email = f"person{number}@acme.example"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": f"Given{number}", "familyName": f"Family{number % 1000}"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": f"Given{number} Family{number % 1000}",
        "externalId": f"00u{number:016d}",
        "active": True,
    }


async def _fill(db: Database, start: int, total: int, org_id: int, provider_id: int) -> None:
    """People ``start``..``total`` made by PostgreSQL itself, shaped as SCIM would make them."""
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (email, name, partner_org_id, roles, created_at, active)"
                " SELECT 'person' || n || '@acme.example', 'Given' || n || ' Family' || (n % 1000),"
                " :org, '[]', now(), true FROM generate_series(CAST(:start AS integer), CAST(:total AS integer)) AS n"
            ),
            {"org": org_id, "start": start, "total": total},
        )
        await conn.execute(
            text(
                "INSERT INTO scim_users (provider_id, user_id, external_id, given_name,"
                " family_name, created_at, updated_at)"
                " SELECT :provider, u.id, '00u' || lpad(substr(u.email, 7,"
                " position('@' in u.email) - 7), 16, '0'),"
                " 'Given', 'Family' || (u.id % 1000), now(), now()"
                " FROM users u LEFT JOIN scim_users s ON s.user_id = u.id"
                " WHERE s.id IS NULL AND u.partner_org_id = :org"
            ),
            {"provider": provider_id, "org": org_id},
        )
        await conn.execute(text("ANALYZE"))


async def run(users: int, total: int, requests: int, concurrency: int) -> None:
    base = os.environ.get("HUB_TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        sys.exit("set HUB_TEST_DATABASE_URL to a PostgreSQL URL")
    url = await _fresh_database(base)
    db = Database(url)
    await upgrade(db)
    async with db.transaction() as tx:
        org = PartnerOrg(slug="acme", name="Acme Corporation")
        tx.add(org)
    provider = await add_provider(
        db,
        ProviderSpec(
            name="acme-okta",
            kind="oidc",
            issuer="https://acme.okta.example",
            client_id="hub",
            client_secret_env="HUB_BENCH_SECRET",  # noqa: S106 - the NAME of a variable
            allowed_orgs=["acme"],
        ),
    )
    token = await issue_token(db, "acme-okta", "benchmark")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(  # type: ignore[call-arg]
            demo=True,
            base_url=BASE_URL,
            data_dir=Path(folder),
            database_url=SecretStr(url),
            _env_file=None,
        )
        async with httpx.AsyncClient() as http:
            hub = Hub(settings=settings, db=db, store=MemoryStore(), http=http)
            transport = httpx.ASGITransport(app=create_app(settings, hub))
            async with httpx.AsyncClient(
                transport=transport, base_url=BASE_URL, timeout=120
            ) as client:
                numbers = iter(range(1, users + 1))

                async def worker() -> None:
                    for number in numbers:
                        answer = await client.post(
                            "/scim/v2/Users", json=_okta_user(number), headers=headers
                        )
                        assert answer.status_code == 201, answer.text

                start = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                took = time.perf_counter() - start
                print(
                    f"provisioned {users:,} users through POST /scim/v2/Users in {took:.1f} s"
                    f" ({users / took:,.0f}/s, {concurrency} at a time; goal < 60 s)"
                )
                await _fill(db, users + 1, total, org.id, provider.id)
                print(f"{total:,} users in the org")
                for scim_filter in FILTERS:
                    params = {"filter": scim_filter, "count": "100"}
                    first = await client.get("/scim/v2/Users", params=params, headers=headers)
                    assert first.status_code == 200, first.text
                    samples = []
                    for _ in range(requests):
                        begin = time.perf_counter()
                        answer = await client.get("/scim/v2/Users", params=params, headers=headers)
                        samples.append((time.perf_counter() - begin) * 1000)
                    assert answer.status_code == 200
                    p95 = statistics.quantiles(samples, n=20)[18]
                    print(
                        f"GET /scim/v2/Users?filter={scim_filter!r}: "
                        f"{answer.json()['totalResults']} match(es), "
                        f"p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms (goal < 50 ms)"
                    )
    await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.users, args.total, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
