"""The activity log: append-only events, idempotent by key, from the hub and the backends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import ActivityEvent
from hub.db.writes import insert_ignoring_duplicates

# Events that record how something stands on a day (a goal's progress, the partner
# agreement), not something anyone did: never shown or counted as activity.
STATE_KINDS = frozenset({"goal_progress", "agreement_state"})


@dataclass(frozen=True)
class Activity:
    """One thing that happened; ``key`` makes a second delivery a no-op."""

    key: str
    kind: str
    occurred_at: datetime
    user_id: int | None = None
    partner_org_id: int | None = None
    object: str = ""
    source: str = "hub"
    payload: dict[str, Any] = field(default_factory=dict)


async def record_all(session: AsyncSession, activities: Sequence[Activity]) -> dict[str, int]:
    """Append the activities whose keys are new; the new events' ids by key.

    The one writer of the activity log: the sign-in flow, syncs, webhooks and the engagement
    actions all come through here. Nothing is evaluated: the worker (or the in-process
    scheduler) turns new events into points, badges and streaks.
    """
    for activity in activities:
        if activity.occurred_at.tzinfo is None:
            raise ValueError("activity times must be timezone-aware")
    unique = {activity.key: activity for activity in activities}
    written = await insert_ignoring_duplicates(
        session,
        ActivityEvent,
        [
            {
                "idempotency_key": activity.key,
                "kind": activity.kind,
                "occurred_at": activity.occurred_at,
                "user_id": activity.user_id,
                "partner_org_id": activity.partner_org_id,
                "object": activity.object,
                "source": activity.source,
                "payload": activity.payload,
            }
            for activity in unique.values()
        ],
        unique=["idempotency_key"],
        returning=["idempotency_key", "id"],
    )
    return {str(key): int(event_id) for key, event_id in written}


async def record(session: AsyncSession, activity: Activity) -> bool:
    """Append ``activity`` unless its key is already there; ``True`` when it was new."""
    return bool(await record_all(session, [activity]))
