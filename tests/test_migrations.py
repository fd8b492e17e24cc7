"""Migrations build the schema from empty on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.db import Base, Database
from hub.db.migrate import include_name, pending, upgrade
from tests.conftest import RUN_ID, TEST_DATABASE_URL, postgres_database


def _targets(tmp_path: Path) -> list[str]:
    return [f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"]


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:

        def read(sync_conn: AsyncConnection) -> set[str]:
            return set(inspect(sync_conn).get_table_names())

        return await conn.run_sync(read)  # type: ignore[arg-type]


async def _migrate_from_empty(url: str) -> None:
    db = Database(url)
    try:
        assert await pending(db), "an empty database has migrations pending"
        await upgrade(db)
        assert await pending(db) == []
        tables = await _tables(db)
        assert set(Base.metadata.tables) <= tables
        await upgrade(db)  # running again is a no-op
    finally:
        await db.close()


def test_migrations_from_empty_on_sqlite(tmp_path: Path) -> None:
    asyncio.run(_migrate_from_empty(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"))


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="HUB_TEST_DATABASE_URL is not set")
def test_migrations_from_empty_on_postgresql() -> None:
    assert TEST_DATABASE_URL is not None
    url, drop = postgres_database(TEST_DATABASE_URL, f"hub_migrate_{RUN_ID}")
    try:
        asyncio.run(_migrate_from_empty(url))
    finally:
        drop()


def test_models_match_migrations(tmp_path: Path) -> None:
    """Autogenerate finds nothing to add: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    async def diff() -> list[object]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'diff.db'}")
        await upgrade(db)
        async with db.engine.connect() as conn:

            def compare(sync_conn: AsyncConnection) -> list[object]:
                context = MigrationContext.configure(
                    sync_conn,  # type: ignore[arg-type]
                    opts={"include_name": include_name},
                )
                return list(compare_metadata(context, Base.metadata))

            result = await conn.run_sync(compare)  # type: ignore[arg-type]
        await db.close()
        return result

    assert asyncio.run(diff()) == []
