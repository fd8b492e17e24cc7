"""Program insight as pure functions of partner histories: stages, activation, score, dormancy.

A :class:`History` is one partner org's events from the activity log (which the sync
fills from the backends and the hub records itself). Nothing here reads a database or a
clock: ``now`` and the settings are arguments, so hand-built histories give known
answers in the tests.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from hub.services.program.config import Activation, Metric, ProgramConfig, Stage

NORM_PERCENTILE = 0.9
PIPELINE_DAYS = 180
REVENUE_DAYS = 365
TRAINING_KINDS = frozenset({"course_completed", "quiz_passed"})
SEASON_RETURN_DAYS = 60
# Goals are behind pace when, on average, less of the target is reached than this share of
# the period gone (checked once a quarter of the period has gone).
PACE_FLOOR = 0.6
PACE_FROM = 0.25
# The vendor's emails are not reaching a partner when none sent lately was opened.
UNREAD_DAYS = 60
UNREAD_AT_LEAST = 3


@dataclass(frozen=True)
class Event:
    """One activity event as insight reads it; ``amount`` in ``currency`` for deals."""

    kind: str
    at: datetime
    user_id: int | None = None
    object: str = ""
    amount: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class GoalPace:
    """One incentive goal of the current period as last seen: target reached, time gone."""

    goal: str
    share: float  # of the target reached (1.0: met)
    elapsed: float  # of the period gone


@dataclass(frozen=True)
class Agreement:
    """The partner agreement as the PRM last reported it."""

    status: str
    ends: date | None


@dataclass(frozen=True)
class History:
    """A partner org, when it joined, and its events oldest first."""

    org_id: int
    slug: str
    name: str
    tier: str
    region: str
    partner_type: str
    joined_at: datetime
    events: tuple[Event, ...] = ()
    goals: tuple[GoalPace, ...] = ()  # its people's current goals, from the latest snapshot
    agreement: Agreement | None = None  # from the latest snapshot

    def of(self, kinds: Iterable[str]) -> list[Event]:
        """Its events of ``kinds``, oldest first."""
        wanted = frozenset(kinds)
        if len(wanted) == 1:
            return list(self._by_kind.get(next(iter(wanted)), ()))
        return [event for event in self.events if event.kind in wanted]

    @cached_property
    def _by_kind(self) -> dict[str, list[Event]]:
        found: dict[str, list[Event]] = {}
        for event in self.events:
            found.setdefault(event.kind, []).append(event)
        return found

    @property
    def cohort(self) -> str:
        """The quarter it joined, ``2026-Q1``."""
        return quarter_of(self.joined_at)


# --- journey stages -------------------------------------------------------------------


NthAt = Callable[[Sequence[str], int], "datetime | None"]  # when the nth of kinds happened


def stage_dates(history: History, stages: Sequence[Stage]) -> dict[str, datetime | None]:
    """When each stage was reached; a stage counts only once every earlier one has."""

    def nth_at(kinds: Sequence[str], nth: int) -> datetime | None:
        matching = history.of(kinds)
        return matching[nth - 1].at if len(matching) >= nth else None

    return stage_dates_of(history.joined_at, stages, nth_at)


def stage_dates_of(
    joined_at: datetime, stages: Sequence[Stage], nth_at: NthAt
) -> dict[str, datetime | None]:
    """Stage dates from when the partner joined and when the nth event of some kinds was."""
    dates: dict[str, datetime | None] = {}
    previous: datetime | None = joined_at
    for index, stage in enumerate(stages):
        if index == 0:
            reached: datetime | None = joined_at
        else:
            own = nth_at(stage.kinds, stage.nth)
            reached = max(own, previous) if own is not None and previous is not None else None
        dates[stage.id] = reached
        previous = reached
    return dates


def current_stage(dates: dict[str, datetime | None]) -> str:
    """The last stage reached (the first stage, joining, always is)."""
    reached = [stage for stage, at in dates.items() if at is not None]
    return reached[-1]


@dataclass(frozen=True)
class FunnelStep:
    """One stage: partners that reached it, conversion from the stage before, median days."""

    stage: str
    reached: int
    conversion: float | None  # None for the first stage
    median_days: float | None  # from the stage before, for those who reached both


@dataclass(frozen=True)
class Funnel:
    steps: tuple[FunnelStep, ...]
    stall: str | None  # the stage most partners do not get to from the one before


def funnel(histories: Sequence[History], stages: Sequence[Stage]) -> Funnel:
    """Counts, conversion and median days per stage; where most partners stall."""
    return funnel_of([stage_dates(history, stages) for history in histories], stages)


def funnel_of(all_dates: Sequence[dict[str, datetime | None]], stages: Sequence[Stage]) -> Funnel:
    """The funnel from each partner's stage dates (as :func:`stage_dates` gives them)."""
    steps: list[FunnelStep] = []
    for index, stage in enumerate(stages):
        reached = [dates for dates in all_dates if dates.get(stage.id) is not None]
        if index == 0:
            steps.append(FunnelStep(stage.id, len(reached), None, None))
            continue
        before = stages[index - 1].id
        base = sum(1 for dates in all_dates if dates.get(before) is not None)
        gaps = [
            (dates[stage.id] - dates[before]).total_seconds() / 86_400  # type: ignore[operator]
            for dates in reached
        ]
        steps.append(
            FunnelStep(
                stage.id,
                len(reached),
                len(reached) / base if base else None,
                statistics.median(gaps) if gaps else None,
            )
        )
    # Where most partners stall: the stage the most partners reached the one before of, but
    # not this one (the earlier stage on a tie).
    stuck = [
        (steps[i - 1].reached - steps[i].reached, -i, steps[i].stage) for i in range(1, len(steps))
    ]
    most = max(stuck) if stuck else None
    return Funnel(tuple(steps), most[2] if most and most[0] > 0 else None)


# --- activation ------------------------------------------------------------------------


def activated_at(history: History, kpi: Activation) -> datetime | None:
    """When the partner met the program's activation KPI, or ``None``."""
    moment: datetime | None = None
    if kpi.kind == "first_deal_registered":
        deals = history.of(["deal_registered"])
        moment = deals[0].at if deals else None
    elif kpi.kind in ("first_deal_won", "deals_won"):
        count = 1 if kpi.kind == "first_deal_won" else kpi.count
        won = history.of(["deal_won"])
        moment = won[count - 1].at if len(won) >= count else None
    else:
        moment = revenue_reached(
            kpi, ((event.at, event.amount or Decimal(0)) for event in history.of(["deal_won"]))
        )
    return within(moment, history.joined_at, kpi)


def revenue_reached(kpi: Activation, won: Iterable[tuple[datetime, Decimal]]) -> datetime | None:
    """When won deals (in time order) met a revenue KPI: an amount in all, or in each month.

    ``monthly_revenue``: revenue won in each of ``kpi.months`` calendar months in a row
    (UTC), at least ``kpi.amount`` each (any revenue when the amount is 0); the moment is
    the deal that completed the last of those months.
    """
    goal = Decimal(str(kpi.amount))
    if kpi.kind == "revenue":
        total = Decimal(0)
        for at, amount in won:
            total += amount
            if total >= goal:
                return at
        return None
    month, total, counted, run = -1, Decimal(0), -2, 0  # counted: the last month that met it
    for at, amount in won:
        if at.year * 12 + at.month != month:
            month, total = at.year * 12 + at.month, Decimal(0)
        total += amount
        if month == counted or total < goal or total <= 0:
            continue
        run = run + 1 if month == counted + 1 else 1
        counted = month
        if run >= kpi.months:
            return at
    return None


def within(moment: datetime | None, joined_at: datetime, kpi: Activation) -> datetime | None:
    """``moment`` if it is within the KPI's time from joining (when it sets one)."""
    if moment is None:
        return None
    if kpi.within_days is not None and moment - joined_at > timedelta(kpi.within_days):
        return None
    return moment


@dataclass(frozen=True)
class ActivationPoint:
    """At a month's end: partners joined by then, of them activated, and the rate."""

    month: str
    joined: int
    activated: int

    @property
    def rate(self) -> float | None:
        return self.activated / self.joined if self.joined else None


def month_ends(now: datetime, months: int) -> list[datetime]:
    """The last ``months`` month ends up to ``now`` (the current month ends at ``now``)."""
    ends = [now]
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months - 1):
        ends.append(first - timedelta(microseconds=1))
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(ends))


Moment = tuple[datetime, datetime | None]  # (joined, activated) of one partner


def activation_trend(
    histories: Sequence[History], kpi: Activation, now: datetime, months: int = 18
) -> list[ActivationPoint]:
    """The activation rate at each month's end, over the last ``months`` months."""
    moments = [(history.joined_at, activated_at(history, kpi)) for history in histories]
    return activation_trend_of(moments, now, months)


def activation_trend_of(
    moments: Sequence[Moment], now: datetime, months: int = 18
) -> list[ActivationPoint]:
    """The trend from each partner's (joined, activated) moments."""
    return [
        ActivationPoint(
            end.strftime("%Y-%m"),
            sum(1 for joined, _ in moments if joined <= end),
            sum(1 for joined, at in moments if joined <= end and at is not None and at <= end),
        )
        for end in month_ends(now, months)
    ]


@dataclass(frozen=True)
class Cohort:
    """Partners that joined in one quarter: how many, how many activated, median days."""

    cohort: str
    partners: int
    activated: int
    median_days: float | None


def quarter_of(moment: datetime) -> str:
    """``2026-Q1``."""
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def cohorts(histories: Sequence[History], kpi: Activation) -> list[Cohort]:
    """Time to activate by join cohort, oldest cohort first."""
    return cohorts_of([(history.joined_at, activated_at(history, kpi)) for history in histories])


def cohorts_of(moments: Sequence[Moment]) -> list[Cohort]:
    """Cohorts from each partner's (joined, activated) moments."""
    by: dict[str, list[Moment]] = {}
    for moment in moments:
        by.setdefault(quarter_of(moment[0]), []).append(moment)
    result = []
    for cohort, members in sorted(by.items()):
        days = [(at - joined).total_seconds() / 86_400 for joined, at in members if at is not None]
        result.append(
            Cohort(cohort, len(members), len(days), statistics.median(days) if days else None)
        )
    return result


# --- engagement score ------------------------------------------------------------------


def decayed(events: Iterable[Event], until: datetime, window_days: int, half_life: float) -> float:
    """Events in the window before ``until``, each weighed down by its age (half-life)."""
    since = until - timedelta(days=window_days)
    total = 0.0
    for event in events:
        if since < event.at <= until:
            total += 0.5 ** ((until - event.at).total_seconds() / 86_400 / half_life)
    return total


def metric_values(history: History, config: ProgramConfig, until: datetime) -> dict[str, float]:
    return {
        metric.id: decayed(
            history.of(metric.kinds), until, config.window_days, config.half_life_days
        )
        for metric in config.metrics
    }


@dataclass(frozen=True)
class Norms:
    """Per metric, the program's 90th-percentile value (what counts as full marks), or
    ``None`` when no partner has any data for it: that metric shows "no data"."""

    by_metric: dict[str, float | None]


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def norms(summaries: Sequence[Summary], config: ProgramConfig) -> Norms:
    """What full marks are for each metric, from every partner's value when summarised."""
    result: dict[str, float | None] = {}
    for metric in config.metrics:
        if not any(metric.id in summary.with_data for summary in summaries):
            result[metric.id] = None
            continue
        positive = [value for s in summaries if (value := s.current.get(metric.id, 0.0)) > 0]
        result[metric.id] = _percentile(positive, NORM_PERCENTILE) if positive else 1.0
    return Norms(result)


@dataclass(frozen=True)
class Part:
    """One metric's share of a score: ``points`` of the 100, or no data."""

    metric: str
    source: str
    value: float | None  # decayed count; None: no backend data for this metric
    points: float | None
    previous_points: float | None

    @property
    def moved(self) -> float | None:
        if self.points is None or self.previous_points is None:
            return None
        return self.points - self.previous_points


@dataclass(frozen=True)
class Score:
    """A partner's engagement score now and a period ago, explained metric by metric."""

    total: float
    previous: float
    parts: tuple[Part, ...]

    @property
    def moved(self) -> float:
        return self.total - self.previous

    @property
    def why(self) -> Part | None:
        """The metric that moved the score most since the last period."""
        moving = [part for part in self.parts if part.moved]
        return max(moving, key=lambda part: abs(part.moved or 0)) if moving else None


def _points(metric: Metric, value: float, norm: float, weight_sum: float) -> float:
    return 100 * metric.weight * min(1.0, value / norm) / weight_sum


def score(summary: Summary, config: ProgramConfig, scale: Norms) -> Score:
    """0–100 from the weighted metrics that have data, now and a period ago."""
    with_data = [m for m in config.metrics if scale.by_metric.get(m.id) is not None]
    weight_sum = sum(metric.weight for metric in with_data) or 1.0
    parts = []
    for metric in config.metrics:
        norm = scale.by_metric.get(metric.id)
        if norm is None:
            parts.append(Part(metric.id, metric.source, None, None, None))
            continue
        current = summary.current.get(metric.id, 0.0)
        parts.append(
            Part(
                metric.id,
                metric.source,
                current,
                _points(metric, current, norm, weight_sum),
                _points(metric, summary.earlier.get(metric.id, 0.0), norm, weight_sum),
            )
        )
    total = sum(part.points or 0 for part in parts)
    previous = sum(part.previous_points or 0 for part in parts)
    return Score(round(total, 1), round(previous, 1), tuple(parts))


# --- dormancy --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: what, its figure, and which system it comes from."""

    code: str
    days: int | None
    source: str
    detail: str = ""


@dataclass(frozen=True)
class Snooze:
    """A channel manager's decision not to be told about a partner until a date."""

    until: datetime
    reason: str
    by: str


@dataclass(frozen=True)
class Dormancy:
    """Whether a partner is dormant (no meaningful activity) or at risk, why and since when.

    ``spared`` says why a partner with evidence is not flagged: ``new`` (recruited
    recently), ``seasonal`` (the same pause last year, then back) or ``snoozed``.
    """

    status: str  # dormant | at_risk | active
    reasons: tuple[Reason, ...] = ()
    since: datetime | None = None
    spared: str = ""
    snooze: Snooze | None = None


def _days(now: datetime, then: datetime | None, fallback: datetime) -> int:
    return max(0, (now - (then or fallback)).days)


@dataclass(frozen=True)
class Evidence:
    """The figures dormancy is judged on, from a history or from the worker's rollups."""

    joined_at: datetime
    last_meaningful: datetime | None
    stage_dates: dict[str, datetime | None]
    last_training: datetime | None
    last_deal: datetime | None
    deals_by_quarter: tuple[int, ...]  # registered: the last quarter, then the four before
    emails_sent: int  # vendor emails in the last UNREAD_DAYS
    emails_opened: int
    quiet_year_ago: bool  # no meaningful activity in the quiet_days before a year ago
    back_year_ago: bool  # and some within SEASON_RETURN_DAYS after it
    agreement: Agreement | None = None
    goals: tuple[GoalPace, ...] = ()


def meaningful(events: Iterable[Event], config: ProgramConfig) -> list[Event]:
    """The events that count as meaningful activity (a bare sign-in, page view, survey
    answer or vendor email does not): what dormancy, and a playbook's outcome, look for."""
    ignored = config.dormancy.not_meaningful
    return [event for event in events if event.kind not in ignored]


def evidence(history: History, config: ProgramConfig, now: datetime) -> Evidence:
    """The dormancy figures of one history."""
    counted = meaningful(history.events, config)
    training = [e for e in history.events if e.kind in TRAINING_KINDS]
    deals = history.of(["deal_registered"])
    quarter = timedelta(days=91)
    since = now - timedelta(days=UNREAD_DAYS)
    year_ago = now - timedelta(days=365)
    quiet = config.dormancy.quiet_days
    return Evidence(
        joined_at=history.joined_at,
        last_meaningful=counted[-1].at if counted else None,
        stage_dates=stage_dates(history, config.stages),
        last_training=training[-1].at if training else None,
        last_deal=deals[-1].at if deals else None,
        deals_by_quarter=tuple(
            sum(1 for e in deals if now - quarter * (i + 1) < e.at <= now - quarter * i)
            for i in range(5)
        ),
        emails_sent=sum(1 for e in history.of(["vendor_email_sent"]) if since < e.at <= now),
        emails_opened=sum(1 for e in history.of(["vendor_email_opened"]) if since < e.at <= now),
        quiet_year_ago=not any(
            year_ago - timedelta(days=quiet) < e.at <= year_ago for e in counted
        ),
        back_year_ago=any(
            year_ago < e.at <= year_ago + timedelta(days=SEASON_RETURN_DAYS) for e in counted
        ),
        agreement=history.agreement,
        goals=history.goals,
    )


def dormancy(
    history: History,
    config: ProgramConfig,
    now: datetime,
    snooze: Snooze | None = None,
) -> Dormancy:
    """The evidence that a partner has gone quiet or is slipping, with the false alarms
    spared: new partners, a seasonal pause seen last year, a manager's snooze."""
    return dormancy_of(evidence(history, config, now), config, now, snooze)


def dormancy_of(
    found_evidence: Evidence,
    config: ProgramConfig,
    now: datetime,
    snooze: Snooze | None = None,
) -> Dormancy:
    """:func:`dormancy` from its figures."""
    rules = config.dormancy
    joined = found_evidence.joined_at
    last_meaningful = found_evidence.last_meaningful
    reasons: list[Reason] = []
    quiet_days = _days(now, last_meaningful, joined)
    if quiet_days >= rules.quiet_days:
        reasons.append(Reason("no_meaningful_activity", quiet_days, "activity log"))
    dates = found_evidence.stage_dates
    stage_ids = [stage.id for stage in config.stages]
    if len(stage_ids) > 1 and dates.get(stage_ids[1]) is None:
        reasons.append(Reason("onboarding_incomplete", _days(now, None, joined), "hub"))
    last_training = found_evidence.last_training
    if _days(now, last_training, joined) >= rules.training_days:
        reasons.append(Reason("training_stalled", _days(now, last_training, joined), "lms"))
    last_deal = found_evidence.last_deal
    if _days(now, last_deal, joined) >= rules.no_deal_days:
        reasons.append(Reason("no_deal", _days(now, last_deal, joined), "prm"))
    extra = (
        _agreement(found_evidence.agreement, now, rules.renewal_days),
        _falling_deals(found_evidence.deals_by_quarter),
        _behind_pace(found_evidence.goals),
        _unread(found_evidence.emails_sent, found_evidence.emails_opened),
    )
    for found_reason in extra:
        if found_reason is not None:
            reasons.append(found_reason)
    if not reasons:
        return Dormancy("active")
    status = "dormant" if reasons[0].code == "no_meaningful_activity" else "at_risk"
    since = last_meaningful or joined
    found = Dormancy(status, tuple(reasons), since)
    if now - joined < timedelta(days=rules.grace_days):
        return Dormancy("active", found.reasons, since, "new")
    year_ago = now - timedelta(days=365)
    seasonal = (
        joined <= year_ago - timedelta(days=rules.quiet_days)
        and found_evidence.quiet_year_ago
        and found_evidence.back_year_ago
    )
    if status == "dormant" and seasonal:  # quiet this time last year too, then back
        found = Dormancy("active", found.reasons, since, "seasonal")
    return with_snooze(found, snooze, now)


def _agreement(agreement: Agreement | None, now: datetime, renewal_days: int) -> Reason | None:
    """The partner agreement has lapsed (its status says so, or its end is past), or it
    ends within ``renewal_days``."""
    if agreement is None:
        return None
    today = now.date()
    if agreement.status.strip().lower() == "expired" or (
        agreement.ends is not None and agreement.ends < today
    ):
        days = (today - agreement.ends).days if agreement.ends is not None else None
        return Reason("agreement_lapsed", days, "prm")
    if agreement.ends is not None and (agreement.ends - today).days <= renewal_days:
        return Reason("agreement_ends_soon", (agreement.ends - today).days, "prm")
    return None


def _unread(sent: int, opened: int) -> Reason | None:
    """Its people were sent the vendor's emails lately and opened none of them."""
    if sent >= UNREAD_AT_LEAST and not opened:
        return Reason("vendor_emails_unopened", UNREAD_DAYS, "tcma", f"0/{sent}")
    return None


def _behind_pace(goals: Sequence[GoalPace]) -> Reason | None:
    """Its people's current incentive goals, on average, well behind the time gone."""
    if not goals:
        return None
    share = statistics.fmean(min(goal.share, 1.5) for goal in goals)
    elapsed = statistics.fmean(goal.elapsed for goal in goals)
    if elapsed >= PACE_FROM and share < PACE_FLOOR * elapsed:
        return Reason("goals_behind_pace", None, "incentives", f"{share:.4f}/{elapsed:.4f}")
    return None


def _falling_deals(by_quarter: Sequence[int]) -> Reason | None:
    """Deals registered in the last quarter against the partner's own four before it."""
    last, earlier = by_quarter[0], by_quarter[1:5]
    usual = sum(earlier) / len(earlier)
    if usual >= 2 and last < usual / 2:
        return Reason("deals_falling", None, "prm", f"{last} / {usual:.1f}")
    return None


# --- money and stars -------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """Pipeline (registered, not won, last 180 days) and revenue won over the last year,
    in the program's reporting currency at its rates."""

    pipeline: Decimal
    revenue: Decimal
    revenue_before: Decimal  # the year before, for growth
    unconverted: tuple[str, ...] = field(default=())  # currencies without a rate

    @property
    def at_risk(self) -> Decimal:
        return self.pipeline + self.revenue


def value(history: History, now: datetime, rates: dict[str, float]) -> Value:
    won_ids = {e.object for e in history.of(["deal_won"])}
    missing: set[str] = set()

    def converted(event: Event) -> Decimal:
        rate = rates.get(event.currency)
        if rate is None:
            missing.add(event.currency)
            return Decimal(0)
        return (event.amount or Decimal(0)) * Decimal(str(rate))

    pipeline = sum(
        (
            converted(e)
            for e in history.of(["deal_registered"])
            if e.object not in won_ids and now - e.at <= timedelta(days=PIPELINE_DAYS)
        ),
        Decimal(0),
    )
    year = timedelta(days=REVENUE_DAYS)
    won = history.of(["deal_won"])
    revenue = sum((converted(e) for e in won if now - e.at <= year), Decimal(0))
    before = sum((converted(e) for e in won if year < now - e.at <= year * 2), Decimal(0))
    return Value(pipeline, revenue, before, tuple(sorted(missing)))


# --- one partner, summarised -------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What the program pages need about one partner as of one moment, from its history:
    the worker keeps one per partner (:mod:`hub.services.program.summaries`)."""

    joined_at: datetime
    current: dict[str, float]  # decayed metric values now
    earlier: dict[str, float]  # and a period ago, for "what moved"
    with_data: tuple[str, ...]  # metrics with any event at all (else: "no data")
    stage_dates: dict[str, datetime | None]
    activated_at: datetime | None
    dormancy: Dormancy  # before any snooze, which the pages apply when they read
    value: Value
    trainings: int
    campaigns: int
    events: int


def summarize(history: History, config: ProgramConfig, now: datetime) -> Summary:
    """One partner's summary as of ``now``."""
    return Summary(
        joined_at=history.joined_at,
        current=metric_values(history, config, now),
        earlier=metric_values(history, config, now - timedelta(days=config.period_days)),
        with_data=tuple(m.id for m in config.metrics if history.of(m.kinds)),
        stage_dates=stage_dates(history, config.stages),
        activated_at=activated_at(history, config.activation),
        dormancy=dormancy(history, config, now),
        value=value(history, now, config.rates),
        trainings=len(history.of(TRAINING_KINDS)),
        campaigns=len(history.of(["campaign_redistributed"])),
        events=len(history.events),
    )


def with_snooze(found: Dormancy, snooze: Snooze | None, now: datetime) -> Dormancy:
    """A flagged (or seasonally spared) partner a manager snoozed is spared until then."""
    if snooze is None or snooze.until <= now or not found.reasons:
        return found
    if found.spared not in ("", "seasonal"):
        return found
    return Dormancy("active", found.reasons, found.since, "snoozed", snooze)
