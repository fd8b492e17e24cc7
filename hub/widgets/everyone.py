"""Widgets every persona may have: quick links, field-team contacts, what's new."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from hub.connectors.records import Fetched
from hub.i18n import N_
from hub.widgets.base import (
    EVERYONE,
    PARTNER,
    Size,
    Widget,
    WidgetContext,
    WidgetView,
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


News = tuple[list[NewsItem], list[Fetched[Any] | None]]


def _since(context: WidgetContext) -> datetime:
    return context.now - timedelta(days=NEW_WITHIN_DAYS)


async def _new_spiffs(context: WidgetContext) -> News:
    fetched = await context.backends.incentives.spiffs(context.person)
    since = _since(context).date()
    items = [
        NewsItem("spiff", s.name, s.description, s.starts)
        for s in fetched.value
        if s.starts >= since
    ]
    return items, [fetched]


async def _new_campaigns(context: WidgetContext) -> News:
    fetched = await context.backends.tcma.campaigns(context.require_partner())
    since = _since(context)
    items = [
        NewsItem("campaign", c.name, c.description, c.published_at, c.url)
        for c in fetched.value
        if c.published_at and c.published_at >= since
    ]
    return items, [fetched]


async def _new_funds_and_deals(context: WidgetContext) -> News:
    partner = context.require_partner()
    fetched, deals_read = await with_optional(
        context.backends.prm.fund_allocations(partner),
        context.backends.prm.deals.optional(partner),
    )
    since = _since(context)
    items = [
        NewsItem("allocation", a.fund_type.value, "", a.start)
        for a in fetched.value
        if a.start >= since.date() - timedelta(days=30)
    ]
    items += [
        NewsItem("deal", d.name, d.customer, d.closed_at)
        for d in (deals_read.value if deals_read else [])
        if d.is_won and d.closed_at and d.closed_at >= since
    ]
    return items, [fetched, deals_read]


async def _new_courses(context: WidgetContext) -> News:
    fetched = await context.backends.lms.enrolments(context.person)
    since = _since(context)
    items = [
        NewsItem("course", e.course.name, "", e.enrolled_at, e.course.url)
        for e in fetched.value
        if e.enrolled_at and e.enrolled_at >= since
    ]
    return items, [fetched]


async def _new_in_the_hub(context: WidgetContext) -> News:
    return await _hub_activity(context), []


# What each kind of "What's New" reads; the persona catalogue says which kind a persona gets.
NEWS: Mapping[str, Callable[[WidgetContext], Awaitable[News]]] = {
    "spiffs": _new_spiffs,
    "campaigns": _new_campaigns,
    "funds_and_deals": _new_funds_and_deals,
    "courses": _new_courses,
    "hub_activity": _new_in_the_hub,
}


async def _hub_activity(context: WidgetContext) -> list[NewsItem]:
    # The newest event per org and kind: five sign-ins by one org are one line of news.
    events = await context.services.recent_activity(NEWS_LIMIT * 10)
    newest = {(e.org_name, e.kind): e for e in reversed(events)}
    return [NewsItem("activity", e.org_name, e.kind, e.occurred_at) for e in newest.values()]


def _sort_key(item: NewsItem) -> str:
    return item.on.isoformat() if item.on else ""


async def load_whats_new(context: WidgetContext) -> WidgetView:
    items, reads = await NEWS[context.persona.news](context)
    items.sort(key=_sort_key, reverse=True)
    return WidgetView.of(reads, {"news": items[:NEWS_LIMIT]}, empty=not items)


WIDGETS = (
    Widget(
        name="quick_links",
        title=N_("Quick Links"),
        description=N_("Straight into each of the program's portals."),
        audiences=EVERYONE,
        loader=load_quick_links,
        empty_hint=N_("No portals are connected yet. An administrator adds them to the hub."),
        refresh=0,
    ),
    Widget(
        name="field_team",
        title=N_("Your Field Team"),
        description=N_("Your channel manager and support contacts, one click away."),
        audiences=PARTNER,
        loader=load_field_team,
        empty_hint=N_("No contact is assigned yet. Write to the partner program team."),
        refresh=0,
    ),
    Widget(
        name="whats_new",
        title=N_("What's New"),
        description=N_("What changed lately that matters to your role."),
        audiences=EVERYONE,
        loader=load_whats_new,
        empty_hint=N_("Nothing new in the last 30 days. Check back soon."),
        size=Size.MEDIUM,
    ),
)
