"""Fixtures: a fresh app per test over the storage pair the run was asked for.

``HUB_TEST_DATABASE_URL`` (a PostgreSQL URL) and ``HUB_TEST_REDIS_URL`` switch
the suite from the embedded defaults (SQLite file, in-process store) to the
real services; CI runs the suite once each way.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette

from hub.app import create_app
from hub.db import Base, Database
from hub.db.migrate import upgrade
from hub.demo.seed import seed_demo
from hub.resources import Hub
from hub.services.engagement.seed import seed_engagement
from hub.settings import Settings
from hub.store import KeyValueStore, MemoryStore
from hub.store.redis import RedisStore
from tests.helpers import demo_sign_in

TEST_DATABASE_URL = os.environ.get("HUB_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Each run gets its own PostgreSQL database and Redis key prefix, so runs side by
# side (a developer's and CI's, or several in parallel) never see each other's rows.
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
REDIS_PREFIX = f"hubtest:{RUN_ID}:"


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


def postgres_database(base_url: str, name: str) -> tuple[str, Callable[[], None]]:
    """Create database ``name`` on ``base_url``'s server; its URL and a drop function."""
    url = make_url(base_url)
    asyncio.run(_admin(base_url, f'CREATE DATABASE "{name}"'))
    # A throwaway database: commits (and the TRUNCATE after every test) need not wait
    # for the disk, which on a busy machine doubled the PostgreSQL pass.
    asyncio.run(_admin(base_url, f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    created = url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        asyncio.run(_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return created, drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole run; tests empty its tables afterwards."""
    drop: Callable[[], None] | None = None
    if TEST_DATABASE_URL:
        url, drop = postgres_database(TEST_DATABASE_URL, f"hub_test_{RUN_ID}")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'hub-test.db'}"

    async def prepare() -> None:
        db = Database(url)
        await upgrade(db)
        await db.close()

    asyncio.run(prepare())
    yield url
    if drop is not None:
        drop()


async def _empty(database: Database) -> None:
    async with database.transaction() as session:
        tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
        if database.is_sqlite:
            for table in tables:
                await session.execute(text(f'DELETE FROM "{table}"'))
        else:
            await session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The run's database, empty before and after: a test that wrote to it without this
    fixture (a CLI command, an app's background work) leaves nothing for the next one."""
    database = Database(database_url)
    await _empty(database)
    yield database
    await _empty(database)
    await database.close()


@pytest.fixture(params=["memory", "redis"] if TEST_REDIS_URL else ["memory"])
async def any_store(request: pytest.FixtureRequest) -> AsyncIterator[KeyValueStore]:
    """Every store implementation this run can reach: for the contract tests."""
    store = await _open_store(request.param)
    yield store
    await _close_store(store)


@pytest.fixture
async def store() -> AsyncIterator[KeyValueStore]:
    """The store of this run's storage pair."""
    chosen = await _open_store("redis" if TEST_REDIS_URL else "memory")
    yield chosen
    await _close_store(chosen)


async def _open_store(kind: str) -> KeyValueStore:
    if kind == "memory":
        return MemoryStore()
    assert TEST_REDIS_URL is not None
    return RedisStore.from_url(TEST_REDIS_URL, prefix=f"{REDIS_PREFIX}{uuid.uuid4().hex}:")


async def _close_store(store: KeyValueStore) -> None:
    if isinstance(store, RedisStore):
        await store.clear()
    await store.close()


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "demo": True,
        "base_url": BASE_URL,
        "data_dir": tmp_path,
        "database_url": database_url,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def hub(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[Hub]:
    async with httpx.AsyncClient() as http:
        yield Hub(settings=settings, db=db, store=store, http=http)


@pytest.fixture
async def seeded(hub: Hub) -> Hub:
    await seed_demo(hub.db)
    return hub


@pytest.fixture
async def admin(seeded: Hub) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The demo administrator signed in over HTTP, with the engagement rules seeded: the
    client and its CSRF token."""
    await seed_engagement(seeded.db)
    transport = httpx.ASGITransport(app=create_app(seeded.settings, seeded))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        token = await demo_sign_in(http, "admin@vendor.example")
        yield http, token


@pytest.fixture
def app(settings: Settings, hub: Hub) -> Starlette:
    return create_app(settings, hub)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One `hub demo` process for the browser tests of the run (embedded defaults)."""
    from tests.browser import run_demo

    with run_demo(tmp_path_factory.mktemp("demo"), settled=True) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never Playwright's own browser download)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Fixtures through which a test reaches the storage pair; a test using none of them
# (and whose module does not read the services' URLs itself) runs the same either way.
STORAGE_FIXTURES = frozenset({"database_url", "store", "any_store", "demo_server"})


def _touches_storage(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    reads_urls = any(hasattr(module, name) for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL"))
    return reads_urls or bool(STORAGE_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the real services, run only the tests that reach storage: the others (parsers,
    connectors over MockTransport, docs) already ran on the embedded defaults, and the
    same code gives the same answer twice.

    Run browser tests last: Playwright's sync API keeps an event loop on the main thread
    once open, which would break the anyio tests collected after it. Under pytest-xdist
    each worker that runs browser tests starts its own demo server."""
    if TEST_DATABASE_URL or TEST_REDIS_URL:
        elsewhere = [item for item in items if not _touches_storage(item)]
        if elsewhere:
            config.hook.pytest_deselected(items=elsewhere)
            items[:] = [item for item in items if _touches_storage(item)]
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
