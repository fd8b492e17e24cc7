"""The activity log: append-only events, idempotent by key, from the hub and the backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import ActivityEvent


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


async def record(session: AsyncSession, activity: Activity) -> bool:
    """Append ``activity`` unless its key is already there; ``True`` when it was new."""
    if activity.occurred_at.tzinfo is None:
        raise ValueError("activity times must be timezone-aware")
    values = {
        "idempotency_key": activity.key,
        "kind": activity.kind,
        "occurred_at": activity.occurred_at,
        "user_id": activity.user_id,
        "partner_org_id": activity.partner_org_id,
        "object": activity.object,
        "source": activity.source,
        "payload": activity.payload,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ActivityEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
