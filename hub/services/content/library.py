"""What the library's pages ask of the database: a search with the visit it marks, one item
as its reader may see it, and the uses a page records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from hub.db import Database
from hub.db.content import ContentItem
from hub.services.content import usage
from hub.services.content.audience import Reader, visible_to
from hub.services.content.for_you import mark_visit
from hub.services.content.search import Results, Search, search_engine


@dataclass(frozen=True)
class Browse:
    results: Results
    previous_visit: datetime | None
    sources: list[str]


async def browse(
    db: Database, search: Search, reader: Reader, user_id: int, *, visit: datetime | None
) -> Browse:
    """``search`` for ``reader``; with ``visit``, the visit is recorded (the one before returned)."""
    engine = search_engine("sqlite" if db.is_sqlite else "postgresql")
    async with db.transaction() as session:
        results = await engine.search(session, search, reader)
        previous = await mark_visit(session, user_id, visit) if visit else None
        sources = sorted(set(await session.scalars(select(ContentItem.source).distinct())))
    return Browse(results, previous, sources)


async def meant_item(db: Database, item_id: int, reader: Reader) -> ContentItem | None:
    """The item, if it is meant for ``reader``; ``None`` alike for one that is not and none."""
    async with db.session() as session:
        return await session.scalar(
            select(ContentItem).where(ContentItem.id == item_id, visible_to(reader))
        )


@dataclass(frozen=True)
class ItemPage:
    newer: ContentItem | None  # the item that supersedes this one
    used_by: int | None  # partner orgs that used it; for vendor staff only


async def view_item(
    db: Database,
    item: ContentItem,
    reader: Reader,
    *,
    user_id: int,
    partner_org_id: int | None,
    now: datetime,
) -> ItemPage:
    """Record a view of ``item`` and gather what its page shows."""
    async with db.transaction() as session:
        await usage.record_use(
            session, usage.VIEWED, item, user_id=user_id, partner_org_id=partner_org_id, now=now
        )
        newer = (
            await session.get(ContentItem, item.superseded_by_id) if item.superseded_by_id else None
        )
        used_by = await usage.users_of(session, item) if reader.vendor else None
    return ItemPage(newer, used_by)


async def open_item(
    db: Database, item: ContentItem, *, user_id: int, partner_org_id: int | None, now: datetime
) -> None:
    """Record that a reader followed ``item`` into its system."""
    async with db.transaction() as session:
        await usage.record_use(
            session, usage.OPENED, item, user_id=user_id, partner_org_id=partner_org_id, now=now
        )
