"""Leaderboards against a brute-force reference on random data, through store and ledger."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub.db import PartnerOrg, User
from hub.resources import Hub
from hub.services.activity import Activity
from hub.services.engagement import badges, leaderboards
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.periods import PERIODS, PeriodKind, period_of
from hub.services.engagement.processing import ingest

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
POINTS = {"deal_registered": 50, "asset_viewed": 2, "course_completed": 30, "sign_in": 5}


async def _population(hub: Hub, rng: random.Random, size: int) -> dict[int, PartnerOrg | None]:
    """``size`` users spread over the demo orgs and the vendor; their org by id."""
    async with hub.db.transaction() as session:
        orgs = list((await session.scalars(select(PartnerOrg))).all())
        for kind, points in POINTS.items():
            await badges.set_point_rule(session, kind, points)
        people = []
        for n in range(size):
            org = rng.choice([*orgs, None])
            people.append(User(email=f"p{n}@load.example", partner_org_id=org.id if org else None))
        session.add_all(people)
        await session.flush()
        by_id = {org.id: org for org in orgs}
        return {p.id: by_id.get(p.partner_org_id or 0) for p in people}


def _reference(
    earned: list[tuple[int, int, datetime]],
    orgs: dict[int, PartnerOrg | None],
    opted_out: set[int],
    viewer: int,
    scope: leaderboards.Scope,
    kind: PeriodKind,
) -> tuple[list[tuple[int, int, int]], tuple[int, int, int] | None]:
    period = period_of(kind, NOW)
    mine = orgs[viewer]
    totals: dict[int, int] = defaultdict(int)
    for user, points, at in earned:
        org = orgs[user]
        if at not in period or user in opted_out:
            continue
        if scope == "org" and (mine is None or org is None or org.id != mine.id):
            continue
        if scope == "region" and (mine is None or org is None or org.region != mine.region):
            continue
        totals[user] += points
    ranked = sorted(totals.items(), key=lambda item: (item[1], str(item[0])), reverse=True)
    # Standard competition ranking: one more than how many earned more (1, 2, 2, 4).
    scores = list(totals.values())
    lines = [(1 + sum(s > points for s in scores), user, points) for user, points in ranked]
    me = next((line for line in lines if line[1] == viewer), None)
    if (scope != "program" and mine is None) or viewer in opted_out:
        me = None
    return lines[:10], me


@pytest.mark.parametrize("seed", [7, 2026])
async def test_ranks_match_a_brute_force_reference(seeded: Hub, seed: int) -> None:
    rng = random.Random(seed)
    orgs = await _population(seeded, rng, 60)
    users = sorted(orgs)
    earned: list[tuple[int, int, datetime]] = []
    opted_out = set(rng.sample(users, 5))
    for user in opted_out:
        await leaderboards.set_opt_out(seeded.db, seeded.store, user, True)

    async def deliver(count: int, start: int) -> None:
        batch = []
        for n in range(start, start + count):
            user, kind = rng.choice(users), rng.choice(list(POINTS))
            at = NOW - timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 600))
            batch.append(Activity(key=f"e{n}", kind=kind, occurred_at=at, user_id=user))
            earned.append((user, POINTS[kind], at))
        await ingest(seeded.db, seeded.store, batch)

    async def check() -> None:
        for viewer in rng.sample(users, 8):
            for scope in leaderboards.SCOPES:
                for kind in PERIODS:
                    board = await leaderboards.leaderboard(
                        seeded.db, seeded.store, user_id=viewer, scope=scope, period=kind, now=NOW
                    )
                    top, me = _reference(earned, orgs, opted_out, viewer, scope, kind)
                    assert [(s.rank, s.user_id, s.points) for s in board.top] == top
                    got = (
                        None
                        if board.me is None
                        else (board.me.rank, board.me.user_id, board.me.points)
                    )
                    assert got == me, (viewer, scope, kind)

    await deliver(400, 0)
    await check()  # boards built from the ledger
    await deliver(300, 400)
    await check()  # boards moved by the new credits
    back = sorted(opted_out)[0]
    opted_out.discard(back)
    await leaderboards.set_opt_out(seeded.db, seeded.store, back, False)
    await check()  # the returning user is back with all their points


async def test_an_unknown_board_is_refused(seeded: Hub) -> None:
    with pytest.raises(EngagementError, match="no leaderboard"):
        await leaderboards.leaderboard(
            seeded.db,
            seeded.store,
            user_id=1,
            scope="galaxy",  # type: ignore[arg-type]
            now=NOW,
        )


async def test_tied_points_share_a_rank_on_the_board_and_in_the_callers_line(
    seeded: Hub,
) -> None:
    async with seeded.db.transaction() as session:
        await badges.set_point_rule(session, "deal_registered", 10)
        people = [User(email=f"tie{n}@load.example") for n in range(7)]
        session.add_all(people)
        await session.flush()
        ids = [p.id for p in people]
    deals = dict(zip(ids, (30, 27, 27, 27, 20, 10, 10), strict=True))
    await ingest(
        seeded.db,
        seeded.store,
        [
            Activity(key=f"tie-{user}-{n}", kind="deal_registered", occurred_at=NOW, user_id=user)
            for user, count in deals.items()
            for n in range(count)
        ],
    )

    async def board(viewer: int, limit: int) -> leaderboards.Leaderboard:
        return await leaderboards.leaderboard(
            seeded.db, seeded.store, user_id=viewer, scope="program", now=NOW, limit=limit
        )

    full = await board(ids[1], 10)
    assert [(s.rank, s.points) for s in full.top] == [
        (1, 300), (2, 270), (2, 270), (2, 270), (5, 200), (6, 100), (6, 100),
    ]  # fmt: skip
    # The caller tied on the board has the rank the board shows for their points.
    assert full.me == leaderboards.Standing(2, ids[1], 270)
    # A tie cut off by the limit: the unshown third 270 still ranks 2.
    cut = await board(ids[3], 3)
    assert [s.rank for s in cut.top] == [1, 2, 2]
    assert cut.me == leaderboards.Standing(2, ids[3], 270)
    # Below the lines shown, the store counts who earned more: both 100s rank 6.
    for viewer in ids[5:]:
        assert (await board(viewer, 4)).me == leaderboards.Standing(6, viewer, 100)
