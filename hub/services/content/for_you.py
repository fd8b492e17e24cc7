"""What is new for a reader since their last visit to the library, and what is pinned.

New: items meant for the reader, not superseded, published after their
last visit (or within :data:`NEW_WITHIN_DAYS` for a first visit). Pinned: items
an administrator pinned until a time still to come, first whatever their age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.content import ContentItem, ContentVisit
from hub.services.content.audience import Reader, visible_to

NEW_WITHIN_DAYS = 30
LIMIT = 5


@dataclass(frozen=True)
class ForYou:
    pinned: list[ContentItem]
    new: list[ContentItem]
    since: datetime
    first_visit: bool


async def last_visit(session: AsyncSession, user_id: int) -> datetime | None:
    visit = await session.get(ContentVisit, user_id)
    return visit.visited_at if visit else None


async def mark_visit(session: AsyncSession, user_id: int, now: datetime) -> datetime | None:
    """Record a visit to the library now; the one before it."""
    visit = await session.get(ContentVisit, user_id)
    if visit is None:
        session.add(ContentVisit(user_id=user_id, visited_at=now))
        return None
    before = visit.visited_at
    visit.visited_at = now
    return before


async def for_you(
    session: AsyncSession, reader: Reader, user_id: int, now: datetime, limit: int = LIMIT
) -> ForYou:
    """The pinned items and the new ones for ``reader``."""
    visited = await last_visit(session, user_id)
    since = visited or now - timedelta(days=NEW_WITHIN_DAYS)
    current = select(ContentItem).where(ContentItem.superseded_by_id.is_(None), visible_to(reader))
    pinned = list(
        await session.scalars(
            current.where(ContentItem.pinned_until > now)
            .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
            .limit(limit)
        )
    )
    pinned_ids = [item.id for item in pinned]
    new = list(
        await session.scalars(
            current.where(
                ContentItem.published_at > since,
                ContentItem.id.not_in(pinned_ids) if pinned_ids else ContentItem.id.is_not(None),
            )
            .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
            .limit(limit)
        )
    )
    return ForYou(pinned, new, since, visited is None)
