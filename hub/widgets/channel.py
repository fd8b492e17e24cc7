"""The channel manager's widgets: partner health at a glance and partners gone quiet."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from hub.connectors.records import Fetched, Kind, PartnerAccount
from hub.i18n import N_
from hub.services.partner_activity import PartnerActivity
from hub.widgets.base import VENDOR, Setting, Size, Widget, WidgetContext, WidgetView

QUIET_DAYS = Setting("days", N_("Days without activity"), 30, minimum=7, maximum=365)
WATCH_DAYS = 14
RENEWAL_WATCH_DAYS = 60
MAX_PARTNERS = 12
HEALTH_ORDER = {"at_risk": 0, "watch": 1, "healthy": 2}


@dataclass(frozen=True)
class PartnerHealth:
    activity: PartnerActivity
    account: PartnerAccount | None
    health: str  # healthy | watch | at_risk
    days_quiet: int | None


def health_of(
    activity: PartnerActivity, account: PartnerAccount | None, context: WidgetContext, days: int
) -> str:
    """At risk when quiet for ``days`` or the agreement lapsed; watch when slipping."""
    quiet = activity.days_quiet(context.now)
    agreement_ok = account is None or account.agreement_status.lower() in ("active", "signed")
    if quiet is None or quiet >= days or not agreement_ok or activity.status == "dormant":
        return "at_risk"
    renewal_near = (
        account is not None
        and account.agreement_end is not None
        and (account.agreement_end - context.today).days <= RENEWAL_WATCH_DAYS
    )
    if quiet >= WATCH_DAYS or renewal_near:
        return "watch"
    return "healthy"


async def load_my_partners(context: WidgetContext) -> WidgetView:
    days = int(context.settings.get("days", QUIET_DAYS.default))
    orgs = await context.services.partner_activity(context.now)
    reads: list[Fetched[Any] | None] = list(
        await asyncio.gather(
            *(context.backends.prm.partner_account.optional(org.partner) for org in orgs)
        )
    )
    rows = [
        PartnerHealth(
            activity=org,
            account=fetched.value if fetched else None,
            health=health_of(org, fetched.value if fetched else None, context, days),
            days_quiet=org.days_quiet(context.now),
        )
        for org, fetched in zip(orgs, reads, strict=True)
    ]
    rows.sort(key=lambda row: (HEALTH_ORDER[row.health], row.activity.name))
    counts = {health: sum(1 for r in rows if r.health == health) for health in HEALTH_ORDER}
    return WidgetView.of(
        reads,
        {"partners": rows[:MAX_PARTNERS], "more": max(0, len(rows) - MAX_PARTNERS), **counts},
        empty=not rows,
    )


async def load_quiet_partners(context: WidgetContext) -> WidgetView:
    days = int(context.settings.get("days", QUIET_DAYS.default))
    quiet = await context.services.quiet_partners(context.now, days)
    rows = [(org, org.days_quiet(context.now)) for org in quiet]
    return WidgetView(figures={"partners": rows, "days": days}, empty=not rows)


WIDGETS = (
    Widget(
        name="my_partners",
        title=N_("My Partners"),
        description=N_("Each partner's health at a glance, from the PRM and hub activity."),
        audiences=VENDOR,
        loader=load_my_partners,
        empty_hint=N_("No partner orgs yet. Partners appear once their people sign in."),
        source=Kind.PRM,
        size=Size.LARGE,
        settings=(QUIET_DAYS,),
    ),
    Widget(
        name="quiet_partners",
        title=N_("Partners Gone Quiet"),
        description=N_("Partners with no activity for a while: the ones to call."),
        audiences=VENDOR,
        loader=load_quiet_partners,
        empty_hint=N_("Every partner has been active lately. Nobody to chase today."),
        size=Size.MEDIUM,
        settings=(QUIET_DAYS,),
    ),
)
