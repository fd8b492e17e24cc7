"""The points ledger, double-entry: every movement is a transfer whose entries sum to zero.

Accounts belong to a user, a partner org, a giving budget (one per giver and period) or the
program, which issues every point and so is the only account allowed below zero. Transfers
are never changed or deleted; a correction is a reversal. A balance is checked and moved
under a row lock (``SELECT … FOR UPDATE`` on PostgreSQL, the single writer lock on SQLite),
so concurrent requests can never overdraw an account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.engagement import PointsAccount, PointsEntry, PointsTransfer
from hub.db.writes import insert_ignoring_duplicates, take_write_lock
from hub.services.engagement.errors import EngagementError

AccountKind = Literal["user", "org", "budget", "program", "escrow"]
PROGRAM = "program"
ESCROW = "escrow"
# Far beyond any real award: a typo guard, not a business rule.
MAX_TRANSFER = 1_000_000


def user_account(user_id: int) -> str:
    """The ledger key of a user's points account."""
    return f"user:{user_id}"


def org_account(partner_org_id: int) -> str:
    """The ledger key of a partner org's points account."""
    return f"org:{partner_org_id}"


def budget_account(user_id: int, period_key: str) -> str:
    """The ledger key of a giver's budget for one period (``2026-Q4``)."""
    return f"budget:{user_id}:{period_key}"


@dataclass(frozen=True)
class AccountSpec:
    """What an account is, for creating it on first use."""

    key: str
    kind: AccountKind
    user_id: int | None = None
    partner_org_id: int | None = None
    period_key: str | None = None
    closes_at: datetime | None = None

    @property
    def may_go_negative(self) -> bool:
        return self.kind == "program"


def spec_for(key: str) -> AccountSpec:
    """The spec of a user, org, program or escrow account from its key alone."""
    if key in (PROGRAM, ESCROW):
        return AccountSpec(key, "program" if key == PROGRAM else "escrow")
    kind, _, rest = key.partition(":")
    if kind == "user":
        return AccountSpec(key, "user", user_id=int(rest))
    if kind == "org":
        return AccountSpec(key, "org", partner_org_id=int(rest))
    raise ValueError(f"budget accounts need their period: {key}")


async def ensure_accounts(session: AsyncSession, specs: Iterable[AccountSpec]) -> dict[str, int]:
    """The ids of these accounts, creating the missing ones; by key."""
    wanted = {spec.key: spec for spec in specs}
    if not wanted:
        return {}
    await insert_ignoring_duplicates(
        session,
        PointsAccount,
        [
            {
                "key": spec.key,
                "kind": spec.kind,
                "user_id": spec.user_id,
                "partner_org_id": spec.partner_org_id,
                "period_key": spec.period_key,
                "closes_at": spec.closes_at,
                "balance": 0,
                "may_go_negative": spec.may_go_negative,
            }
            for spec in wanted.values()
        ],
        unique=["key"],
    )
    rows = await session.execute(
        select(PointsAccount.key, PointsAccount.id).where(PointsAccount.key.in_(wanted))
    )
    return {str(key): int(account_id) for key, account_id in rows}


@dataclass(frozen=True)
class Posted:
    """A transfer and whether this call wrote it (``False``: the key was already there)."""

    transfer_id: int
    created: bool


async def transfer(
    session: AsyncSession,
    *,
    legs: Mapping[str, int],
    reason: str,
    idempotency_key: str,
    occurred_at: datetime,
    source_event_id: int | None = None,
    actor_user_id: int | None = None,
    memo: str = "",
    reverses_id: int | None = None,
) -> Posted:
    """Move points between accounts (by key; each must exist); ``legs`` must sum to zero.

    A second call with the same ``idempotency_key`` writes nothing and returns the first
    transfer. Raises ``EngagementError("insufficient_points")`` when an account other than
    the program would go below zero; the caller's transaction then rolls back whole.
    """
    amounts = {key: amount for key, amount in legs.items() if amount != 0}
    if len(amounts) < 2 or sum(amounts.values()) != 0:
        raise ValueError(f"a transfer needs two or more legs summing to zero: {dict(legs)}")
    if any(abs(amount) > MAX_TRANSFER for amount in amounts.values()):
        raise EngagementError("absurd_amount", f"no transfer may move more than {MAX_TRANSFER}")
    await take_write_lock(session)
    # Lock in key order so two transfers over the same accounts cannot deadlock.
    accounts = (
        await session.scalars(
            select(PointsAccount)
            .where(PointsAccount.key.in_(amounts))
            .order_by(PointsAccount.key)
            # FOR NO KEY UPDATE: we change balances only, so foreign-key checks of other
            # transactions (which take KEY SHARE) neither block us nor deadlock with us.
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    by_key = {account.key: account for account in accounts}
    if missing := set(amounts) - set(by_key):
        raise ValueError(f"no such ledger accounts: {sorted(missing)}")
    existing = await session.scalar(
        select(PointsTransfer.id).where(PointsTransfer.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return Posted(existing, created=False)
    for key, amount in amounts.items():
        account = by_key[key]
        if account.balance + amount < 0 and not account.may_go_negative:
            raise EngagementError(
                "insufficient_points",
                f"not enough points in {key}: {account.balance} available, {-amount} asked",
            )
    new = PointsTransfer(
        idempotency_key=idempotency_key,
        reason=reason,
        memo=memo,
        source_event_id=source_event_id,
        actor_user_id=actor_user_id,
        reverses_id=reverses_id,
        occurred_at=occurred_at,
    )
    session.add(new)
    await session.flush()
    session.add_all(
        PointsEntry(transfer_id=new.id, account_id=by_key[key].id, amount=amount)
        for key, amount in amounts.items()
    )
    for key, amount in amounts.items():
        await session.execute(
            update(PointsAccount)
            .where(PointsAccount.id == by_key[key].id)
            .values(balance=PointsAccount.balance + amount)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return Posted(new.id, created=True)


async def reverse(
    session: AsyncSession,
    transfer_id: int,
    *,
    occurred_at: datetime,
    reason: str = "correction",
    memo: str = "",
    actor_user_id: int | None = None,
) -> Posted:
    """Undo a transfer with its mirror image; a transfer is reversed at most once."""
    original = await session.get(PointsTransfer, transfer_id)
    if original is None:
        raise EngagementError("not_found", f"no transfer {transfer_id}")
    rows = await session.execute(
        select(PointsAccount.key, PointsEntry.amount)
        .join(PointsAccount, PointsAccount.id == PointsEntry.account_id)
        .where(PointsEntry.transfer_id == transfer_id)
    )
    legs: dict[str, int] = defaultdict(int)
    for key, amount in rows:
        legs[key] -= amount
    return await transfer(
        session,
        legs=legs,
        reason=reason,
        idempotency_key=f"reversal:{transfer_id}",
        occurred_at=occurred_at,
        source_event_id=original.source_event_id,
        actor_user_id=actor_user_id,
        memo=memo or f"reverses transfer {transfer_id}",
        reverses_id=transfer_id,
    )


@dataclass(frozen=True)
class Award:
    """Points the program gives one user for one reason (an event, a badge)."""

    user_id: int
    points: int
    reason: str
    idempotency_key: str
    occurred_at: datetime
    source_event_id: int | None = None


async def post_awards(session: AsyncSession, awards: list[Award]) -> list[Award]:
    """Credit many users from the program in a few statements; the awards newly written.

    Only the program account is debited, and it may go negative, so no balance check is
    needed; awards whose key was already posted are skipped.
    """
    awards = [award for award in awards if award.points > 0]
    if not awards:
        return []
    ids = await ensure_accounts(
        session,
        [spec_for(PROGRAM), *(spec_for(user_account(award.user_id)) for award in awards)],
    )
    written = await insert_ignoring_duplicates(
        session,
        PointsTransfer,
        [
            {
                "idempotency_key": award.idempotency_key,
                "reason": award.reason,
                "memo": "",
                "source_event_id": award.source_event_id,
                "occurred_at": award.occurred_at,
            }
            for award in awards
        ],
        unique=["idempotency_key"],
        returning=["idempotency_key", "id"],
    )
    transfer_ids = {str(key): int(transfer_id) for key, transfer_id in written}
    posted = [award for award in awards if award.idempotency_key in transfer_ids]
    if not posted:
        return []
    entries: list[dict[str, int]] = []
    deltas: dict[str, int] = defaultdict(int)
    for award in posted:
        transfer_id = transfer_ids[award.idempotency_key]
        user = ids[user_account(award.user_id)]
        entries.append(
            {"transfer_id": transfer_id, "account_id": ids[PROGRAM], "amount": -award.points}
        )
        entries.append({"transfer_id": transfer_id, "account_id": user, "amount": award.points})
        deltas[PROGRAM] -= award.points
        deltas[user_account(award.user_id)] += award.points
    await session.execute(insert(PointsEntry), entries)
    # In key order, as ``transfer`` locks, so the two never wait on each other in a cycle.
    accounts = cast(Table, PointsAccount.__table__)
    await session.execute(
        update(accounts)
        .where(accounts.c.id == bindparam("account"))
        .values(balance=accounts.c.balance + bindparam("delta")),
        [{"account": ids[key], "delta": deltas[key]} for key in sorted(deltas)],
    )
    return posted


async def balance(session: AsyncSession, key: str) -> int:
    """An account's balance; 0 for an account never used."""
    found = await session.scalar(select(PointsAccount.balance).where(PointsAccount.key == key))
    return int(found or 0)


async def trial_balance(session: AsyncSession) -> tuple[int, int]:
    """The sum of all balances and the sum of all entries: both are zero in a sound ledger."""
    balances = await session.scalar(select(func.coalesce(func.sum(PointsAccount.balance), 0)))
    entries = await session.scalar(select(func.coalesce(func.sum(PointsEntry.amount), 0)))
    return int(balances or 0), int(entries or 0)


async def account_drift(session: AsyncSession) -> list[str]:
    """Accounts whose stored balance differs from the sum of their entries (should be none)."""
    sums = (
        select(PointsEntry.account_id, func.sum(PointsEntry.amount).label("total"))
        .group_by(PointsEntry.account_id)
        .subquery()
    )
    rows = await session.execute(
        select(PointsAccount.key)
        .outerjoin(sums, sums.c.account_id == PointsAccount.id)
        .where(PointsAccount.balance != func.coalesce(sums.c.total, 0))
    )
    return list(rows.scalars())
