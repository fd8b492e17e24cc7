"""The sales rep's incentive widgets: goal, SPIF eligibility, requirements, claims."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hub.charts import Chart, Progress, row_chart, target_chart, trend_chart
from hub.connectors.records import IncentiveClaim, IncentiveGoal, Kind, Spiff
from hub.i18n import N_, format_period, translate
from hub.widgets.base import PARTNER, Size, Widget, WidgetContext, WidgetView
from hub.widgets.figures import is_currency, totals

MAX_GOALS = 4
CLAIM_ORDER = ("submitted", "in_review", "approved", "paid", "rejected")
CLAIM_NAMES = {
    "submitted": N_("Submitted"),
    "in_review": N_("In review"),
    "approved": N_("Approved"),
    "paid": N_("Paid"),
    "rejected": N_("Rejected"),
}


@dataclass(frozen=True)
class GoalRow:
    """One current goal as the widget prints it, and as its chart draws it."""

    goal: IncentiveGoal
    reached: Decimal  # achieved / target, past 1 when over-achieved
    elapsed: Decimal
    pace: str
    money: bool
    remaining: Decimal
    days_left: int


async def load_progress_to_goal(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.incentives.goals(context.person)
    goals: list[IncentiveGoal] = [
        g for g in fetched.value if g.period_start <= context.today <= g.period_end
    ]
    rows = [
        GoalRow(
            goal=goal,
            reached=goal.achieved / goal.target if goal.target > 0 else Decimal(0),
            elapsed=elapsed(goal, context.today),
            pace=pace(goal, context.today),
            money=is_currency(goal.unit),
            remaining=max(Decimal(0), goal.target - goal.achieved),
            days_left=(goal.period_end - context.today).days,
        )
        for goal in sorted(goals, key=lambda g: g.period_end)
    ]
    shown = rows[:MAX_GOALS]
    periods = (format_period(r.goal.period_start, r.goal.period_end, context.locale) for r in shown)
    return WidgetView.of(
        [fetched],
        {
            "goals": shown,
            "more": max(0, len(rows) - MAX_GOALS),
            "chart": goal_chart(shown, context.locale),
            "period": ", ".join(dict.fromkeys(periods)),
            "trend": trend_of(shown, context.locale),
        },
        empty=not rows,
    )


def goal_chart(rows: list[GoalRow], locale: str) -> Chart:
    """The goals the widget lists, as bars against their targets with the pace marked:
    the very figures its lines of text print (achieved, target, share, time gone)."""
    return target_chart(
        translate(locale, N_("Goals against target")),
        [
            Progress(
                row.goal.name,
                row.goal.achieved,
                row.goal.target,
                row.reached,
                row.elapsed,
                row.goal.unit if row.money else "",
            )
            for row in rows
        ],
        value_name=translate(locale, N_("Achieved")),
        target_name=translate(locale, N_("Target")),
    )


@dataclass(frozen=True)
class GoalTrend:
    """One goal's way through its period as the widget draws it, and the period's name."""

    row: GoalRow
    chart: Chart
    period: str
    over: Decimal  # how far the total is past the target (0 when it is not)


def trend_of(rows: list[GoalRow], locale: str) -> GoalTrend | None:
    """The first goal listed whose platform reports its way through the period, as a line
    against the straight pace line to its target; ``None`` when no goal has such a series.

    A series whose last point is not the goal's total is not drawn: the chart would
    contradict the figure printed beside it."""
    for row in rows:
        goal = row.goal
        if not goal.progress or goal.target <= 0 or goal.progress[-1].achieved != goal.achieved:
            continue
        if any(point.achieved < 0 for point in goal.progress):
            continue
        chart = trend_chart(
            translate(locale, N_("%(goal)s against the pace to its target"), goal=goal.name),
            goal.period_start,
            goal.period_end,
            [(point.day, point.achieved) for point in goal.progress],
            goal.target,
            value_name=translate(locale, N_("Achieved")),
            pace_name=translate(locale, N_("Pace to target")),
            target_name=translate(locale, N_("Target")),
            currency=goal.unit if row.money else "",
        )
        period = format_period(goal.period_start, goal.period_end, locale)
        return GoalTrend(row, chart, period, max(Decimal(0), goal.achieved - goal.target))
    return None


# Within this share of where the time gone says a goal should be, it is on pace.
PACE_TOLERANCE = Decimal("0.9")


def elapsed(goal: IncentiveGoal, today: date) -> Decimal:
    """The share of the goal's period gone by the end of ``today``."""
    days = (goal.period_end - goal.period_start).days + 1
    return min(Decimal(1), Decimal((today - goal.period_start).days + 1) / days)


def pace(goal: IncentiveGoal, today: date) -> str:
    """``met``, ``ahead``, ``on`` or ``behind``: what is reached against the time gone."""
    if goal.target <= 0 or goal.achieved >= goal.target:
        return "met"
    reached = goal.achieved / goal.target
    gone = elapsed(goal, today)
    if reached >= gone:
        return "ahead"
    return "on" if reached >= gone * PACE_TOLERANCE else "behind"


def _open(spiff: Spiff, context: WidgetContext) -> bool:
    return spiff.starts <= context.today <= spiff.ends


SPIFFS_SHOWN = 4


async def load_spiff_eligibility(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.incentives.spiffs(context.person)
    spiffs: list[Spiff] = [s for s in fetched.value if _open(s, context)]
    eligible = sorted((s for s in spiffs if s.eligible), key=lambda s: s.ends)
    return WidgetView.of(
        [fetched],
        {
            "eligible": eligible,
            "shown": eligible[:SPIFFS_SHOWN],
            # The ones not listed, so that the listed rewards and these add up to the total.
            "unlisted": totals(s.reward for s in eligible[SPIFFS_SHOWN:]),
            "not_eligible": len(spiffs) - len(eligible),
            "potential": totals(s.reward for s in eligible),
        },
        empty=not spiffs,
    )


async def load_requirements_to_earn(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.incentives.spiffs(context.person)
    open_spiffs: list[Spiff] = [
        s for s in fetched.value if _open(s, context) and s.eligible and s.progress < 1
    ]
    ordered = sorted(open_spiffs, key=lambda s: (-s.progress, s.ends))
    return WidgetView.of([fetched], {"spiffs": ordered[:4]}, empty=not ordered)


async def load_claim_status(context: WidgetContext) -> WidgetView:
    fetched = await context.backends.incentives.claims(context.person)
    claims: list[IncentiveClaim] = sorted(fetched.value, key=lambda c: c.submitted_at, reverse=True)
    counts = Counter(c.status for c in claims)
    shown = [(status, counts[status]) for status in CLAIM_ORDER if counts[status]]
    names = {status: translate(context.locale, name) for status, name in CLAIM_NAMES.items()}
    return WidgetView.of(
        [fetched],
        {
            "counts": shown,
            "names": names,
            "recent": claims[:5],
            "paid": totals(c.amount for c in claims if c.status == "paid"),
            "chart": row_chart(
                translate(context.locale, N_("Claims by status")),
                [names[status] for status, _ in shown],
                [float(count) for _, count in shown],
                name=translate(context.locale, N_("Claims")),
                compact=True,
            ),
        },
        empty=not claims,
    )


WIDGETS = (
    Widget(
        name="progress_to_goal",
        title=N_("Progress to Goal"),
        description=N_("How far you are towards this period's goals."),
        audiences=PARTNER,
        loader=load_progress_to_goal,
        empty_hint=N_("No goal is set for this period. Ask your manager to set one."),
        source=Kind.INCENTIVES,
        size=Size.MEDIUM,
    ),
    Widget(
        name="spiff_eligibility",
        title=N_("SPIF Eligibility"),
        description=N_("Open SPIFs and promotions you are eligible for, and what they pay."),
        audiences=PARTNER,
        loader=load_spiff_eligibility,
        empty_hint=N_("No SPIFs are running right now. New promotions show up here."),
        source=Kind.INCENTIVES,
    ),
    Widget(
        name="requirements_to_earn",
        title=N_("Requirements to Earn"),
        description=N_("What each open SPIF still needs from you."),
        audiences=PARTNER,
        loader=load_requirements_to_earn,
        empty_hint=N_("Nothing left to do: you have met every open SPIF's requirements."),
        source=Kind.INCENTIVES,
        size=Size.MEDIUM,
    ),
    Widget(
        name="claim_status",
        title=N_("Claim Status"),
        description=N_("Your incentive claims and where each one stands."),
        audiences=PARTNER,
        loader=load_claim_status,
        empty_hint=N_("No claims yet. Claim a SPIF reward in the incentive portal."),
        source=Kind.INCENTIVES,
    ),
)
