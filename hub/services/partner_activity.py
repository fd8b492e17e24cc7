"""The activity log as the vendor's widgets read it: the newest events across partner orgs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.connectors.records import PartnerRef
from hub.db.models import ActivityEvent, PartnerOrg
from hub.services.activity import STATE_KINDS


class OrgFields(Protocol):
    """What ``partner_ref`` reads: a ``PartnerOrg`` or a row with the same columns."""

    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def domain(self) -> str | None: ...
    @property
    def external_ids(self) -> dict[str, Any] | None: ...


def partner_ref(org: OrgFields) -> PartnerRef:
    """How connectors are told about ``org``: slug, name, domain and per-connector ids."""
    return PartnerRef(
        slug=org.slug,
        name=org.name,
        domain=org.domain,
        external_ids=tuple(sorted((str(k), str(v)) for k, v in (org.external_ids or {}).items())),
    )


def _parse(value: object) -> datetime | None:
    # SQLite hands back an aggregate of a timestamp column as text.
    if not isinstance(value, str):
        return None
    from datetime import UTC

    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ActivityItem:
    """One recent activity event, with the org it belongs to."""

    kind: str
    occurred_at: datetime
    org_name: str


async def recent_activity(session: AsyncSession, limit: int) -> list[ActivityItem]:
    """The newest activity events of partner orgs, newest first."""
    rows = (
        await session.execute(
            select(ActivityEvent.kind, ActivityEvent.occurred_at, PartnerOrg.name)
            .join(PartnerOrg, PartnerOrg.id == ActivityEvent.partner_org_id)
            .where(ActivityEvent.kind.not_in(sorted(STATE_KINDS)))
            .order_by(ActivityEvent.occurred_at.desc())
            .limit(limit)
        )
    ).all()
    return [ActivityItem(kind, occurred_at, name) for kind, occurred_at, name in rows]
