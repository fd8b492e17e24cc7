"""The partner owner's program widgets: status and tier, dollars spent, rebates earned."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hub.charts import Chart, Progress, target_chart
from hub.connectors.records import Deal, Kind, Money, PartnerAccount, Rebate
from hub.i18n import N_, translate
from hub.widgets.base import PARTNER, Size, Widget, WidgetContext, WidgetView, with_optional
from hub.widgets.figures import in_year, or_zero, totals

# The agreement states a PRM commonly reports, in words; another shows as the PRM says it.
AGREEMENT_WORDS = {
    "active": N_("Active"),
    "signed": N_("Signed"),
    "expired": N_("Expired"),
    "pending": N_("Pending signature"),
    "draft": N_("Draft"),
    "in_renewal": N_("In renewal"),
    "terminated": N_("Terminated"),
    "suspended": N_("Suspended"),
}


def agreement_words(status: str, locale: str) -> str:
    key = status.strip().lower().replace(" ", "_")
    return translate(locale, AGREEMENT_WORDS[key]) if key in AGREEMENT_WORDS else status


EARNED_REBATE = frozenset({"earned", "invoiced", "paid"})


@dataclass(frozen=True)
class TierRule:
    """What a tier asks for in a calendar year: closed-won revenue and won deals."""

    tier: str
    won_revenue: Decimal
    won_deals: int


# The program's default ladder, lowest first; amounts are in the partner's deal currency.
DEFAULT_LADDER = (
    TierRule("Registered", Decimal(0), 0),
    TierRule("Silver", Decimal(100_000), 5),
    TierRule("Gold", Decimal(500_000), 15),
    TierRule("Platinum", Decimal(1_500_000), 40),
)


@dataclass(frozen=True)
class NextTier:
    """The next rung, where the partner stands against its thresholds, and what is missing.

    ``currency`` is the main currency of the won deals (``None`` without any); revenue in
    other currencies does not count towards a threshold set in the partner's currency."""

    tier: str
    revenue_missing: Money | None
    deals_missing: int
    revenue_won: Decimal = Decimal(0)
    revenue_needed: Decimal = Decimal(0)
    deals_won: int = 0
    deals_needed: int = 0
    currency: str | None = None


def next_tier(
    account: PartnerAccount, won: list[Deal], ladder: tuple[TierRule, ...] = DEFAULT_LADDER
) -> NextTier | None:
    """The tier above ``account.tier`` and the gap to it; ``None`` at the top or off-ladder."""
    names = [rule.tier.lower() for rule in ladder]
    current = account.tier.strip().lower()
    if current not in names or names.index(current) + 1 >= len(ladder):
        return None
    rule = ladder[names.index(current) + 1]
    revenue = totals(deal.amount for deal in won)
    main = revenue[0] if revenue else None
    achieved = main.amount if main else Decimal(0)
    currency = main.currency if main else None
    missing = max(Decimal(0), rule.won_revenue - achieved)
    return NextTier(
        tier=rule.tier,
        revenue_missing=Money(missing, currency) if currency and missing else None,
        deals_missing=max(0, rule.won_deals - len(won)),
        revenue_won=achieved,
        revenue_needed=rule.won_revenue,
        deals_won=len(won),
        deals_needed=rule.won_deals,
        currency=currency,
    )


def tier_chart(step: NextTier | None, locale: str) -> Chart:
    """Where the partner stands against the next tier's thresholds, from the same
    ``NextTier`` whose gaps the widget prints; revenue without a currency (no won deal)
    and a threshold of zero have no bar."""
    progress = []
    if step is not None and step.currency and step.revenue_needed > 0:
        progress.append(
            Progress(
                translate(locale, N_("Closed-won revenue")),
                step.revenue_won,
                step.revenue_needed,
                step.revenue_won / step.revenue_needed,
                currency=step.currency,
            )
        )
    if step is not None and step.deals_needed > 0:
        progress.append(
            Progress(
                translate(locale, N_("Won deals")),
                Decimal(step.deals_won),
                Decimal(step.deals_needed),
                Decimal(step.deals_won) / step.deals_needed,
            )
        )
    return target_chart(
        translate(locale, N_("This year against %(tier)s"), tier=step.tier)
        if step is not None
        else "",
        progress,
        value_name=translate(locale, N_("Won so far")),
        target_name=translate(locale, N_("Needed")),
    )


async def load_program_status(context: WidgetContext) -> WidgetView:
    partner = context.require_partner()
    account_read, deals_read = await with_optional(
        context.backends.prm.partner_account(partner),
        context.backends.prm.deals.optional(partner),
    )
    account: PartnerAccount | None = account_read.value
    if account is None:
        return WidgetView.of([account_read], {}, empty=True)
    deals: list[Deal] = deals_read.value if deals_read else []
    won = [d for d in deals if d.is_won and in_year(d.closed_at, context.today)]
    renewal = account.agreement_end
    step = next_tier(account, won) if deals_read else None
    return WidgetView.of(
        [account_read, deals_read],
        {
            "account": account,
            "agreement": agreement_words(account.agreement_status, context.locale),
            "renewal": renewal,
            "expired": renewal is not None and renewal < context.today,
            "renewal_soon": renewal is not None and 0 <= (renewal - context.today).days <= 90,
            "days_to_renewal": (renewal - context.today).days if renewal else None,
            "next": step,
            "tier_chart": tier_chart(step, context.locale),
            "deals_known": deals_read is not None,
        },
        empty=False,
    )


async def load_dollars_spent(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.prm.deals(context.require_partner())
    deals: list[Deal] = fetched.value
    won = [d for d in deals if d.is_won and in_year(d.closed_at, context.today)]
    pipeline = [d for d in deals if not d.is_closed]
    every = totals(d.amount for d in deals)
    return WidgetView.of(
        [fetched],
        {
            "won": or_zero(totals(d.amount for d in won), every),
            "won_count": len(won),
            "pipeline": or_zero(totals(d.amount for d in pipeline), every),
            "pipeline_count": len(pipeline),
            "year": context.today.year,
        },
        empty=not won and not pipeline,
    )


async def load_rebates_earned(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.prm.rebates(context.require_partner())
    rebates: list[Rebate] = [r for r in fetched.value if in_year(r.period_end, context.today)]
    earned = [r for r in rebates if r.status in EARNED_REBATE]
    accruing = [r for r in rebates if r.status == "accrued"]
    # What is earned splits, without remainder, into paid, invoiced and waiting for the
    # invoice; what still accrues is not earned yet and is shown apart, with its period.
    # A rebate of nothing has nothing to invoice (as the next best action says): it is in
    # no part, and adds nothing to the total.
    paid = [r for r in earned if r.status == "paid"]
    to_invoice = [r for r in earned if r.status == "earned" and not r.invoice_submitted]
    awaiting_invoice = [r for r in to_invoice if r.amount.amount > 0]
    invoiced = [r for r in earned if r not in paid and r not in to_invoice]
    every = totals(r.amount for r in rebates)
    return WidgetView.of(
        [fetched],
        {
            "earned": or_zero(totals(r.amount for r in earned), every),
            "paid": or_zero(totals(r.amount for r in paid), every),
            "invoiced": totals(r.amount for r in invoiced),
            "awaiting": totals(r.amount for r in awaiting_invoice),
            "awaiting_invoice": len(awaiting_invoice),
            "accruing": or_zero(totals(r.amount for r in accruing), every),
            "accruing_until": max((r.period_end for r in accruing if r.period_end), default=None),
            "year": context.today.year,
        },
        empty=not rebates,
    )


WIDGETS = (
    Widget(
        name="program_status",
        title=N_("Program Status"),
        description=N_("Your tier, agreement and renewal, and what the next tier still needs."),
        audiences=PARTNER,
        loader=load_program_status,
        empty_hint=N_(
            "Your partner account is not set up in the partner portal yet. Contact your channel manager."
        ),
        source=Kind.PRM,
        size=Size.MEDIUM,
    ),
    Widget(
        name="dollars_spent",
        title=N_("Dollars Spent"),
        description=N_("Closed-won business this year and the open pipeline."),
        audiences=PARTNER,
        loader=load_dollars_spent,
        empty_hint=N_("No deals yet. Register your first deal in the partner portal."),
        source=Kind.PRM,
    ),
    Widget(
        name="rebates_earned",
        title=N_("Rebates Earned"),
        description=N_("Rebates earned and accruing this year."),
        audiences=PARTNER,
        loader=load_rebates_earned,
        empty_hint=N_("No rebates this year yet. Closed-won deals start accruing rebates."),
        source=Kind.PRM,
    ),
)
