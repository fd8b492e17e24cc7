"""How active each partner org is, from the activity log: for health and dormancy views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.connectors.records import PartnerRef
from hub.db.models import ActivityEvent, PartnerOrg


@dataclass(frozen=True)
class PartnerActivity:
    """One partner org with its latest activity and how many people were active lately."""

    org_id: int
    slug: str
    name: str
    tier: str
    region: str
    status: str
    last_activity_at: datetime | None
    active_people: int
    partner: PartnerRef

    def days_quiet(self, now: datetime) -> int | None:
        """Whole days since the last activity; ``None`` when there never was any."""
        if self.last_activity_at is None:
            return None
        return max(0, (now - self.last_activity_at).days)

    def is_quiet(self, now: datetime, days: int) -> bool:
        quiet = self.days_quiet(now)
        return quiet is None or quiet >= days


async def partner_activity(
    session: AsyncSession, now: datetime, window_days: int = 30
) -> list[PartnerActivity]:
    """Every partner org with its last activity event and active people in the window."""
    since = now - timedelta(days=window_days)
    last = (
        select(
            ActivityEvent.partner_org_id.label("org_id"),
            func.max(ActivityEvent.occurred_at).label("last_at"),
        )
        .where(ActivityEvent.partner_org_id.is_not(None))
        .group_by(ActivityEvent.partner_org_id)
        .subquery()
    )
    active = (
        select(
            ActivityEvent.partner_org_id.label("org_id"),
            func.count(func.distinct(ActivityEvent.user_id)).label("people"),
        )
        .where(ActivityEvent.occurred_at >= since, ActivityEvent.partner_org_id.is_not(None))
        .group_by(ActivityEvent.partner_org_id)
        .subquery()
    )
    rows = await session.execute(
        select(PartnerOrg, last.c.last_at, active.c.people)
        .outerjoin(last, last.c.org_id == PartnerOrg.id)
        .outerjoin(active, active.c.org_id == PartnerOrg.id)
        .order_by(PartnerOrg.name)
    )
    result = []
    for org, last_at, people in rows.all():
        last_at_value = last_at if isinstance(last_at, datetime) else _parse(last_at)
        result.append(
            PartnerActivity(
                org_id=org.id,
                slug=org.slug,
                name=org.name,
                tier=org.tier,
                region=org.region,
                status=org.status,
                last_activity_at=last_at_value,
                active_people=int(people or 0),
                partner=partner_ref(org),
            )
        )
    return result


async def quiet_partners(session: AsyncSession, now: datetime, days: int) -> list[PartnerActivity]:
    """Orgs with no activity event for ``days`` days (or never), the longest-quiet first."""
    orgs = [org for org in await partner_activity(session, now) if org.is_quiet(now, days)]
    return sorted(orgs, key=lambda org: (org.last_activity_at is not None, org.last_activity_at))


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
            .order_by(ActivityEvent.occurred_at.desc())
            .limit(limit)
        )
    ).all()
    return [ActivityItem(kind, occurred_at, name) for kind, occurred_at, name in rows]
