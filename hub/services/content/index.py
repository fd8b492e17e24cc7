"""The library's index: items from every content source, refreshed by the worker.

:func:`upsert` is the one way items get in: any source (a connector, the hub's
own announcements, answered public questions) hands its records over with its
source name. :func:`refresh_index` asks every connector that is a
:class:`~hub.connectors.content.ContentSource` for what it publishes now; a
source that fails keeps its items, marked stale, while the others refresh.
After any change, :func:`apply_rules` recomputes who each item is meant for,
which items are pinned and which are superseded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.connectors.backends import Backends
from hub.connectors.base import BackendError
from hub.connectors.content import ContentRecord, ContentSource
from hub.db import Database
from hub.db.content import ContentItem, ContentRule
from hub.db.types import utcnow
from hub.services.content import answers as expert_answers
from hub.services.content.audience import audience_columns
from hub.services.content.stemming import search_text

log = logging.getLogger("hub.content")
HUB_SOURCE = "hub"  # announcements administrators write in the hub
SOURCE_TIMEOUT = 30.0


@dataclass
class IndexReport:
    """What one refresh saw: items per source that answered, and the sources that failed."""

    indexed: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


async def upsert(
    session: AsyncSession,
    source: str,
    records: Sequence[ContentRecord],
    *,
    complete: bool = False,
    now: datetime | None = None,
) -> list[int]:
    """Add or update ``source``'s items from ``records``; their ids, in order.

    ``complete`` says the records are all the source has: its other items go. The
    caller runs :func:`apply_rules` afterwards (``refresh_index`` does).
    """
    now = now or utcnow()
    existing = {
        item.external_id: item
        for item in await session.scalars(select(ContentItem).where(ContentItem.source == source))
    }
    kept: list[ContentItem] = []
    for record in records:
        item = existing.get(record.external_id)
        if item is None:
            item = ContentItem(source=source, external_id=record.external_id)
            session.add(item)
            existing[record.external_id] = item
        item.title = record.title[:500]
        item.summary = record.summary
        item.kind = str(record.kind)
        item.language = record.language or "en"
        item.duration_seconds = record.duration_seconds
        item.published_at = record.published_at
        item.updated_at = record.updated_at
        item.url = record.url[:2000]
        item.collection = record.collection[:200]
        item.tags = list(record.tags)
        item.activity_id = record.activity_id
        item.supersedes = record.supersedes
        item.stale = False
        item.indexed_at = now
        item.search_text = search_text(item.title, item.summary, item.language)
        kept.append(item)
    if complete:
        wanted = {record.external_id for record in records}
        for external_id, item in existing.items():
            if external_id not in wanted:
                await session.delete(item)
    await session.flush()
    return [item.id for item in kept]


async def withdraw(session: AsyncSession, source: str, external_ids: Sequence[str]) -> None:
    """Take ``source``'s items with these ids out of the library."""
    for item in await session.scalars(
        select(ContentItem).where(
            ContentItem.source == source, ContentItem.external_id.in_(list(external_ids))
        )
    ):
        await session.delete(item)
    await session.flush()


async def apply_rules(session: AsyncSession, now: datetime | None = None) -> int:
    """Recompute every item's audience, pin and superseded mark; how many items there are."""
    now = now or utcnow()
    rules = list(await session.scalars(select(ContentRule)))
    items = list(await session.scalars(select(ContentItem)))
    by_key = {(item.source, item.external_id): item for item in items}
    superseded: dict[int, int] = {}
    for item in items:
        if item.supersedes and (old := by_key.get((item.source, item.supersedes))):
            superseded[old.id] = item.id
    pins: dict[tuple[str, str], datetime] = {}
    for rule in rules:
        if rule.scope != "item":
            continue
        if rule.pinned_until is not None:
            pins[(rule.source, rule.external_id)] = rule.pinned_until
        newer = by_key.get((rule.source, rule.superseded_by)) if rule.superseded_by else None
        old = by_key.get((rule.source, rule.external_id))
        if newer is not None and old is not None and newer.id != old.id:
            superseded[old.id] = newer.id
    changes = []
    for item in items:
        values = audience_columns(item, rules)
        values["superseded_by_id"] = superseded.get(item.id)  # type: ignore[assignment]
        values["pinned_until"] = pins.get((item.source, item.external_id))  # type: ignore[assignment]
        if any(getattr(item, key) != value for key, value in values.items()):
            changes.append({"id": item.id, **values})
    if changes:
        await session.execute(update(ContentItem), changes)
    return len(items)


async def refresh_answers(db: Database) -> int:
    """Bring the published answers in the library up to date now (after an expert publishes
    or withdraws one); how many there are."""
    async with db.transaction() as session:
        published = await expert_answers.answer_records(session)
        await upsert(session, expert_answers.SOURCE, published, complete=True)
        await apply_rules(session)
    return len(published)


async def refresh_index(db: Database, backends: Backends) -> IndexReport:
    """Ask every content source for its items; failing sources keep theirs, marked stale."""
    report = IndexReport()
    sources = [c for c in backends.all() if isinstance(c, ContentSource)]

    async def read(source: ContentSource) -> list[ContentRecord] | None:
        try:
            return await asyncio.wait_for(source.content(), SOURCE_TIMEOUT)
        except (BackendError, TimeoutError) as exc:
            log.warning(
                "content source failed", extra={"source": source.config.name, "error": str(exc)}
            )
            return None

    answers = await asyncio.gather(*(read(source) for source in sources))
    async with db.transaction() as session:
        for source, records in zip(sources, answers, strict=True):
            name = source.config.name
            if records is None:
                report.failed.append(name)
                await session.execute(
                    update(ContentItem).where(ContentItem.source == name).values(stale=True)
                )
                continue
            report.indexed[name] = len(await upsert(session, name, records, complete=True))
        # The hub's own published answers, all of them: a withdrawn one goes.
        published = await expert_answers.answer_records(session)
        report.indexed[expert_answers.SOURCE] = len(
            await upsert(session, expert_answers.SOURCE, published, complete=True)
        )
        await apply_rules(session)
    return report
