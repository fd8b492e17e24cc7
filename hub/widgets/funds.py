"""Market development and co-op funds: co-op earned, MDF spent, MDF available."""

from __future__ import annotations

from datetime import date

from hub.charts import Chart, row_chart
from hub.connectors.records import FundAllocation, FundClaim, FundRequest, FundType, Kind, Money
from hub.i18n import N_, format_period, translate
from hub.widgets.base import PARTNER, Widget, WidgetContext, WidgetView, both
from hub.widgets.figures import or_zero, subtract, totals

SPENT_CLAIM = frozenset({"approved", "paid"})
PENDING_CLAIM = frozenset({"submitted"})
COMMITTED_REQUEST = frozenset({"submitted", "approved"})


def money_charts(title: str, parts: list[tuple[str, list[Money]]], locale: str) -> list[Chart]:
    """One compact bar chart per currency of the figures ``parts`` name, so euros never
    share a scale with dollars. Each bar is one of the widget's printed totals in that
    currency; a currency with nothing but zeros is the empty chart, not a row of zeros."""
    currencies = dict.fromkeys(m.currency for _, amounts in parts for m in amounts)
    charts = []
    for currency in currencies:
        values = [
            next((float(m.amount) for m in amounts if m.currency == currency), 0.0)
            for _, amounts in parts
        ]
        # Bars start at zero: an overdrawn figure gets none (the text says by how much).
        shown = [v if v >= 0 and any(values) else None for v in values]
        charts.append(
            row_chart(
                translate(locale, title),
                [translate(locale, name) for name, _ in parts],
                shown,
                name=currency,
                currency=currency,
                compact=True,
            )
        )
    return charts


def _active(allocation: FundAllocation, today: date) -> bool:
    return allocation.start <= today <= allocation.end and allocation.status != "cancelled"


def _next_deadline(claims: list[FundClaim], today: date) -> date | None:
    open_deadlines = [
        c.claim_deadline
        for c in claims
        if c.claim_deadline and c.claim_deadline >= today and c.status == "draft"
    ]
    return min(open_deadlines, default=None)


async def load_coop_earned(context: WidgetContext) -> WidgetView:
    partner = context.require_partner()
    allocations_read, claims_read = await both(
        context.backends.prm.fund_allocations(partner),
        context.backends.prm.fund_claims(partner),
    )
    allocations: list[FundAllocation] = [
        a
        for a in allocations_read.value
        if a.fund_type == FundType.COOP and _active(a, context.today)
    ]
    claims: list[FundClaim] = [c for c in claims_read.value if c.fund_type == FundType.COOP]
    earned = totals(a.amount for a in allocations)
    claimed = or_zero(totals(c.amount for c in claims if c.status in SPENT_CLAIM), earned)
    return WidgetView.of(
        [allocations_read, claims_read],
        {
            "earned": earned,
            "claimed": claimed,
            "remaining": subtract(earned, claimed),
            "deadline": _next_deadline(claims, context.today),
            "ends": min((a.end for a in allocations), default=None),
            # The period the allocations cover, by its name ("Q4 2026", "2026").
            "period": format_period(
                min(a.start for a in allocations), max(a.end for a in allocations), context.locale
            )
            if allocations
            else "",
        },
        empty=not allocations and not claims,
    )


async def load_mdf_spent(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.prm.fund_claims(context.require_partner())
    claims: list[FundClaim] = [c for c in fetched.value if c.fund_type == FundType.MDF]
    spent = [c for c in claims if c.status in SPENT_CLAIM]
    pending = [c for c in claims if c.status in PENDING_CLAIM]
    any_amount = totals(c.amount for c in claims)
    spent_total = or_zero(totals(c.amount for c in spent), any_amount)
    pending_total = or_zero(totals(c.amount for c in pending), any_amount)
    return WidgetView.of(
        [fetched],
        {
            "spent": spent_total,
            "spent_count": len(spent),
            "pending": pending_total,
            "pending_count": len(pending),
            "deadline": _next_deadline(claims, context.today),
            "charts": money_charts(
                N_("MDF claimed"),
                [(N_("Spent"), spent_total), (N_("In review"), pending_total)],
                context.locale,
            ),
        },
        empty=not claims,
    )


async def load_mdf_available(context: WidgetContext) -> WidgetView:
    partner = context.require_partner()
    allocations_read, requests_read = await both(
        context.backends.prm.fund_allocations(partner),
        context.backends.prm.fund_requests(partner),
    )
    allocations: list[FundAllocation] = [
        a
        for a in allocations_read.value
        if a.fund_type == FundType.MDF and _active(a, context.today)
    ]
    ids = {a.id for a in allocations}
    requests: list[FundRequest] = [
        r
        for r in requests_read.value
        if r.fund_type == FundType.MDF
        and r.status in COMMITTED_REQUEST
        and (r.allocation_id is None or r.allocation_id in ids)
    ]
    allocated = totals(a.amount for a in allocations)
    committed = or_zero(totals(r.amount for r in requests), allocated)
    available = subtract(allocated, committed)
    return WidgetView.of(
        [allocations_read, requests_read],
        {
            "available": available,
            "allocated": allocated,
            "committed": committed,
            "ends": min((a.end for a in allocations), default=None),
            "charts": money_charts(
                N_("MDF this period"),
                [
                    (N_("Allocated"), allocated),
                    (N_("Requested or approved"), committed),
                    (N_("Available"), available),
                ],
                context.locale,
            ),
        },
        empty=not allocations,
    )


WIDGETS = (
    Widget(
        name="coop_earned",
        title=N_("Co-op Earned"),
        description=N_("Co-op funds earned this period, claimed and still to claim."),
        audiences=PARTNER,
        loader=load_coop_earned,
        empty_hint=N_("No co-op funds this period. Co-op accrues from your purchases."),
        source=Kind.PRM,
    ),
    Widget(
        name="mdf_spent",
        title=N_("MDF Spent"),
        description=N_("Market development funds claimed and paid, and claims in review."),
        audiences=PARTNER,
        loader=load_mdf_spent,
        empty_hint=N_("No MDF claims yet. Run an approved activity, then claim its costs."),
        source=Kind.PRM,
    ),
    Widget(
        name="mdf_available",
        title=N_("MDF Available"),
        description=N_("Market development funds you can still request this period."),
        audiences=PARTNER,
        loader=load_mdf_available,
        empty_hint=N_("No MDF allocated this period. Ask your channel manager about MDF."),
        source=Kind.PRM,
    ),
)
