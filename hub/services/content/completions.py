"""Video and course completion from the learning record store, as ``content_completed`` events.

For every library item with an xAPI activity id, each connector that is a
:class:`~hub.connectors.content.CompletionSource` says who completed it; each
person the hub knows (by email) gets one event per item, keyed so a second pass
records nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from hub.connectors.backends import Backends
from hub.connectors.base import BackendError
from hub.connectors.content import CompletionSource
from hub.db import Database, User
from hub.db.content import ContentItem
from hub.services import activity
from hub.services.activity import Activity
from hub.services.content.usage import COMPLETED, object_of

log = logging.getLogger("hub.content")


async def record_completions(db: Database, backends: Backends) -> int:
    """Ask every completion source about every item with an activity id; new events."""
    sources = [c for c in backends.all() if isinstance(c, CompletionSource)]
    if not sources:
        return 0
    async with db.session() as session:
        items = list(
            await session.scalars(select(ContentItem).where(ContentItem.activity_id.is_not(None)))
        )
    # An activity in two languages is two items: the LRS is asked about it once.
    by_activity: dict[str, list[ContentItem]] = {}
    for item in items:
        by_activity.setdefault(str(item.activity_id), []).append(item)
    found: list[tuple[ContentItem, str, datetime]] = []
    for source in sources:
        for activity_id, versions in by_activity.items():
            try:
                done = await source.completed_by(activity_id)
            except BackendError as exc:
                log.warning(
                    "completions failed", extra={"source": source.config.name, "error": str(exc)}
                )
                break
            found.extend((item, email, when) for item in versions for email, when in done)
    if not found:
        return 0
    emails = {email for _, email, _ in found}
    async with db.transaction() as session:
        people = {
            user.email.lower(): user
            for user in await session.scalars(
                select(User).where(func.lower(User.email).in_(emails))
            )
        }
        events = [
            Activity(
                key=f"{COMPLETED}:{item.id}:{email}",
                kind=COMPLETED,
                occurred_at=when,
                user_id=people[email].id,
                partner_org_id=people[email].partner_org_id,
                object=object_of(item),
                source="xapi",
                payload={"kind": item.kind, "title": item.title[:200]},
            )
            for item, email, when in found
            if email in people
        ]
        return len(await activity.record_all(session, events))
