"""Engine and session factory for the hub's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from hub.db.callers import CallerMemo


class Database:
    """One engine per process; ``session()`` hands out a unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        options: dict[str, Any] = {"echo": echo}
        if url.startswith("postgresql"):
            # No pre-ping: with asyncpg it costs three round trips (BEGIN, ping,
            # ROLLBACK) on every checkout. A connection the server dropped fails
            # its one request instead, and that disconnect refreshes the whole pool;
            # recycling keeps connections from outliving idle timeouts in between.
            options.update(pool_size=10, max_overflow=10, pool_recycle=1800)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Callers' access rows, trusted only while PostgreSQL reports their changes.
        self.callers = CallerMemo()

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a quick read outside a transaction: no BEGIN or ROLLBACK trips.

        For the checks every request makes (who is calling); a read that needs a
        consistent view of several tables belongs in ``session()``.
        """
        async with self.engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
