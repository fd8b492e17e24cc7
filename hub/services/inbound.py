"""Backend events pushed to the hub (webhooks), matched to people and kept as activity."""

from __future__ import annotations

from dataclasses import replace

from hub.db import Database
from hub.services import activity
from hub.services.users import user_by_email


async def record_backend_event(db: Database, email: str, event: activity.Activity) -> bool:
    """Record ``event`` for the hub user with ``email`` (or for nobody); ``True`` when new."""
    async with db.transaction() as session:
        user = await user_by_email(session, email)
        if user is not None:
            event = replace(event, user_id=user.id, partner_org_id=user.partner_org_id)
        return await activity.record(session, event)
