"""Notifications: what happened that a user should know, and how many they have not read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database
from hub.db.engagement import Notification


@dataclass(frozen=True)
class NotificationView:
    """A notification as a list shows it."""

    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read: bool


def notify(
    session: AsyncSession,
    user_id: int,
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    at: datetime,
) -> None:
    """Queue a notification inside the caller's transaction: it exists only if the work commits."""
    session.add(
        Notification(
            user_id=user_id, kind=kind, title=title[:200], body=body, link=link, created_at=at
        )
    )


async def unread_count(db: Database, user_id: int) -> int:
    """How many notifications ``user_id`` has not read."""
    async with db.session() as session:
        found = await session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
    return int(found or 0)


async def notifications_for(
    db: Database, user_id: int, *, limit: int = 20, unread_only: bool = False
) -> list[NotificationView]:
    """The newest notifications of ``user_id``."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    async with db.session() as session:
        rows = (
            await session.scalars(
                query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
            )
        ).all()
    return [
        NotificationView(
            row.id, row.kind, row.title, row.body, row.link, row.created_at, row.read_at is not None
        )
        for row in rows
    ]


async def mark_read(
    db: Database, user_id: int, *, at: datetime, ids: Sequence[int] | None = None
) -> int:
    """Mark some (or, with ``ids=None``, all) of the user's notifications read; how many changed."""
    statement = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=at)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    async with db.transaction() as session:
        result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
