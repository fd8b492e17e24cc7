"""Redeeming points: never beyond the balance, once per token, boards untouched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.connectors.records import CatalogueItem
from hub.resources import Hub
from hub.services.activity import Activity
from hub.services.engagement import badges, ledger
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.leaderboards import leaderboard
from hub.services.engagement.processing import ingest
from hub.services.engagement.redemptions import redeem
from tests.engagement_helpers import user_id

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
MUG = CatalogueItem("mug-1", "Hub mug", 60)


async def test_redeeming_spends_points_once_and_never_beyond(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    async with seeded.db.transaction() as session:
        await badges.set_point_rule(session, "deal_won", 100)
    await ingest(seeded.db, seeded.store, [Activity("w1", "deal_won", NOW, rep)])
    before = await leaderboard(seeded.db, seeded.store, user_id=rep, now=NOW)
    first = await redeem(seeded.db, user_id=rep, item=MUG, idempotency_key="r1", now=NOW)
    again = await redeem(seeded.db, user_id=rep, item=MUG, idempotency_key="r1", now=NOW)
    assert first.points_left == again.points_left == 40
    with pytest.raises(EngagementError) as short:
        await redeem(seeded.db, user_id=rep, item=MUG, idempotency_key="r2", now=NOW)
    assert short.value.code == "insufficient_points"
    with pytest.raises(EngagementError, match="costs"):
        await redeem(
            seeded.db,
            user_id=rep,
            item=CatalogueItem("x", "Free", 0),
            idempotency_key="r3",
            now=NOW,
        )
    after = await leaderboard(seeded.db, seeded.store, user_id=rep, now=NOW)
    assert before.me == after.me
    assert after.me is not None
    assert after.me.points == 100
    async with seeded.db.session() as session:
        assert await ledger.trial_balance(session) == (0, 0)
