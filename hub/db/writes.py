"""Writing the same way on both databases: one writer at a time, inserts that skip duplicates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def take_write_lock(session: AsyncSession) -> None:
    """On SQLite, start the transaction as a writer so later reads cannot go stale.

    SQLite has one writer at a time, but a transaction that reads first and writes later
    may act on a snapshot another writer has since replaced. A no-op write at the start
    takes the write lock (waiting on ``busy_timeout``), so the whole check-then-write runs
    alone. PostgreSQL needs nothing here: callers lock the rows they change
    (``SELECT … FOR UPDATE``).
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("UPDATE points_accounts SET balance = balance WHERE 0 = 1"))


async def insert_ignoring_duplicates(
    session: AsyncSession,
    model: type[Any],
    rows: Sequence[Mapping[str, Any]],
    unique: Sequence[str],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows``, skipping any whose ``unique`` columns already exist; the new rows' columns.

    One executemany on the table (no ORM), which SQLAlchemy sends as multi-row INSERTs
    ("insertmanyvalues") with a cached compiled statement on both drivers.
    """
    if not rows:
        return []
    table = model.__table__
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(unique))
    if returning:
        result = await session.execute(
            statement.returning(*(table.c[column] for column in returning)), list(rows)
        )
        return [tuple(row) for row in result.all()]
    await session.execute(statement, list(rows))
    return []
