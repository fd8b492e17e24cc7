"""Widgets every persona may have: quick links, field-team contacts, what's new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from hub.connectors.records import Campaign, Deal, Enrolment, Fetched, FundAllocation, Kind, Spiff
from hub.i18n import N_
from hub.widgets.base import (
    EVERYONE,
    PARTNER_PERSONAS,
    Size,
    Widget,
    WidgetContext,
    WidgetView,
    read,
    read_optional,
    with_optional,
)

NEW_WITHIN_DAYS = 30
NEWS_LIMIT = 5


@dataclass(frozen=True)
class NewsItem:
    """One new thing: what it is, a line about it, when, and where to see it."""

    kind: str  # spiff | campaign | allocation | course | activity
    title: str
    detail: str
    on: date | datetime | None
    url: str | None = None


async def load_quick_links(context: WidgetContext) -> WidgetView:
    portals = context.backends.portals()
    return WidgetView(figures={"portals": portals}, empty=not portals)


async def load_field_team(context: WidgetContext) -> WidgetView:
    contacts = await context.services.field_team(context.org.id if context.org else None)
    return WidgetView(figures={"contacts": contacts}, empty=not contacts)


async def _news_for(context: WidgetContext) -> tuple[list[NewsItem], list[Fetched[Any] | None]]:
    since = context.now - timedelta(days=NEW_WITHIN_DAYS)
    persona = context.principal.persona
    if persona == "sales_rep":
        fetched = await read(context, Kind.INCENTIVES, "spiffs", context.person)
        spiffs: list[Spiff] = [s for s in fetched.value if s.starts >= since.date()]
        items = [NewsItem("spiff", s.name, s.description, s.starts) for s in spiffs]
    elif persona == "marketer":
        fetched = await read(context, Kind.TCMA, "campaigns", context.require_partner())
        campaigns: list[Campaign] = [
            c for c in fetched.value if c.published_at and c.published_at >= since
        ]
        items = [
            NewsItem("campaign", c.name, c.description, c.published_at, c.url) for c in campaigns
        ]
    elif persona == "partner_owner":
        partner = context.require_partner()
        fetched, deals_read = await with_optional(
            read(context, Kind.PRM, "fund_allocations", partner),
            read_optional(context, Kind.PRM, "deals", partner),
        )
        allocations: list[FundAllocation] = [
            a for a in fetched.value if a.start >= since.date() - timedelta(days=30)
        ]
        items = [NewsItem("allocation", a.fund_type.value, "", a.start) for a in allocations]
        won: list[Deal] = [
            d
            for d in (deals_read.value if deals_read else [])
            if d.is_won and d.closed_at and d.closed_at >= since
        ]
        items += [NewsItem("deal", d.name, d.customer, d.closed_at) for d in won]
        return items, [fetched, deals_read]
    elif persona == "support":
        fetched = await read(context, Kind.LMS, "enrolments", context.person)
        enrolments: list[Enrolment] = [
            e for e in fetched.value if e.enrolled_at and e.enrolled_at >= since
        ]
        items = [
            NewsItem("course", e.course.name, "", e.enrolled_at, e.course.url) for e in enrolments
        ]
    else:
        return await _hub_activity(context), []
    return items, [fetched]


async def _hub_activity(context: WidgetContext) -> list[NewsItem]:
    # The newest event per org and kind: five sign-ins by one org are one line of news.
    events = await context.services.recent_activity(NEWS_LIMIT * 10)
    newest = {(e.org_name, e.kind): e for e in reversed(events)}
    return [NewsItem("activity", e.org_name, e.kind, e.occurred_at) for e in newest.values()]


def _sort_key(item: NewsItem) -> str:
    return item.on.isoformat() if item.on else ""


async def load_whats_new(context: WidgetContext) -> WidgetView:
    items, reads = await _news_for(context)
    items.sort(key=_sort_key, reverse=True)
    return WidgetView.of(reads, {"news": items[:NEWS_LIMIT]}, empty=not items)


WIDGETS = (
    Widget(
        name="quick_links",
        title=N_("Quick Links"),
        description=N_("Straight into each of the program's portals."),
        personas=EVERYONE,
        loader=load_quick_links,
        empty_hint=N_("No portals are connected yet. An administrator adds them to the hub."),
        refresh=0,
    ),
    Widget(
        name="field_team",
        title=N_("Your Field Team"),
        description=N_("Your channel manager and support contacts, one click away."),
        personas=PARTNER_PERSONAS,
        loader=load_field_team,
        empty_hint=N_("No contact is assigned yet. Write to the partner program team."),
        refresh=0,
    ),
    Widget(
        name="whats_new",
        title=N_("What's New"),
        description=N_("What changed lately that matters to your role."),
        personas=EVERYONE,
        loader=load_whats_new,
        empty_hint=N_("Nothing new in the last 30 days. Check back soon."),
        size=Size.MEDIUM,
    ),
)
