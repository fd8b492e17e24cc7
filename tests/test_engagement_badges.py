"""Activity evaluation: each rule kind, each event once, late and repeated events, levels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from hub.db import ActivityEvent
from hub.db.engagement import BadgeAward, PointsTransfer
from hub.resources import Hub
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement import badges, ledger, streaks
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.levels import level_for
from hub.services.engagement.processing import ingest, ingest_in, process_pending
from hub.services.engagement.seed import seed_engagement
from tests.engagement_helpers import user_id

pytestmark = pytest.mark.anyio
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _rule(hub: Hub, slug: str, definition: dict[str, Any], points: int = 0) -> None:
    async with hub.db.transaction() as session:
        await badges.save_badge_rule(
            session, slug=slug, name=slug.title(), definition=definition, points=points
        )


def _event(key: str, kind: str, user: int, at: datetime, obj: str = "", **payload: Any) -> Activity:
    return Activity(key=key, kind=kind, occurred_at=at, user_id=user, object=obj, payload=payload)


async def _earned(hub: Hub, user: int) -> list[str]:
    gallery = await _gallery(hub, user)
    return [badge.slug for badge in gallery if badge.earned_at]


async def _gallery(hub: Hub, user: int) -> list[badges.GalleryBadge]:
    async with hub.db.session() as session:
        return await badges.badge_gallery(session, user)


async def _points(hub: Hub, user: int) -> int:
    async with hub.db.session() as session:
        return await ledger.balance(session, ledger.user_account(user))


async def test_points_come_once_per_event_however_often_it_arrives(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    async with seeded.db.transaction() as session:
        await badges.set_point_rule(session, "deal_registered", 50)
    deal = _event("crm:deal:1:registered", "deal_registered", rep, MONDAY, "deal-1")
    first = await ingest(seeded.db, seeded.store, [deal, deal])
    again = await ingest(seeded.db, seeded.store, [deal])
    assert (first.recorded, first.duplicates, first.points) == (1, 1, 50)
    assert (again.recorded, again.duplicates, again.points) == (0, 1, 0)
    assert await _points(seeded, rep) == 50


async def test_events_recorded_elsewhere_are_processed_exactly_once(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    async with seeded.db.transaction() as session:
        await badges.set_point_rule(session, "sign_in", 5)
        await activity.record(session, _event("signin:1", "sign_in", rep, MONDAY))
    first = await process_pending(seeded.db, seeded.store)
    second = await process_pending(seeded.db, seeded.store)
    assert (first.processed, first.points) == (1, 5)
    assert (second.processed, second.points) == (0, 0)
    assert await _points(seeded, rep) == 5


async def test_sign_in_streak_survives_a_weekend_with_freeze_days(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(seeded, "five-day-streak", {"kind": "streak", "days": 5, "freeze_days": 2})
    # Wed Thu Fri, the weekend off, then Mon: four active days, the run unbroken.
    days = [2, 3, 4, 7]
    for n in days:
        await ingest(
            seeded.db, seeded.store, [_event(f"s{n}", "sign_in", rep, MONDAY + timedelta(days=n))]
        )
    assert await _earned(seeded, rep) == []
    await ingest(
        seeded.db, seeded.store, [_event("s8", "sign_in", rep, MONDAY + timedelta(days=8))]
    )
    assert await _earned(seeded, rep) == ["five-day-streak"]


async def test_a_gap_longer_than_the_freeze_breaks_the_streak(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(seeded, "three-day-streak", {"kind": "streak", "days": 3, "freeze_days": 1})
    for n in (0, 1, 4):
        await ingest(
            seeded.db, seeded.store, [_event(f"s{n}", "sign_in", rep, MONDAY + timedelta(days=n))]
        )
    assert await _earned(seeded, rep) == []


async def test_a_late_event_fills_the_gap_it_belongs_to(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(seeded, "three-day-streak", {"kind": "streak", "days": 3})
    for n in (0, 2):
        await ingest(
            seeded.db, seeded.store, [_event(f"s{n}", "sign_in", rep, MONDAY + timedelta(days=n))]
        )
    assert await _earned(seeded, rep) == []
    await ingest(
        seeded.db, seeded.store, [_event("late", "sign_in", rep, MONDAY + timedelta(days=1))]
    )
    assert await _earned(seeded, rep) == ["three-day-streak"]


async def test_assets_viewed_counts_and_the_badge_comes_once_with_its_event(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(seeded, "reader", {"kind": "count", "event": "asset_viewed", "count": 3}, points=20)
    views = [
        _event(f"v{n}", "asset_viewed", rep, MONDAY + timedelta(hours=n), f"asset-{n}")
        for n in range(5)
    ]
    report = await ingest(seeded.db, seeded.store, views)
    assert [badge.rule_slug for badge in report.badges] == ["reader"]
    async with seeded.db.session() as session:
        award = await session.scalar(select(BadgeAward))
        third = await session.scalar(
            select(ActivityEvent.id).where(ActivityEvent.idempotency_key == "v2")
        )
    assert award is not None
    assert award.event_id == third
    assert award.awarded_at == MONDAY + timedelta(hours=2)
    assert await _points(seeded, rep) == 20


async def test_distinct_objects_ignore_repeat_views(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(
        seeded,
        "explorer",
        {"kind": "count", "event": "asset_viewed", "count": 2, "distinct_objects": True},
    )
    same = [_event(f"v{n}", "asset_viewed", rep, MONDAY, "asset-1") for n in range(3)]
    await ingest(seeded.db, seeded.store, same)
    assert await _earned(seeded, rep) == []
    await ingest(seeded.db, seeded.store, [_event("v9", "asset_viewed", rep, MONDAY, "asset-2")])
    assert await _earned(seeded, rep) == ["explorer"]


async def test_first_deal_registered(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(seeded, "first-deal", {"kind": "first", "event": "deal_registered"})
    await ingest(seeded.db, seeded.store, [_event("d1", "deal_registered", rep, MONDAY, "deal-1")])
    await ingest(seeded.db, seeded.store, [_event("d2", "deal_registered", rep, MONDAY, "deal-2")])
    async with seeded.db.session() as session:
        assert await session.scalar(select(func.count(BadgeAward.id))) == 1


async def test_track_completed_within_its_time_limit(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    sup = await user_id(seeded.db, "support@acme.example")
    track = {"kind": "courses", "courses": ["c-101", "c-102"], "within_days": 30}
    await _rule(seeded, "track", track)
    await ingest(
        seeded.db,
        seeded.store,
        [
            _event("r1", "course_completed", rep, MONDAY, "c-101"),
            _event("r2", "course_completed", rep, MONDAY + timedelta(days=10), "c-102"),
            _event("s1", "course_completed", sup, MONDAY, "c-101"),
            _event("s2", "course_completed", sup, MONDAY + timedelta(days=40), "c-102"),
        ],
    )
    assert await _earned(seeded, rep) == ["track"]
    assert await _earned(seeded, sup) == []


async def test_personal_best_deal_size_beats_every_earlier_deal(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(
        seeded, "personal-best", {"kind": "personal_best", "event": "deal_won", "field": "amount"}
    )
    await ingest(
        seeded.db, seeded.store, [_event("w1", "deal_won", rep, MONDAY, "d1", amount=5000)]
    )
    await ingest(
        seeded.db, seeded.store, [_event("w2", "deal_won", rep, MONDAY, "d2", amount="4000")]
    )
    assert await _earned(seeded, rep) == []
    await ingest(
        seeded.db, seeded.store, [_event("w3", "deal_won", rep, MONDAY, "d3", amount=7500.5)]
    )
    assert await _earned(seeded, rep) == ["personal-best"]


async def test_quiz_aced_needs_the_score(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(seeded, "aced", {"kind": "quiz_aced", "min_score": 100})
    await ingest(
        seeded.db, seeded.store, [_event("q1", "quiz_passed", rep, MONDAY, "quiz-1", score=90)]
    )
    assert await _earned(seeded, rep) == []
    await ingest(
        seeded.db, seeded.store, [_event("q2", "quiz_passed", rep, MONDAY, "quiz-2", score=100)]
    )
    assert await _earned(seeded, rep) == ["aced"]


async def test_content_redistributed(seeded: Hub) -> None:
    marketer = await user_id(seeded.db, "marketer@globex.example")
    await _rule(
        seeded, "amplifier", {"kind": "count", "event": "campaign_redistributed", "count": 1}
    )
    await ingest(
        seeded.db,
        seeded.store,
        [_event("c1", "campaign_redistributed", marketer, MONDAY, "camp-1")],
    )
    assert await _earned(seeded, marketer) == ["amplifier"]


async def test_the_seeded_rules_pay_finishing_library_items_above_looking_at_them(
    seeded: Hub,
) -> None:
    await seed_engagement(seeded.db, now=MONDAY)
    rep = await user_id(seeded.db, "rep@acme.example")
    looked = [
        _event(f"v{n}", kind, rep, MONDAY, f"content:{n}")
        for n, kind in enumerate(("content_viewed", "content_opened"))
    ]
    await ingest(seeded.db, seeded.store, looked)
    assert await _points(seeded, rep) == 1 + 2
    finished = [
        _event(f"done{n}", "content_completed", rep, MONDAY, f"content:{n % 2}") for n in range(3)
    ]
    await ingest(seeded.db, seeded.store, finished)
    assert await _points(seeded, rep) == 1 + 2 + 3 * 25
    assert "quick-study" not in await _earned(seeded, rep)  # two items, one finished twice
    third = _event("done-third", "content_completed", rep, MONDAY, "content:7")
    await ingest(seeded.db, seeded.store, [third])
    assert "quick-study" in await _earned(seeded, rep)


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"kind": "streak", "days": 1}, "days"),
        ({"kind": "count", "event": "asset_viewd", "count": 3}, "event"),
        ({"kind": "teleport"}, "kind"),
        ({"kind": "count", "event": "asset_viewed", "count": 3, "colour": "red"}, "colour"),
        ({"kind": "courses", "courses": []}, "courses"),
    ],
)
async def test_a_rule_that_does_not_parse_is_refused(
    seeded: Hub, definition: dict[str, Any], message: str
) -> None:
    with pytest.raises(EngagementError, match=message) as refused:
        await _rule(seeded, "broken", definition)
    assert refused.value.code == "invalid_rule"
    assert await _gallery(seeded, await user_id(seeded.db, "rep@acme.example")) == []


async def test_a_crash_while_evaluating_leaves_no_event_no_points(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    async with seeded.db.transaction() as session:
        await badges.set_point_rule(session, "deal_won", 100)

    async def ingest_then_crash() -> None:
        async with seeded.db.transaction() as session:
            report = await ingest_in(session, [_event("w1", "deal_won", rep, MONDAY, amount=1)])
            assert report.points == 100
            raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await ingest_then_crash()
    async with seeded.db.session() as session:
        assert await session.scalar(select(func.count(ActivityEvent.id))) == 0
        assert await session.scalar(select(func.count(PointsTransfer.id))) == 0
    # The retry then goes through whole.
    report = await ingest(
        seeded.db, seeded.store, [_event("w1", "deal_won", rep, MONDAY, amount=1)]
    )
    assert report.points == 100


def test_streak_runs_and_levels() -> None:
    days = ["2026-11-02", "2026-11-03", "2026-11-06"]
    assert streaks.run_containing(days, date(2026, 11, 6), 2) == 3
    assert streaks.run_containing(days, date(2026, 11, 6), 1) == 1
    assert streaks.current_run(days, date(2026, 11, 9), 2) == 3
    assert streaks.current_run(days, date(2026, 11, 10), 2) == 0
    assert level_for(0).name == "Newcomer"
    assert level_for(1_000).number == 3
    assert level_for(999_999).next_at is None
    assert level_for(500).progress(500) == pytest.approx(250 / 750)


async def test_racing_deliveries_and_processors_count_each_event_once(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    async with seeded.db.transaction() as session:
        await badges.set_point_rule(session, "asset_viewed", 3)
        await badges.save_badge_rule(
            session,
            slug="reader",
            name="Reader",
            points=7,
            definition={"kind": "count", "event": "asset_viewed", "count": 5},
        )
        for n in range(5):
            await activity.record(session, _event(f"old{n}", "asset_viewed", rep, MONDAY))
    views = [_event(f"v{n}", "asset_viewed", rep, MONDAY, f"a{n}") for n in range(20)]

    async def deliver() -> None:
        await ingest(seeded.db, seeded.store, views)

    async def process() -> None:
        await process_pending(seeded.db, seeded.store)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(deliver)
            group.start_soon(process)
    assert await _points(seeded, rep) == 25 * 3 + 7
    assert await _earned(seeded, rep) == ["reader"]
    async with seeded.db.session() as session:
        assert await ledger.trial_balance(session) == (0, 0)


@given(
    days=st.sets(st.integers(min_value=0, max_value=60), min_size=1, max_size=30),
    freeze=st.integers(min_value=0, max_value=3),
)
def test_streak_runs_match_a_day_by_day_walk(days: set[int], freeze: int) -> None:
    start = date(2026, 1, 1)
    iso = [(start + timedelta(days=n)).isoformat() for n in days]
    for day in days:
        # Walk outwards one day at a time, allowing up to ``freeze`` idle days in a row.
        run = {day}
        for step in (-1, 1):
            here, idle = day, 0
            while idle <= freeze and 0 <= here + step <= 60:
                here += step
                if here in days:
                    run.add(here)
                    idle = 0
                else:
                    idle += 1
        assert streaks.run_containing(iso, start + timedelta(days=day), freeze) == len(run)


async def test_the_current_streak_shows_and_breaks(seeded: Hub) -> None:
    rep = await user_id(seeded.db, "rep@acme.example")
    await _rule(seeded, "five-day-streak", {"kind": "streak", "days": 5, "freeze_days": 2})
    for n in (0, 1, 2):
        await ingest(
            seeded.db, seeded.store, [_event(f"s{n}", "sign_in", rep, MONDAY + timedelta(days=n))]
        )
    async with seeded.db.session() as session:
        [today] = await badges.streaks_for(session, rep, (MONDAY + timedelta(days=4)).date())
        [broken] = await badges.streaks_for(session, rep, (MONDAY + timedelta(days=6)).date())
    assert (today.days, today.target, today.earned) == (3, 5, False)
    assert broken.days == 0
