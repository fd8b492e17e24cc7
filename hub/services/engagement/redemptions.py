"""Redeeming points for a reward from the incentive platform's catalogue.

The ledger side only: the points go from the user back to the program with the reward
named in the memo. The caller places the order with the incentive connector where it
offers one; if that fails, ``ledger.reverse`` returns the points. Spending never lowers
a leaderboard score (boards count points earned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.connectors.records import CatalogueItem
from hub.db import Database
from hub.services.engagement import ledger
from hub.services.engagement.errors import EngagementError


@dataclass(frozen=True)
class Redemption:
    """A redemption written: its transfer, and the points left."""

    transfer_id: int
    points_left: int


async def redeem(
    db: Database, *, user_id: int, item: CatalogueItem, idempotency_key: str, now: datetime
) -> Redemption:
    """Spend ``item.points`` of ``user_id``'s points; ``insufficient_points`` if short.

    A repeated ``idempotency_key`` (a double click) spends nothing more.
    """
    if not 0 < item.points <= ledger.MAX_TRANSFER:
        raise EngagementError("absurd_amount", f"{item.name} costs {item.points} points")
    if not idempotency_key:
        raise EngagementError("invalid_request", "the form's token is missing; reload the page")
    account = ledger.user_account(user_id)
    async with db.transaction() as session:
        await ledger.ensure_accounts(
            session, [ledger.spec_for(ledger.PROGRAM), ledger.spec_for(account)]
        )
        posted = await ledger.transfer(
            session,
            legs={account: -item.points, ledger.PROGRAM: item.points},
            reason="redemption",
            idempotency_key=f"redemption:{user_id}:{idempotency_key}",
            occurred_at=now,
            actor_user_id=user_id,
            memo=f"{item.id}: {item.name}",
        )
        left = await ledger.balance(session, account)
    return Redemption(posted.transfer_id, left)
