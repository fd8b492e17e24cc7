"""The services homepage widgets call, bound to one database (see ``HubServices``)."""

from __future__ import annotations

from datetime import datetime

from hub.db import Database
from hub.services import field_team, partner_activity
from hub.services.field_team import Contact
from hub.services.partner_activity import ActivityItem, PartnerActivity


class HomepageServices:
    """Implements :class:`hub.widgets.base.HubServices` over the hub's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def partner_activity(self, now: datetime) -> list[PartnerActivity]:
        async with self.db.session() as session:
            return await partner_activity.partner_activity(session, now)

    async def quiet_partners(self, now: datetime, days: int) -> list[PartnerActivity]:
        async with self.db.session() as session:
            return await partner_activity.quiet_partners(session, now, days)

    async def field_team(self, partner_org_id: int | None) -> list[Contact]:
        async with self.db.session() as session:
            return await field_team.field_team(session, partner_org_id)

    async def recent_activity(self, limit: int) -> list[ActivityItem]:
        async with self.db.session() as session:
            return await partner_activity.recent_activity(session, limit)
