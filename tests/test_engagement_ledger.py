"""The points ledger: double entry, idempotent, never overdrawn, never half-written."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import pytest
from sqlalchemy import func, select

from hub.db import Database
from hub.db.engagement import PointsEntry, PointsTransfer
from hub.resources import Hub
from hub.services.engagement import ledger
from hub.services.engagement.errors import EngagementError
from tests.engagement_helpers import user_id

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


async def _fund(db: Database, key: str, points: int, spec: ledger.AccountSpec) -> None:
    async with db.transaction() as session:
        await ledger.ensure_accounts(session, [ledger.spec_for(ledger.PROGRAM), spec])
        await ledger.transfer(
            session,
            legs={ledger.PROGRAM: -points, key: points},
            reason="budget_grant",
            idempotency_key=f"fund:{key}",
            occurred_at=NOW,
        )


async def test_a_transfer_balances_and_a_repeat_writes_nothing(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    key = ledger.user_account(rep)
    await _fund(seeded.db, key, 40, ledger.spec_for(key))
    await _fund(seeded.db, key, 40, ledger.spec_for(key))
    async with seeded.db.session() as session:
        assert await ledger.balance(session, key) == 40
        assert await ledger.balance(session, ledger.PROGRAM) == -40
        assert await ledger.trial_balance(session) == (0, 0)
        assert await session.scalar(select(func.count(PointsTransfer.id))) == 1


async def test_legs_must_sum_to_zero(seeded: Hub) -> None:
    async with seeded.db.transaction() as session:
        with pytest.raises(ValueError, match="summing to zero"):
            await ledger.transfer(
                session,
                legs={ledger.PROGRAM: -5, "user:1": 4},
                reason="x",
                idempotency_key="bad",
                occurred_at=NOW,
            )


async def test_a_reversal_mirrors_the_transfer_once(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    key = ledger.user_account(rep)
    await _fund(seeded.db, key, 25, ledger.spec_for(key))
    async with seeded.db.transaction() as session:
        original = await session.scalar(select(PointsTransfer.id))
        assert original is not None
        first = await ledger.reverse(session, original, occurred_at=NOW)
        again = await ledger.reverse(session, original, occurred_at=NOW)
        assert first.created
        assert not again.created
    async with seeded.db.session() as session:
        assert await ledger.balance(session, key) == 0
        assert await session.scalar(select(func.count(PointsEntry.id))) == 4
        assert await ledger.account_drift(session) == []


async def test_concurrent_spending_never_overdraws_a_budget(seeded: Hub) -> None:
    cam = await user_id(seeded.db, "cam@vendor.example")
    rep = await user_id(seeded.db, "rep@acme.example")
    budget = ledger.budget_account(cam, "2026-Q4")
    spec = ledger.AccountSpec(budget, "budget", user_id=cam, period_key="2026-Q4")
    await _fund(seeded.db, budget, 100, spec)
    async with seeded.db.transaction() as session:
        await ledger.ensure_accounts(session, [ledger.spec_for(ledger.user_account(rep))])
    outcomes: list[str] = []

    async def spend(n: int) -> None:
        try:
            async with seeded.db.transaction() as session:
                await ledger.transfer(
                    session,
                    legs={budget: -7, ledger.user_account(rep): 7},
                    reason="recognition",
                    idempotency_key=f"spend:{n}",
                    occurred_at=NOW,
                )
            outcomes.append("ok")
        except EngagementError as error:
            outcomes.append(error.code)

    async with anyio.create_task_group() as group:
        for n in range(40):
            group.start_soon(spend, n)
    assert outcomes.count("ok") == 14  # 14 × 7 = 98 ≤ 100 < 15 × 7
    assert outcomes.count("insufficient_points") == 26
    async with seeded.db.session() as session:
        assert await ledger.balance(session, budget) == 2
        assert await ledger.balance(session, ledger.user_account(rep)) == 98
        assert await ledger.trial_balance(session) == (0, 0)
        assert await ledger.account_drift(session) == []


async def test_a_crash_midway_leaves_nothing_written(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    key = ledger.user_account(rep)

    async def award_then_crash() -> None:
        async with seeded.db.transaction() as session:
            await ledger.ensure_accounts(
                session, [ledger.spec_for(ledger.PROGRAM), ledger.spec_for(key)]
            )
            await ledger.transfer(
                session,
                legs={ledger.PROGRAM: -50, key: 50},
                reason="award",
                idempotency_key="half",
                occurred_at=NOW,
            )
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        await award_then_crash()
    async with seeded.db.session() as session:
        assert await session.scalar(select(func.count(PointsTransfer.id))) == 0
        assert await session.scalar(select(func.count(PointsEntry.id))) == 0
        assert await ledger.balance(session, key) == 0
