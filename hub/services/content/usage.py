"""Use, not downloads: what readers did with an item, as activity events of their own kinds.

``content_viewed`` (the item's page in the hub), ``content_opened`` (followed into its
system), ``content_completed`` (a video or course finished, from the learning record
store) and, from Mautic, ``campaign_redistributed`` (a kit actually sent). Each event's
``object`` is ``content:<item id>``, so administrators see per item how many partner
orgs used it, by segment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import ActivityEvent, PartnerOrg
from hub.db.content import ContentItem
from hub.services import activity
from hub.services.activity import Activity

VIEWED = "content_viewed"
OPENED = "content_opened"
COMPLETED = "content_completed"
USE_KINDS = (VIEWED, OPENED, COMPLETED)


def object_of(item: ContentItem) -> str:
    return f"content:{item.id}"


async def record_use(
    session: AsyncSession,
    kind: str,
    item: ContentItem,
    *,
    user_id: int,
    partner_org_id: int | None,
    now: datetime,
) -> None:
    """One view or open by a reader; every one counts, so the key is fresh each time."""
    await activity.record(
        session,
        Activity(
            key=f"{kind}:{item.id}:{user_id}:{uuid4().hex}",
            kind=kind,
            occurred_at=now,
            user_id=user_id,
            partner_org_id=partner_org_id,
            object=object_of(item),
            payload={"source": item.source, "kind": item.kind, "title": item.title[:200]},
        ),
    )


# The segments an item's use is broken down by: the partner org's column for each.
SEGMENTS = {"tier": PartnerOrg.tier, "region": PartnerOrg.region, "type": PartnerOrg.partner_type}


@dataclass(frozen=True)
class ItemUse:
    """How many partner orgs used one item, in all, per kind of use and per segment value."""

    item: ContentItem
    orgs: int
    by_kind: dict[str, int]
    by_segment: dict[str, int]


async def usage(session: AsyncSession, segment: str = "tier", limit: int = 50) -> list[ItemUse]:
    """The most used items: distinct partner orgs per kind of use, and the orgs by
    ``segment`` (a key of :data:`SEGMENTS`; an org without a value counts under "")."""
    column = SEGMENTS[segment]
    objects = {
        object_of(item): item
        for item in await session.scalars(select(ContentItem).order_by(ContentItem.id))
    }
    rows = (
        await session.execute(
            select(ActivityEvent.object, ActivityEvent.kind, PartnerOrg.id, column)
            .join(PartnerOrg, PartnerOrg.id == ActivityEvent.partner_org_id)
            .where(ActivityEvent.kind.in_(USE_KINDS), ActivityEvent.object.like("content:%"))
            .group_by(ActivityEvent.object, ActivityEvent.kind, PartnerOrg.id, column)
        )
    ).all()
    orgs: dict[str, dict[int, str]] = {}
    kinds: dict[str, Counter[str]] = {}
    for object_, kind, org_id, value in rows:
        orgs.setdefault(object_, {})[org_id] = value or ""
        kinds.setdefault(object_, Counter())[kind] += 1
    found = [
        ItemUse(
            objects[object_],
            len(by_org),
            dict(kinds[object_]),
            dict(Counter(by_org.values())),
        )
        for object_, by_org in orgs.items()
        if object_ in objects
    ]
    found.sort(key=lambda use: (-use.orgs, use.item.title))
    return found[:limit]


async def users_of(session: AsyncSession, item: ContentItem) -> int:
    """How many partner orgs used ``item`` in any way."""
    count = await session.scalar(
        select(func.count(distinct(ActivityEvent.partner_org_id))).where(
            ActivityEvent.object == object_of(item), ActivityEvent.kind.in_(USE_KINDS)
        )
    )
    return int(count or 0)
