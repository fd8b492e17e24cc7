"""Giving budgets: points the field team may give away in one period, lapsing when it ends.

A budget is a ledger account per giver and period (``budget:7:2026-Q4``), funded from the
program. What is left when the period closes goes back to the program (``lapse_budgets``);
a closed budget can no longer be spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from hub.db import Database, User
from hub.db.engagement import PointsAccount
from hub.personas.catalogue import roles
from hub.services.engagement import ledger
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.periods import Period, period_of
from hub.services.engagement.policy import RecognitionPolicy, recognition_policy


@dataclass(frozen=True)
class BudgetStatus:
    """A giver's budget for the current period (``available`` 0 when none was granted)."""

    period_key: str
    available: int
    closes_at: datetime  # the first moment after the period
    granted: bool
    opens_at: datetime

    @property
    def last_day(self) -> date:
        """The period's last day, as a person names it (``closes_at`` is the day after)."""
        return (self.closes_at - timedelta(microseconds=1)).date()


def budget_spec(giver_id: int, period: Period) -> ledger.AccountSpec:
    """The ledger account of ``giver_id``'s budget for ``period``."""
    return ledger.AccountSpec(
        ledger.budget_account(giver_id, period.key),
        "budget",
        user_id=giver_id,
        period_key=period.key,
        closes_at=period.ends_at,
    )


async def grant_budget(
    db: Database,
    *,
    giver_id: int,
    points: int,
    now: datetime,
    granted_by: int | None = None,
    idempotency_key: str | None = None,
) -> BudgetStatus:
    """Fund ``giver_id``'s budget for the current period; once per key (default: per period)."""
    if not 0 < points <= ledger.MAX_TRANSFER:
        raise EngagementError("absurd_amount", f"a budget grant is 1–{ledger.MAX_TRANSFER} points")
    async with db.transaction() as session:
        giver = await session.get(User, giver_id)
        if giver is None:
            raise EngagementError("not_found", f"no user {giver_id}")
        if not roles().vendor & set(giver.roles):  # vendor staff hold giving budgets
            raise EngagementError(
                "not_field_team", f"{giver.email} is not on the field team and gets no budget"
            )
        policy = await recognition_policy(session)
        period = period_of(policy.budget_period, now)
        spec = budget_spec(giver_id, period)
        await ledger.ensure_accounts(session, [ledger.spec_for(ledger.PROGRAM), spec])
        await ledger.transfer(
            session,
            legs={ledger.PROGRAM: -points, spec.key: points},
            reason="budget_grant",
            idempotency_key=idempotency_key or f"budget-grant:{spec.key}",
            occurred_at=now,
            actor_user_id=granted_by,
        )
        available = await ledger.balance(session, spec.key)
    return BudgetStatus(period.key, available, period.ends_at, True, period.starts_at)


async def budget_status(
    db: Database, giver_id: int, *, now: datetime, policy: RecognitionPolicy | None = None
) -> BudgetStatus:
    """What ``giver_id`` may still give this period (under ``policy`` if already read)."""
    async with db.session() as session:
        policy = policy or await recognition_policy(session)
        period = period_of(policy.budget_period, now)
        account = await session.scalar(
            select(PointsAccount).where(
                PointsAccount.key == ledger.budget_account(giver_id, period.key)
            )
        )
    if account is None:
        return BudgetStatus(period.key, 0, period.ends_at, False, period.starts_at)
    return BudgetStatus(period.key, account.balance, period.ends_at, True, period.starts_at)


async def lapse_budgets(db: Database, *, now: datetime) -> int:
    """Return what is left of every closed budget to the program; how many budgets lapsed."""
    async with db.session() as session:
        closed = (
            await session.scalars(
                select(PointsAccount.key).where(
                    PointsAccount.kind == "budget",
                    PointsAccount.closes_at <= now,
                    PointsAccount.balance > 0,
                )
            )
        ).all()
    lapsed = 0
    for key in closed:
        async with db.transaction() as session:
            left = await ledger.balance(session, key)
            if left <= 0:
                continue
            posted = await ledger.transfer(
                session,
                legs={key: -left, ledger.PROGRAM: left},
                reason="budget_lapse",
                idempotency_key=f"lapse:{key}",
                occurred_at=now,
            )
            lapsed += int(posted.created)
    return lapsed
