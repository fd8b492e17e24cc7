"""Announcements administrators write in the hub: library items of source ``hub``.

Targeting goes on the item as tags (``persona:…``, ``tier:…``, ``region:…``), the way
a backend's tags carry it; a pin is an item rule with its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import select

from hub.connectors.content import ContentKind, ContentRecord
from hub.db import Database
from hub.db.content import ContentRule
from hub.services.content.index import HUB_SOURCE, apply_rules, upsert


@dataclass(frozen=True)
class Announcement:
    """What an administrator writes; empty targeting lists reach everyone."""

    title: str
    summary: str
    language: str = "en"
    link: str = ""
    personas: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # readers of these languages only (a translated one)
    pinned_until: datetime | None = None
    key: str = ""  # the external id; a new one when empty


async def publish(db: Database, announcement: Announcement, *, author: str, now: datetime) -> int:
    """Add (or replace, by ``key``) an announcement; its item id."""
    key = announcement.key or uuid4().hex[:16]
    tags = (
        *(f"persona:{p}" for p in announcement.personas),
        *(f"tier:{t}" for t in announcement.tiers),
        *(f"region:{r}" for r in announcement.regions),
        *(f"language:{lang}" for lang in announcement.languages),
    )
    record = ContentRecord(
        external_id=key,
        title=announcement.title,
        summary=announcement.summary,
        kind=ContentKind.ANNOUNCEMENT,
        language=announcement.language,
        url=announcement.link,
        published_at=now,
        updated_at=now,
        collection="Announcements",
        tags=tags,
    )
    async with db.transaction() as session:
        (item_id,) = await upsert(session, HUB_SOURCE, [record], now=now)
        rule = await session.scalar(
            select(ContentRule).where(
                ContentRule.scope == "item",
                ContentRule.source == HUB_SOURCE,
                ContentRule.external_id == key,
            )
        )
        if announcement.pinned_until is not None:
            if rule is None:
                rule = ContentRule(scope="item", source=HUB_SOURCE, external_id=key)
                session.add(rule)
            rule.pinned_until = announcement.pinned_until
            rule.updated_by = author
            rule.updated_at = now
        elif rule is not None:
            rule.pinned_until = None
        await session.flush()
        await apply_rules(session, now)
    return item_id


async def pin(
    db: Database,
    source: str,
    external_id: str,
    until: datetime | None,
    *,
    author: str,
    now: datetime,
) -> None:
    """Pin one item of ``source`` until ``until`` (``None``: unpin)."""
    async with db.transaction() as session:
        rule = await session.scalar(
            select(ContentRule).where(
                ContentRule.scope == "item",
                ContentRule.source == source,
                ContentRule.external_id == external_id,
            )
        )
        if rule is None:
            rule = ContentRule(scope="item", source=source, external_id=external_id)
            session.add(rule)
        rule.pinned_until = until
        rule.updated_by = author
        rule.updated_at = now
        await session.flush()
        await apply_rules(session, now)
