"""Leaderboards by period and scope on the store's sorted sets, rebuilt from the ledger on demand.

A board is one sorted set per (scope, scope id, period): ``lb:org:3:month:2026-11``. Its
score is the points a user earned in the period (ledger credits to their account, by the
time the earning happened). A board the store does not hold yet (the in-process store
after a restart, a Redis flush) is first rebuilt from the ledger and marked ready; after
that each credit moves it with ``zincrby``. Users who opt out are left off every board.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg, User
from hub.db.engagement import (
    EngagementPreference,
    PointsAccount,
    PointsEntry,
    PointsTransfer,
)
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.periods import PERIODS, Period, PeriodKind, period_of
from hub.store import KeyValueStore

Scope = Literal["program", "org", "region"]
SCOPES: tuple[Scope, ...] = ("program", "org", "region")
# Spending points is not earning them: these transfers never move a board.
NOT_EARNING = ("redemption",)


@dataclass(frozen=True)
class Placement:
    """Where a user counts: their org and region, and whether they opted out."""

    user_id: int
    partner_org_id: int | None
    region: str | None
    opted_out: bool

    def scope_id(self, scope: Scope) -> str | None:
        if scope == "program":
            return "all"
        if scope == "org":
            return None if self.partner_org_id is None else str(self.partner_org_id)
        return self.region or None


@dataclass(frozen=True)
class Credit:
    """Points a user earned (or, negative, lost by a reversal) at a moment."""

    user_id: int
    points: int
    occurred_at: datetime


@dataclass(frozen=True)
class Standing:
    """One line of a board: 1-based rank (tied points share one), user, points."""

    rank: int
    user_id: int
    points: int


@dataclass(frozen=True)
class Leaderboard:
    """The top of a board and the caller's own line (``None`` when opted out or not on it)."""

    scope: Scope
    scope_id: str | None
    period: Period
    top: list[Standing]
    me: Standing | None
    opted_out: bool = False  # the caller chose to stay off the boards


def board_key(scope: Scope, scope_id: str, period: Period) -> str:
    return f"lb:{scope}:{scope_id}:{period.kind}:{period.key}"


async def placements(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, Placement]:
    """Each user's org, region and opt-out choice."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(
            User.id,
            User.partner_org_id,
            PartnerOrg.region,
            EngagementPreference.leaderboard_opt_out,
        )
        .outerjoin(PartnerOrg, PartnerOrg.id == User.partner_org_id)
        .outerjoin(EngagementPreference, EngagementPreference.user_id == User.id)
        .where(User.id.in_(ids))
    )
    return {
        user_id: Placement(user_id, org_id, region, bool(opted_out))
        for user_id, org_id, region, opted_out in rows
    }


async def record_credits(
    store: KeyValueStore, credits: Sequence[Credit], where: dict[int, Placement]
) -> None:
    """Move every ready board these credits touch; call after the ledger commit."""
    by_day: dict[tuple[int, date], int] = defaultdict(int)
    for credit in credits:
        by_day[credit.user_id, credit.occurred_at.astimezone(UTC).date()] += credit.points
    periods: dict[date, list[Period]] = {}
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for (user_id, day), points in by_day.items():
        placement = where.get(user_id)
        if placement is None or placement.opted_out or points == 0:
            continue
        if day not in periods:
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            periods[day] = [period_of(kind, noon) for kind in PERIODS]
        for scope in SCOPES:
            scope_id = placement.scope_id(scope)
            if scope_id is None:
                continue
            for period in periods[day]:
                moves[board_key(scope, scope_id, period), str(user_id)] += points
    ready: dict[str, bool] = {}
    for (key, member), points in moves.items():
        if key not in ready:
            ready[key] = await store.get(f"{key}:ready") is not None
        if ready[key] and points:
            await store.zincrby(key, member, points)


async def standings_from_ledger(
    session: AsyncSession, scope: Scope, scope_id: str, period: Period
) -> dict[int, int]:
    """Points earned per user in ``period`` within the scope, from the ledger itself."""
    conditions = [
        PointsAccount.kind == "user",
        PointsTransfer.occurred_at >= period.starts_at,
        PointsTransfer.occurred_at < period.ends_at,
        PointsTransfer.reason.not_in(NOT_EARNING),
        func.coalesce(EngagementPreference.leaderboard_opt_out, False).is_(False),
    ]
    if scope == "org":
        conditions.append(User.partner_org_id == int(scope_id))
    elif scope == "region":
        conditions.append(PartnerOrg.region == scope_id)
    rows = await session.execute(
        select(PointsAccount.user_id, func.sum(PointsEntry.amount))
        .join(PointsAccount, PointsAccount.id == PointsEntry.account_id)
        .join(PointsTransfer, PointsTransfer.id == PointsEntry.transfer_id)
        .join(User, User.id == PointsAccount.user_id)
        .outerjoin(PartnerOrg, PartnerOrg.id == User.partner_org_id)
        .outerjoin(EngagementPreference, EngagementPreference.user_id == User.id)
        .where(and_(*conditions))
        .group_by(PointsAccount.user_id)
    )
    return {int(user_id): int(total) for user_id, total in rows if user_id is not None}


async def rebuild_board(
    db: Database, store: KeyValueStore, scope: Scope, scope_id: str, period: Period
) -> None:
    """Replace a board with the ledger's figures and mark it ready."""
    async with db.session() as session:
        scores = await standings_from_ledger(session, scope, scope_id, period)
    key = board_key(scope, scope_id, period)
    await store.delete(key)
    await store.zadd(key, {str(user_id): float(points) for user_id, points in scores.items()})
    await store.set(f"{key}:ready", "1")


async def leaderboard(
    db: Database,
    store: KeyValueStore,
    *,
    user_id: int,
    scope: Scope = "program",
    period: PeriodKind = "month",
    now: datetime,
    limit: int = 10,
) -> Leaderboard:
    """The top ``limit`` of the caller's board for ``scope`` and ``period``, and their own line."""
    if scope not in SCOPES or period not in PERIODS:
        raise EngagementError("invalid_board", f"no leaderboard for {scope!r} by {period!r}")
    if not 1 <= limit <= 100:
        raise EngagementError("invalid_board", "limit: must be between 1 and 100")
    async with db.session() as session:
        placement = (await placements(session, [user_id])).get(user_id)
    if placement is None:
        raise EngagementError("not_found", f"no user {user_id}")
    current = period_of(period, now)
    scope_id = placement.scope_id(scope)
    if scope_id is None:
        return Leaderboard(scope, None, current, [], None, placement.opted_out)
    key = board_key(scope, scope_id, current)
    if await store.get(f"{key}:ready") is None:
        await rebuild_board(db, store, scope, scope_id, current)
    # Two independent reads, sent together: one round trip of latency instead of two.
    member = str(user_id)
    ranked, score = await asyncio.gather(
        store.zrevrange(key, 0, limit - 1), store.zscore(key, member)
    )
    top = competition_ranks(ranked)
    me = None
    if not placement.opted_out and score is not None:
        me = Standing(await _rank_of(store, key, score, top), user_id, round(score))
    return Leaderboard(scope, scope_id, current, top, me, placement.opted_out)


def competition_ranks(ranked: Sequence[tuple[str, float]]) -> list[Standing]:
    """Standings from a board's top, highest first, with tied points sharing a rank and the
    next rank skipping as many places as were tied (1, 2, 2, 4: standard competition ranking)."""
    top: list[Standing] = []
    for place, (name, points) in enumerate(ranked, 1):
        rank = top[-1].rank if top and round(points) == top[-1].points else place
        top.append(Standing(rank, int(name), round(points)))
    return top


async def _rank_of(store: KeyValueStore, key: str, score: float, top: list[Standing]) -> int:
    """The rank a score holds on the board: one more than how many score more.

    A score at or above the last shown line is ranked from the lines shown (everyone who
    scores more is among them), so the caller's line agrees with the table at no extra read;
    only below it does the store count."""
    points = round(score)
    if top and points >= top[-1].points:
        return 1 + sum(1 for line in top if line.points > points)
    return 1 + await store.zcount_above(key, score)


async def set_opt_out(db: Database, store: KeyValueStore, user_id: int, opted_out: bool) -> None:
    """Record the user's choice and take them off (or put them back on) every ready board."""
    async with db.transaction() as session:
        preference = await session.get(EngagementPreference, user_id)
        if preference is None:
            session.add(EngagementPreference(user_id=user_id, leaderboard_opt_out=opted_out))
        else:
            preference.leaderboard_opt_out = opted_out
        placement = (await placements(session, [user_id]))[user_id]
        rows = await session.execute(
            select(PointsTransfer.occurred_at, PointsEntry.amount)
            .join(PointsEntry, PointsEntry.transfer_id == PointsTransfer.id)
            .join(PointsAccount, PointsAccount.id == PointsEntry.account_id)
            .where(
                PointsAccount.user_id == user_id,
                PointsAccount.kind == "user",
                PointsTransfer.reason.not_in(NOT_EARNING),
            )
        )
        boards: dict[str, int] = defaultdict(int)
        for occurred_at, amount in rows:
            for scope in SCOPES:
                scope_id = placement.scope_id(scope)
                for kind in PERIODS if scope_id is not None else ():
                    boards[board_key(scope, scope_id or "", period_of(kind, occurred_at))] += amount
    for key, points in boards.items():
        if opted_out:
            await store.zrem(key, str(user_id))
        elif await store.get(f"{key}:ready") is not None:
            await store.zadd(key, {str(user_id): float(points)})
