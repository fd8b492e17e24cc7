"""What is new for a reader since their last visit to the library, and what is pinned.

New: items meant for the reader, not superseded, published after their
last visit (or within :data:`NEW_WITHIN_DAYS` for a first visit). Pinned: items
an administrator pinned until a time still to come, first whatever their age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import false, func, join, literal, select, true, union_all
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
    """The pinned items and the new ones for ``reader``, in one statement.

    The reader's last visit, the first ``limit`` pinned items and the first ``limit`` new
    ones that are not among them come as one row per item, the visit alongside; one row
    with the visit alone when there is no item.
    """
    visit = select(ContentVisit.visited_at).where(ContentVisit.user_id == user_id)
    visited_at = visit.scalar_subquery()
    since = func.coalesce(
        visited_at,
        literal(now - timedelta(days=NEW_WITHIN_DAYS), ContentVisit.visited_at.type),
    )
    current = select(ContentItem.id).where(
        ContentItem.superseded_by_id.is_(None), visible_to(reader)
    )
    newest_first = (ContentItem.published_at.desc(), ContentItem.id.desc())
    pinned = current.where(ContentItem.pinned_until > now).order_by(*newest_first).limit(limit)
    new = (
        current.where(ContentItem.published_at > since, ContentItem.id.not_in(pinned))
        .order_by(*newest_first)
        .limit(limit)
    )
    # The chosen ids joined to their rows: an `IN (…) OR IN (…)` join condition would have
    # PostgreSQL test every item of the library against both lists.
    pinned_ids, new_ids = pinned.subquery(), new.subquery()
    chosen = union_all(
        select(pinned_ids.c.id, true().label("pinned")),
        select(new_ids.c.id, false().label("pinned")),
    ).subquery()
    anchor = select(visited_at.label("visited")).subquery()
    rows = (
        await session.execute(
            select(anchor.c.visited, ContentItem, chosen.c.pinned)
            .select_from(
                anchor.outerjoin(join(chosen, ContentItem, ContentItem.id == chosen.c.id), true())
            )
            .order_by(*newest_first)
        )
    ).all()
    visited: datetime | None = rows[0].visited if rows else None
    items = [row for row in rows if row.ContentItem is not None]
    return ForYou(
        [row.ContentItem for row in items if row.pinned],
        [row.ContentItem for row in items if not row.pinned],
        visited or now - timedelta(days=NEW_WITHIN_DAYS),
        visited is None,
    )
