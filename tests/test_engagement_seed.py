"""The demo's engagement content: valid, repeatable, and something for every persona."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from hub.db.engagement import ActionRule, BadgeRule, PointRule, PulseSurvey
from hub.personas.audience import Requester, Segment
from hub.resources import Hub
from hub.services.engagement import budgets, nba, surveys
from hub.services.engagement.seed import seed_engagement
from hub.services.engagement.seed_facts import DEMO_FACTS
from tests.engagement_helpers import user_id

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


async def test_seeding_twice_adds_nothing_more(seeded: Hub) -> None:
    await seed_engagement(seeded.db, now=NOW)
    await seed_engagement(seeded.db, now=NOW)
    async with seeded.db.session() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (PointRule, BadgeRule, ActionRule, PulseSurvey)
        ]
    assert counts == [16, 10, 13, 1]
    cam = await user_id(seeded.db, "cam@vendor.example")
    assert (await budgets.budget_status(seeded.db, cam, now=NOW)).available == 1000


@pytest.mark.parametrize(
    "persona", ["partner_owner", "sales_rep", "marketer", "support", "channel_manager"]
)
async def test_every_persona_gets_an_action_with_a_reason(seeded: Hub, persona: str) -> None:
    await seed_engagement(seeded.db, now=NOW)
    rep = await user_id(seeded.db, "rep@acme.example")
    actions = await nba.next_best_actions(
        seeded.db, Requester(rep, persona, Segment(tier="Gold")), DEMO_FACTS, now=NOW
    )
    assert actions
    assert all(a.reason.startswith("because ") and "{" not in a.reason for a in actions)


async def test_partners_have_the_pulse_survey_due(seeded: Hub) -> None:
    await seed_engagement(seeded.db, now=NOW)
    rep = await user_id(seeded.db, "rep@acme.example")
    due = await surveys.due_survey(
        seeded.db, Requester(rep, "sales_rep", Segment(tier="Gold")), now=NOW
    )
    assert due is not None
    assert due.slug == "hub-pulse"
