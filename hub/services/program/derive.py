"""A partner's summary from the worker's rollups, without re-reading its history.

Everything :func:`hub.services.program.insight.summarize` reads from a history is here a
sum over the rollups (:mod:`hub.services.program.rollups`) taken at ``now``: decayed
metric values are one summed weight times one factor, windows are runs of whole days kept
summed per kind (:mod:`hub.services.program.windows`), the nth event of a stage is among
the first moments kept, pipeline and revenue are sums over the deals. So a summary costs a
few queries per batch of partners that read a few rows per partner and kind, however long
their histories are. Windows count whole days (an event on the day a window starts is
left out of it); that is the one way these figures can differ from a history's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.db import ActivityEvent, PartnerOrg
from hub.db.program import ProgramDeal, ProgramRollupKind
from hub.services.program import insight, windows
from hub.services.program.config import ProgramConfig
from hub.services.program.insight import Agreement, Evidence, GoalPace, Summary, Value
from hub.services.program.rollups import MILLION, Basis
from hub.services.program.windows import HISTORY_DAYS

GOAL_SNAPSHOT = "goal_progress"
AGREEMENT_SNAPSHOT = "agreement_state"
# A snapshot older than this says nothing about how things stand today.
SNAPSHOT_AGE = timedelta(days=3)
QUARTER = timedelta(days=91)
DIGITS = 9  # metric values are kept to this many decimals: the same whatever the fold order


def _pace(goal: str, share: str | None, elapsed: str | None) -> GoalPace | None:
    try:
        return GoalPace(goal, float(share or ""), float(elapsed or ""))
    except ValueError:
        return None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def snapshots(
    session: AsyncSession, now: datetime, org_ids: Sequence[int] | None
) -> tuple[dict[int, dict[str, GoalPace]], dict[int, Agreement]]:
    """Each partner's current goals and agreement: the latest snapshots of the last days
    (state, not activity, so they are read from the log and never rolled up)."""

    def latest(kind: str, *columns: Any) -> Any:
        """The snapshots of ``kind`` of the last days, oldest first (the later one wins)."""
        query = (
            select(ActivityEvent.partner_org_id, *columns)
            .where(
                ActivityEvent.kind == kind,
                ActivityEvent.occurred_at > now - SNAPSHOT_AGE,
                ActivityEvent.occurred_at <= now,
            )
            .order_by(ActivityEvent.occurred_at, ActivityEvent.id)
        )
        return query if org_ids is None else query.where(ActivityEvent.partner_org_id.in_(org_ids))

    goals_query = latest(
        GOAL_SNAPSHOT,
        ActivityEvent.user_id,
        ActivityEvent.object,
        ActivityEvent.payload["share"].as_string(),
        ActivityEvent.payload["elapsed"].as_string(),
    )
    agreements_query = latest(
        AGREEMENT_SNAPSHOT,
        ActivityEvent.payload["status"].as_string(),
        ActivityEvent.payload["end"].as_string(),
    )
    goals: dict[int, dict[str, GoalPace]] = {}
    for org_id, user_id, goal, share, elapsed in (await session.execute(goals_query)).all():
        pace = _pace(f"{user_id}:{goal}", share, elapsed)  # one person's goal
        if org_id is not None and pace is not None:
            goals.setdefault(int(org_id), {})[pace.goal] = pace  # the later snapshot wins
    agreements: dict[int, Agreement] = {}
    for org_id, status, end in (await session.execute(agreements_query)).all():
        if org_id is not None and status is not None:  # the later snapshot wins
            agreements[int(org_id)] = Agreement(status, _day(end))
    return goals, agreements


def _sum_if(condition: ColumnElement[bool], column: Any) -> Any:
    return func.sum(case((condition, column), else_=0))


@dataclass
class _Kind:
    """One kind's figures for one partner."""

    current: float = 0.0
    earlier: float = 0.0
    events: int = 0
    recent: int = 0  # the last UNREAD_DAYS
    quiet_window: int = 0  # the quiet days before a year ago
    return_window: int = 0  # the days after a year ago
    first_at: datetime | None = None
    last_at: datetime | None = None
    firsts: list[datetime] = field(default_factory=list)


async def _kinds(
    session: AsyncSession, ids: Sequence[int], config: ProgramConfig, now: datetime
) -> dict[int, dict[str, _Kind]]:
    found: dict[int, dict[str, _Kind]] = {}
    for org, by_kind in (await windows.bring(session, ids, config, now)).items():
        for kind, sums in by_kind.items():
            found.setdefault(org, {})[kind] = _Kind(
                sums["current"],
                sums["earlier"],
                int(sums["events"]),
                int(sums["recent"]),
                int(sums["quiet"]),
                int(sums["back"]),
            )
    moments = select(
        ProgramRollupKind.partner_org_id,
        ProgramRollupKind.kind,
        ProgramRollupKind.first_at,
        ProgramRollupKind.last_at,
        ProgramRollupKind.firsts,
    ).where(ProgramRollupKind.partner_org_id.in_(ids))
    for org, kind, first_at, last_at, firsts in (await session.execute(moments)).all():
        figures = found.setdefault(org, {}).setdefault(kind, _Kind())
        figures.first_at, figures.last_at = first_at, last_at
        figures.firsts = [datetime.fromisoformat(t) for t in firsts]
    return found


@dataclass
class _Deals:
    pipeline: dict[str, int] = field(default_factory=dict)  # by currency, millionths
    revenue: dict[str, int] = field(default_factory=dict)
    revenue_before: dict[str, int] = field(default_factory=dict)
    by_quarter: tuple[int, ...] = (0, 0, 0, 0, 0)
    won: list[tuple[datetime, int]] = field(default_factory=list)  # for a revenue KPI


async def _deals(
    session: AsyncSession, ids: Sequence[int], config: ProgramConfig, now: datetime
) -> dict[int, _Deals]:
    deal, won = ProgramDeal, aliased(ProgramDeal)
    found: dict[int, _Deals] = {org: _Deals() for org in ids}
    open_deals = (
        select(deal.partner_org_id, deal.currency, func.sum(deal.amount_e6))
        .where(
            deal.partner_org_id.in_(ids),
            deal.won.is_(False),
            deal.at >= now - timedelta(days=insight.PIPELINE_DAYS),
            deal.at <= now,
            ~exists().where(
                won.partner_org_id == deal.partner_org_id,
                won.won.is_(True),
                won.object == deal.object,
            ),
        )
        .group_by(deal.partner_org_id, deal.currency)
    )
    for org, currency, total in (await session.execute(open_deals)).all():
        found[org].pipeline[currency] = int(total or 0)
    year = now - timedelta(days=insight.REVENUE_DAYS)
    before = now - timedelta(days=insight.REVENUE_DAYS * 2)
    amount = func.coalesce(deal.amount_e6, 0)
    revenue = (
        select(
            deal.partner_org_id,
            deal.currency,
            _sum_if(deal.at >= year, amount),
            _sum_if(deal.at < year, amount),
            _sum_if(deal.at >= year, 1),
            _sum_if(deal.at < year, 1),
        )
        .where(deal.partner_org_id.in_(ids), deal.won.is_(True), deal.at >= before, deal.at <= now)
        .group_by(deal.partner_org_id, deal.currency)
    )
    for org, currency, last_year, year_before, n_last, n_before in (
        await session.execute(revenue)
    ).all():
        if n_last:
            found[org].revenue[currency] = int(last_year or 0)
        if n_before:
            found[org].revenue_before[currency] = int(year_before or 0)
    quarters = (
        select(
            deal.partner_org_id,
            *(
                _sum_if((deal.at > now - QUARTER * (i + 1)) & (deal.at <= now - QUARTER * i), 1)
                for i in range(5)
            ),
        )
        .where(deal.partner_org_id.in_(ids), deal.won.is_(False), deal.at > now - QUARTER * 5)
        .group_by(deal.partner_org_id)
    )
    for org, *counts in (await session.execute(quarters)).all():
        found[org].by_quarter = tuple(int(n or 0) for n in counts)
    if config.activation.kind in ("revenue", "monthly_revenue"):
        rows = await session.execute(
            select(deal.partner_org_id, deal.at, amount)
            .where(
                deal.partner_org_id.in_(ids),
                deal.won.is_(True),
                deal.at > now - timedelta(days=HISTORY_DAYS),
                deal.at <= now,
            )
            .order_by(deal.at, deal.event_id)
        )
        for org, at, e6 in rows.all():
            found[org].won.append((at, int(e6)))
    return found


def _money(by_currency: dict[str, int], rates: dict[str, float], missing: set[str]) -> Decimal:
    total = Decimal(0)
    for currency, e6 in by_currency.items():
        rate = rates.get(currency)
        if rate is None:
            missing.add(currency)
            continue
        total += Decimal(e6) / MILLION * Decimal(str(rate))
    return total


def _nth(kinds: dict[str, _Kind], wanted: Sequence[str], nth: int) -> datetime | None:
    moments = sorted(t for kind in set(wanted) if kind in kinds for t in kinds[kind].firsts)
    return moments[nth - 1] if len(moments) >= nth else None


def _last(kinds: dict[str, _Kind], wanted: Sequence[str] | frozenset[str]) -> datetime | None:
    moments = [f.last_at for kind, f in kinds.items() if kind in wanted and f.last_at]
    return max(moments) if moments else None


def _activated(
    kinds: dict[str, _Kind], deals: _Deals, joined: datetime, config: ProgramConfig
) -> datetime | None:
    kpi = config.activation
    moment: datetime | None = None
    if kpi.kind == "first_deal_registered":
        moment = _nth(kinds, ["deal_registered"], 1)
    elif kpi.kind in ("first_deal_won", "deals_won"):
        moment = _nth(kinds, ["deal_won"], 1 if kpi.kind == "first_deal_won" else kpi.count)
    else:
        moment = insight.revenue_reached(kpi, ((at, Decimal(e6) / MILLION) for at, e6 in deals.won))
    return insight.within(moment, joined, kpi)


def _summary(
    org: PartnerOrg,
    kinds: dict[str, _Kind],
    deals: _Deals,
    goals: dict[str, GoalPace],
    agreement: Agreement | None,
    config: ProgramConfig,
    basis: Basis,
    now: datetime,
) -> Summary:
    joined = min([org.created_at, *(f.first_at for f in kinds.values() if f.first_at)])
    factor_now = basis.factor(now)
    factor_then = basis.factor(now - timedelta(days=config.period_days))

    def total(wanted: Sequence[str] | frozenset[str], attr: str) -> float:
        return float(sum(getattr(kinds[kind], attr) for kind in set(wanted) if kind in kinds))

    stage_dates = insight.stage_dates_of(
        joined, config.stages, lambda wanted, nth: _nth(kinds, wanted, nth)
    )
    ignored = set(config.dormancy.not_meaningful)
    meaningful = frozenset(kind for kind in kinds if kind not in ignored)
    evidence = Evidence(
        joined_at=joined,
        last_meaningful=_last(kinds, meaningful),
        stage_dates=stage_dates,
        last_training=_last(kinds, insight.TRAINING_KINDS),
        last_deal=_last(kinds, ["deal_registered"]),
        deals_by_quarter=deals.by_quarter,
        emails_sent=int(total(["vendor_email_sent"], "recent")),
        emails_opened=int(total(["vendor_email_opened"], "recent")),
        quiet_year_ago=total(meaningful, "quiet_window") == 0,
        back_year_ago=total(meaningful, "return_window") > 0,
        agreement=agreement,
        goals=tuple(goals.values()),
    )
    missing: set[str] = set()
    value = Value(
        _money(deals.pipeline, config.rates, missing),
        _money(deals.revenue, config.rates, missing),
        _money(deals.revenue_before, config.rates, missing),
    )
    return Summary(
        joined_at=joined,
        current={
            m.id: round(total(m.kinds, "current") * factor_now, DIGITS) for m in config.metrics
        },
        earlier={
            m.id: round(total(m.kinds, "earlier") * factor_then, DIGITS) for m in config.metrics
        },
        with_data=tuple(m.id for m in config.metrics if total(m.kinds, "events") > 0),
        stage_dates=stage_dates,
        activated_at=_activated(kinds, deals, joined, config),
        dormancy=insight.dormancy_of(evidence, config, now),
        value=Value(value.pipeline, value.revenue, value.revenue_before, tuple(sorted(missing))),
        trainings=int(total(insight.TRAINING_KINDS, "events")),
        campaigns=int(total(["campaign_redistributed"], "events")),
        events=int(sum(f.events for f in kinds.values())),
    )


async def summaries(
    session: AsyncSession,
    org_ids: Sequence[int],
    config: ProgramConfig,
    basis: Basis,
    now: datetime,
) -> dict[int, Summary]:
    """The summaries of ``org_ids`` as of ``now``, from the rollups (in the caller's
    transaction, which should hold the rollups' state lock: the window sums it reads are
    brought up to ``now``'s day and kept)."""
    ids = sorted(set(org_ids))
    if not ids:
        return {}
    now = now.astimezone(UTC)
    orgs = (await session.scalars(select(PartnerOrg).where(PartnerOrg.id.in_(ids)))).all()
    kinds = await _kinds(session, ids, config, now)
    deals = await _deals(session, ids, config, now)
    goals, agreements = await snapshots(session, now, ids)
    return {
        org.id: _summary(
            org,
            kinds.get(org.id, {}),
            deals[org.id],
            goals.get(org.id, {}),
            agreements.get(org.id),
            config,
            basis,
            now,
        )
        for org in orgs
    }
