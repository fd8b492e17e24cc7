"""Peer recognition: budgets, approvals, limits, notifications; bad input writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import func, select

from hub.db import ActivityEvent, User
from hub.db.engagement import PointsTransfer, Recognition
from hub.resources import Hub
from hub.services.engagement import budgets, ledger, notifications, recognition
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.policy import set_recognition_policy
from hub.services.engagement.recognition import Kudos, give_kudos
from tests.engagement_helpers import user_id

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


async def _people(hub: Hub) -> tuple[int, int, int, int]:
    return (
        await user_id(hub.db, "cam@vendor.example"),
        await user_id(hub.db, "rep@acme.example"),
        await user_id(hub.db, "owner@acme.example"),
        await user_id(hub.db, "admin@vendor.example"),
    )


async def _written(hub: Hub) -> tuple[int, int, int]:
    async with hub.db.session() as session:
        return (
            int(await session.scalar(select(func.count(Recognition.id))) or 0),
            int(await session.scalar(select(func.count(PointsTransfer.id))) or 0),
            int(await session.scalar(select(func.count(ActivityEvent.id))) or 0),
        )


async def test_kudos_with_points_move_them_from_the_budget_and_notify(seeded: Hub) -> None:
    cam, rep, _, _ = await _people(seeded)
    await budgets.grant_budget(seeded.db, giver_id=cam, points=500, now=NOW)
    outcome = await give_kudos(
        seeded.db,
        seeded.store,
        Kudos(cam, rep, "Great call-a-thon!", "form-1", "above_and_beyond", 150),
        now=NOW,
    )
    assert (outcome.status, outcome.points) == ("approved", 150)
    assert (await budgets.budget_status(seeded.db, cam, now=NOW)).available == 350
    async with seeded.db.session() as session:
        assert await ledger.balance(session, ledger.user_account(rep)) == 150
        assert await ledger.trial_balance(session) == (0, 0)
    assert await notifications.unread_count(seeded.db, rep) == 1
    [note] = await notifications.notifications_for(seeded.db, rep)
    assert note.title == "Casey Morgan sent you kudos and 150 points"
    assert await notifications.mark_read(seeded.db, rep, at=NOW) == 1
    assert await notifications.unread_count(seeded.db, rep) == 0
    [item] = await recognition.recognition_feed(seeded.db)
    assert (item.giver_name, item.recipient_name, item.points) == ("Casey Morgan", "Raj Patel", 150)


async def test_awards_above_the_threshold_wait_for_an_administrator(seeded: Hub) -> None:
    cam, rep, owner, admin = await _people(seeded)
    await budgets.grant_budget(seeded.db, giver_id=cam, points=1000, now=NOW)
    held = await give_kudos(
        seeded.db, seeded.store, Kudos(cam, rep, "Onsite training", "f1", points=400), now=NOW
    )
    refused = await give_kudos(
        seeded.db, seeded.store, Kudos(cam, owner, "Big deal", "f2", points=300), now=NOW
    )
    assert held.status == refused.status == "pending"
    assert (await budgets.budget_status(seeded.db, cam, now=NOW)).available == 300
    assert await notifications.unread_count(seeded.db, rep) == 0
    assert len(await recognition.pending_kudos(seeded.db)) == 2
    with pytest.raises(EngagementError, match="administrator"):
        await recognition.decide_kudos(
            seeded.db, seeded.store, held.recognition_id, approver_id=cam, approve=True, now=NOW
        )
    await recognition.decide_kudos(
        seeded.db, seeded.store, held.recognition_id, approver_id=admin, approve=True, now=NOW
    )
    await recognition.decide_kudos(
        seeded.db, seeded.store, refused.recognition_id, approver_id=admin, approve=False, now=NOW
    )
    with pytest.raises(EngagementError, match="already approved"):
        await recognition.decide_kudos(
            seeded.db, seeded.store, held.recognition_id, approver_id=admin, approve=True, now=NOW
        )
    async with seeded.db.session() as session:
        assert await ledger.balance(session, ledger.user_account(rep)) == 400
        assert await ledger.balance(session, ledger.user_account(owner)) == 0
        assert await ledger.balance(session, ledger.ESCROW) == 0
        assert await ledger.trial_balance(session) == (0, 0)
    assert (await budgets.budget_status(seeded.db, cam, now=NOW)).available == 600
    assert await notifications.unread_count(seeded.db, rep) == 1


@pytest.mark.parametrize(
    ("kudos", "code"),
    [
        (Kudos(0, 0, "me", "k"), "self_award"),
        (Kudos(0, 1, "  ", "k"), "invalid_kudos"),
        (Kudos(0, 1, "thanks", "k", points=-5), "invalid_kudos"),
        (Kudos(0, 1, "thanks", "k", points=10**9), "absurd_amount"),
        (Kudos(0, 1, "thanks", "k", value_tag="bribery"), "invalid_kudos"),
        (Kudos(0, 1, "x" * 501, "k"), "invalid_kudos"),
        (Kudos(2, 1, "thanks", "k", points=10), "no_budget"),
        (Kudos(0, 1, "thanks", "k", points=501), "insufficient_points"),
        (Kudos(0, 99_999, "thanks", "k"), "not_found"),
    ],
)
async def test_bad_kudos_are_refused_and_nothing_is_written(
    seeded: Hub, kudos: Kudos, code: str
) -> None:
    people = await _people(seeded)
    async with seeded.db.transaction() as session:
        await set_recognition_policy(session, {"approval_threshold": 1000})
    await budgets.grant_budget(seeded.db, giver_id=people[0], points=500, now=NOW)

    def who(index: int) -> int:
        return people[index] if index < len(people) else index

    before = await _written(seeded)
    with pytest.raises(EngagementError) as refused:
        await give_kudos(
            seeded.db,
            seeded.store,
            Kudos(
                who(kudos.giver_id),
                who(kudos.recipient_id),
                kudos.message,
                kudos.idempotency_key,
                kudos.value_tag,
                kudos.points,
            ),
            now=NOW,
        )
    assert refused.value.code == code
    assert refused.value.http_status in {403, 404, 422}
    assert await _written(seeded) == before


async def test_duplicates_cooldown_and_rate_limit(seeded: Hub) -> None:
    cam, rep, owner, _ = await _people(seeded)
    async with seeded.db.transaction() as session:
        await set_recognition_policy(session, {"rate_limit_per_hour": 2, "cooldown_hours": 24})
    await give_kudos(seeded.db, seeded.store, Kudos(rep, owner, "Thanks!", "t1"), now=NOW)
    with pytest.raises(EngagementError) as duplicate:
        await give_kudos(seeded.db, seeded.store, Kudos(rep, owner, "Thanks!", "t1"), now=NOW)
    assert duplicate.value.code == "duplicate"
    assert duplicate.value.http_status == 409
    later = NOW + timedelta(hours=2)
    with pytest.raises(EngagementError) as cooldown:
        await give_kudos(seeded.db, seeded.store, Kudos(rep, owner, "Again!", "t2"), now=later)
    assert cooldown.value.code == "cooldown"
    await give_kudos(seeded.db, seeded.store, Kudos(rep, cam, "Thanks too", "t3"), now=NOW)
    support = await user_id(seeded.db, "support@acme.example")
    with pytest.raises(EngagementError) as limited:
        await give_kudos(seeded.db, seeded.store, Kudos(rep, support, "Third", "t4"), now=NOW)
    assert limited.value.code == "rate_limited"
    assert limited.value.http_status == 429
    assert (await _written(seeded))[0] == 2


async def test_concurrent_awards_never_overdraw_the_budget(seeded: Hub) -> None:
    cam, *_ = await _people(seeded)
    async with seeded.db.transaction() as session:
        await set_recognition_policy(session, {"rate_limit_per_hour": 1000, "cooldown_hours": 0})
    await budgets.grant_budget(seeded.db, giver_id=cam, points=1000, now=NOW)
    async with seeded.db.session() as session:
        partners = list(
            (await session.scalars(select(User.id).where(User.partner_org_id.is_not(None)))).all()
        )
    results: list[str] = []

    async def award(n: int) -> None:
        kudos = Kudos(cam, partners[n % len(partners)], f"Thanks #{n}", f"c{n}", points=90)
        try:
            await give_kudos(seeded.db, seeded.store, kudos, now=NOW)
            results.append("ok")
        except EngagementError as error:
            results.append(error.code)

    async with anyio.create_task_group() as group:
        for n in range(30):
            group.start_soon(award, n)
    assert results.count("ok") == 11  # 11 × 90 = 990 ≤ 1000
    assert set(results) == {"ok", "insufficient_points"}
    async with seeded.db.session() as session:
        assert await ledger.balance(session, ledger.budget_account(cam, "2026-Q4")) == 10
        assert await ledger.trial_balance(session) == (0, 0)
        assert await ledger.account_drift(session) == []


async def test_budgets_lapse_at_period_end_and_only_the_field_team_gets_one(seeded: Hub) -> None:
    cam, rep, _, _ = await _people(seeded)
    await budgets.grant_budget(seeded.db, giver_id=cam, points=300, now=NOW)
    assert await budgets.lapse_budgets(seeded.db, now=NOW) == 0
    next_quarter = datetime(2027, 1, 1, tzinfo=UTC)
    assert await budgets.lapse_budgets(seeded.db, now=next_quarter) == 1
    assert await budgets.lapse_budgets(seeded.db, now=next_quarter) == 0
    assert (await budgets.budget_status(seeded.db, cam, now=next_quarter)).available == 0
    with pytest.raises(EngagementError) as refused:
        await give_kudos(
            seeded.db, seeded.store, Kudos(cam, rep, "late", "l1", points=10), now=next_quarter
        )
    assert refused.value.code == "no_budget"
    with pytest.raises(EngagementError, match="not on the field team"):
        await budgets.grant_budget(seeded.db, giver_id=rep, points=100, now=NOW)
    async with seeded.db.session() as session:
        assert await ledger.trial_balance(session) == (0, 0)


async def test_the_service_refuses_kudos_to_someone_the_giver_may_not_thank(seeded: Hub) -> None:
    # The rule lives in give_kudos, so every endpoint that calls it refuses alike.
    owner = await user_id(seeded.db, "owner@acme.example")
    before = await _written(seeded)
    for email in ("owner@globex.example", "owner@initech.example"):
        with pytest.raises(EngagementError) as refused:
            await give_kudos(
                seeded.db,
                seeded.store,
                Kudos(owner, await user_id(seeded.db, email), "Thanks", f"x-{email}"),
                now=NOW,
            )
        assert (refused.value.code, refused.value.http_status) == ("forbidden", 403)
    assert await _written(seeded) == before


async def test_a_reward_goes_to_partner_users_only_and_gives_points(seeded: Hub) -> None:
    cam, admin, rep = [
        await user_id(seeded.db, email)
        for email in ("cam@vendor.example", "admin@vendor.example", "rep@acme.example")
    ]
    await budgets.grant_budget(seeded.db, giver_id=cam, points=500, now=NOW)
    with pytest.raises(EngagementError) as staff:
        await give_kudos(
            seeded.db,
            seeded.store,
            Kudos(cam, admin, "Thanks", "r1", points=5, reward=True),
            now=NOW,
        )
    assert staff.value.code == "forbidden"
    with pytest.raises(EngagementError) as empty:
        await give_kudos(
            seeded.db, seeded.store, Kudos(cam, rep, "Thanks", "r2", reward=True), now=NOW
        )
    assert empty.value.code == "no_points"
    given = await give_kudos(
        seeded.db, seeded.store, Kudos(cam, rep, "Thanks", "r3", points=5, reward=True), now=NOW
    )
    assert (given.status, given.points) == ("approved", 5)
