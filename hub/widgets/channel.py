"""The channel manager's widgets: their partners' state at a glance and the dormant ones.

Both read the program insight the ``/program`` pages read (the same summaries, the same
scope: a channel manager's own partners, every partner for an administrator), so a
partner is dormant or at risk here for exactly the reasons, and in the numbers, the
program pages give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from hub.i18n import N_
from hub.services.program.views import PartnerInsight, Program
from hub.widgets.base import VENDOR, Size, Widget, WidgetContext, WidgetView
from hub.widgets.program_words import (
    SPARED_NAMES,
    STATUS_NAMES,
    STATUS_ORDER,
    label,
    reason_text,
    source_name,
)

MAX_PARTNERS = 10
MAX_DORMANT = 6


def needs_you_first(found: Program) -> list[PartnerInsight]:
    """Dormant first, then at risk, then active, each by value at risk (the list's order)."""
    return sorted(
        found.partners,
        key=lambda p: (STATUS_ORDER[p.dormancy.status], -p.value.at_risk, p.org.name),
    )


@dataclass(frozen=True)
class Row:
    """One partner as the widgets show it, its words already in the reader's language."""

    slug: str
    name: str
    tier: str
    region: str
    status: str
    state: str  # the status in words
    spared: str  # why a partner with evidence is not flagged, in words ("" when flagged)
    reason: str  # the first reason with its figure and source ("" when none)
    more_reasons: int
    since: datetime | None  # dormant or at risk since
    value_at_risk: Decimal
    star: bool


def row_of(partner: PartnerInsight, context: WidgetContext) -> Row:
    dormancy = partner.dormancy
    reasons = () if dormancy.spared else dormancy.reasons
    first = reasons[0] if reasons else None
    reason = (
        f"{reason_text(context.locale, first.code, first.days, first.detail)} "
        f"({source_name(context.backends, context.locale, first.source)})"
        if first
        else ""
    )
    return Row(
        partner.slug,
        partner.org.name,
        partner.org.tier,
        partner.org.region,
        dormancy.status,
        label(context.locale, STATUS_NAMES, dormancy.status),
        label(context.locale, SPARED_NAMES, dormancy.spared) if dormancy.spared else "",
        reason,
        max(0, len(reasons) - 1),
        dormancy.since if dormancy.status != "active" else None,
        partner.value.at_risk,
        partner.star,
    )


async def load_my_partners(context: WidgetContext) -> WidgetView:
    found = await context.services.program(context.principal.id, context.now)
    rows = needs_you_first(found)
    return WidgetView(
        figures={
            "partners": [row_of(p, context) for p in rows[:MAX_PARTNERS]],
            "more": max(0, len(rows) - MAX_PARTNERS),
            "counts": found.counts(),
            "currency": found.config.reporting_currency,
        },
        empty=not rows,
    )


async def load_quiet_partners(context: WidgetContext) -> WidgetView:
    found = await context.services.program(context.principal.id, context.now)
    dormant = [p for p in needs_you_first(found) if p.dormancy.status == "dormant"]
    return WidgetView(
        figures={
            "partners": [row_of(p, context) for p in dormant[:MAX_DORMANT]],
            "more": max(0, len(dormant) - MAX_DORMANT),
            "currency": found.config.reporting_currency,
        },
        empty=not dormant,
    )


WIDGETS = (
    Widget(
        name="my_partners",
        title=N_("My Partners"),
        description=N_(
            "Your partners by state (dormant, at risk, active) with the first reason and "
            "the value at risk, as the program pages count them."
        ),
        audiences=VENDOR,
        loader=load_my_partners,
        empty_hint=N_(
            "No partners are assigned to you yet. An administrator names you as a "
            "partner's channel manager."
        ),
        size=Size.LARGE,
    ),
    Widget(
        name="quiet_partners",
        title=N_("Dormant Partners"),
        description=N_("Your dormant partners with the reason and since when: the ones to call."),
        audiences=VENDOR,
        loader=load_quiet_partners,
        empty_hint=N_("None of your partners is dormant. Nobody to chase today."),
        size=Size.MEDIUM,
    ),
)
