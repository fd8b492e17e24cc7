"""The demo library's own part: a pinned launch announcement, the launch kit pinned, the
old kit superseded. The rest of the catalogue comes from the sandboxes through the index."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hub.db import Database
from hub.db.content import ContentItem, ContentRule
from hub.services.content.announcements import Announcement, pin, publish
from hub.services.content.index import apply_rules

LAUNCH_KEY = "cloud-backup-5-launch"
LAUNCH_KEY_DE = "cloud-backup-5-launch-de"


async def seed_demo_content(db: Database, now: datetime) -> None:
    """Add the demo's announcements and rules unless they are there."""
    async with db.session() as session:
        known = set(
            await session.scalars(
                select(ContentItem.external_id).where(ContentItem.source == "hub")
            )
        )
    until = now + timedelta(days=14)
    if LAUNCH_KEY not in known:
        await publish(
            db,
            Announcement(
                title="Cloud Backup 5 is here",
                summary="Our biggest release this year: faster restores, immutable backups "
                "and a new price list. Start with the three-minute video and the launch kit.",
                languages=("en",),  # German readers get the German one
                pinned_until=until,
                key=LAUNCH_KEY,
            ),
            author="admin@vendor.example",
            now=now,
        )
    if LAUNCH_KEY_DE not in known:
        await publish(
            db,
            Announcement(
                title="Cloud Backup 5 ist da",
                summary="Unsere größte Version in diesem Jahr: schnellere Wiederherstellung, "
                "unveränderliche Sicherungen und eine neue Preisliste.",
                language="de",
                languages=("de",),
                pinned_until=until,
                key=LAUNCH_KEY_DE,
            ),
            author="admin@vendor.example",
            now=now,
        )
    async with db.transaction() as session:
        old_kit = await session.scalar(
            select(ContentRule).where(
                ContentRule.scope == "item",
                ContentRule.source == "mautic",
                ContentRule.external_id == "3",
            )
        )
        if old_kit is None:
            session.add(
                ContentRule(
                    scope="item",
                    source="mautic",
                    external_id="3",
                    superseded_by="1",
                    updated_by="admin@vendor.example",
                )
            )
            # Campaign kits are for the people who send campaigns.
            session.add(
                ContentRule(
                    scope="collection",
                    source="mautic",
                    collection="Campaign kits",
                    personas=["marketer", "partner_owner", "sales_rep"],
                    updated_by="admin@vendor.example",
                )
            )
    # The launch kit is pinned in each language, for the readers of that language.
    kits = (("1", "en"), ("2", "de"))
    for asset, _language in kits:
        await pin(db, "mautic", asset, until, author="admin@vendor.example", now=now)
    async with db.transaction() as session:
        for asset, language in kits:
            rule = await session.scalar(
                select(ContentRule).where(
                    ContentRule.scope == "item",
                    ContentRule.source == "mautic",
                    ContentRule.external_id == asset,
                )
            )
            if rule is not None and not rule.languages:
                rule.languages = [language]
        await session.flush()
        await apply_rules(session, now)
