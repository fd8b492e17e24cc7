"""The marketer's widgets: leads earned and campaigns waiting to be shared."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hub.connectors.records import Campaign, Kind, Lead, Redistribution
from hub.i18n import N_
from hub.widgets.base import PARTNER, Size, Widget, WidgetContext, WidgetView, with_optional

LEAD_WINDOW_DAYS = 90


TOP_CAMPAIGNS = 3


async def load_leads_earned(context: WidgetContext) -> WidgetView:
    partner = context.require_partner()
    fetched, campaigns_read = await with_optional(
        context.backends.tcma.leads(partner),
        context.backends.tcma.campaigns.optional(partner),
    )
    since = context.now - timedelta(days=LEAD_WINDOW_DAYS)
    leads: list[Lead] = [lead for lead in fetched.value if lead.created_at >= since]
    names = {c.id: c.name for c in (campaigns_read.value if campaigns_read else [])}
    # Leads by campaign, by its name; campaigns no longer offered have none to show, so
    # they are counted together rather than shown by id.
    # Every lead is in one line, so the lines add up to the count the widget shows.
    by_campaign = Counter(lead.campaign_id for lead in leads if lead.campaign_id in names)
    top = by_campaign.most_common(TOP_CAMPAIGNS)
    unnamed = sum(1 for lead in leads if lead.campaign_id and lead.campaign_id not in names)
    return WidgetView.of(
        [fetched, campaigns_read],
        {
            "count": len(leads),
            "days": LEAD_WINDOW_DAYS,
            "points": sum(lead.points for lead in leads),
            "top": [(names[cid], n) for cid, n in top],
            "more_campaigns": by_campaign.total() - sum(n for _, n in top),
            "other_campaigns": unnamed,
            "no_campaign": sum(1 for lead in leads if not lead.campaign_id),
            "newest": sorted(leads, key=lambda lead: lead.created_at, reverse=True)[:3],
        },
        empty=not leads,
    )


async def load_campaigns_to_redistribute(context: WidgetContext) -> WidgetView:
    partner = context.require_partner()
    campaigns_read, shared_read = await with_optional(
        context.backends.tcma.campaigns(partner),
        context.backends.tcma.redistributions.optional(partner),
    )
    shared: list[Redistribution] = shared_read.value if shared_read else []
    mine = {r.campaign_id for r in shared if r.email.lower() == context.person.email.lower()}
    waiting: list[Campaign] = sorted(
        (c for c in campaigns_read.value if c.is_published and c.id not in mine),
        key=lambda c: (c.published_at is None, c.published_at),
        reverse=True,
    )
    return WidgetView.of(
        [campaigns_read, shared_read],
        {"waiting": waiting[:5], "more": max(0, len(waiting) - 5), "shared": len(mine)},
        empty=not waiting,
    )


WIDGETS = (
    Widget(
        name="leads_earned",
        title=N_("Leads Earned"),
        description=N_("Leads your campaigns brought in over the last 90 days."),
        audiences=PARTNER,
        loader=load_leads_earned,
        empty_hint=N_("No leads in the last 90 days. Share a campaign to start earning leads."),
        source=Kind.TCMA,
    ),
    Widget(
        name="campaigns_to_redistribute",
        title=N_("Campaigns to Redistribute"),
        description=N_("Published campaigns you have not shared yet."),
        audiences=PARTNER,
        loader=load_campaigns_to_redistribute,
        empty_hint=N_("You have shared every published campaign. New ones show up here."),
        source=Kind.TCMA,
        size=Size.MEDIUM,
    ),
)
