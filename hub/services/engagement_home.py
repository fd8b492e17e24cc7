"""The engagement engine as the homepage widgets see it: one call per widget, names resolved.

Reads for the widgets (standing, leaderboard with names, recognition, due survey, budget)
and the checks the widgets' forms need before they call the engine: who a person may
thank, and which action rule a link belongs to. Nothing here trusts an id from a form
without checking it against the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, literal, select
from sqlalchemy.orm import aliased

from hub import per_page
from hub.db import Database, User
from hub.db.engagement import Notification, PointsAccount, ProgramSetting
from hub.personas.audience import Requester
from hub.services.engagement import badges, leaderboards, ledger, recognition, surveys
from hub.services.engagement.badges import GalleryBadge, StreakStatus
from hub.services.engagement.budgets import BudgetStatus
from hub.services.engagement.levels import Level, level_for
from hub.services.engagement.periods import PeriodKind, period_of
from hub.services.engagement.policy import POLICY_KEY, RecognitionPolicy
from hub.services.engagement.recognition import FeedItem, Recipient, recipients_for
from hub.services.engagement.surveys import DueSurvey
from hub.services.field_team import shared_field_team
from hub.store import KeyValueStore

RECENT_BADGES = 3
# How long the survey widget says thank you after an answer.
THANKS_FOR = timedelta(hours=12)
# The periods a recognition policy may give budgets for.
BUDGET_PERIODS: tuple[PeriodKind, ...] = ("month", "quarter")


@dataclass(frozen=True)
class Standing:
    """Points, level, the way to the next one, recent badges and the current streak."""

    points: int
    level: Level
    progress: float
    recent_badges: list[GalleryBadge]
    badges: list[GalleryBadge]
    earned: int
    total: int
    streak: StreakStatus | None


@dataclass(frozen=True)
class BoardLine:
    rank: int
    name: str
    points: int
    is_me: bool


@dataclass(frozen=True)
class BoardView:
    """A leaderboard with names; ``available`` is false for a scope the user is not in."""

    scope: str
    period: str
    lines: list[BoardLine]
    me: BoardLine | None
    opted_out: bool
    available: bool


@dataclass(frozen=True)
class RecognitionView:
    """The feed, the unread count, whom the caller may thank and with what."""

    feed: list[FeedItem]
    unread: int
    recipients: list[Recipient]
    value_tags: tuple[str, ...]
    budget: BudgetStatus
    max_points: int


async def standing(db: Database, user_id: int, now: datetime) -> Standing:
    async with db.session() as session:
        points, state = await badges.standing_state(session, user_id, ledger.user_account(user_id))
    gallery = badges.gallery_of(state)
    streaks = badges.streaks_of(state, now.date())
    level = level_for(points)
    earned = [badge for badge in gallery if badge.earned_at]
    streak = max(streaks, key=lambda s: (s.days, s.target), default=None)
    return Standing(
        points,
        level,
        level.progress(points),
        earned[:RECENT_BADGES],
        gallery,
        len(earned),
        len(gallery),
        streak,
    )


async def board(
    db: Database,
    store: KeyValueStore,
    *,
    user_id: int,
    scope: leaderboards.Scope,
    period: PeriodKind,
    now: datetime,
) -> BoardView:
    found = await leaderboards.leaderboard(
        db, store, user_id=user_id, scope=scope, period=period, now=now
    )
    ids = {line.user_id for line in found.top}
    names: dict[int, str] = {}
    if ids:  # an empty board names nobody: nothing to read
        async with db.session() as session:
            rows = await session.execute(
                select(User.id, User.name, User.email).where(User.id.in_(ids))
            )
            names = {id_: name or email.split("@")[0] for id_, name, email in rows}
    lines = [
        BoardLine(s.rank, names.get(s.user_id, "?"), s.points, s.user_id == user_id)
        for s in found.top
    ]
    me = BoardLine(found.me.rank, "", found.me.points, True) if found.me else None
    return BoardView(
        scope,
        period,
        lines,
        me,
        found.opted_out,
        found.scope_id is not None,
    )


@dataclass(frozen=True)
class Giving:
    """What the recognition widgets and the next best action know of a would-be giver."""

    giver: User | None  # their own row
    policy: RecognitionPolicy
    budget: BudgetStatus  # under the policy's budget period
    unread: int  # notifications not read yet


async def shared_giving(db: Database, user_id: int, now: datetime) -> Giving:
    """:class:`Giving` for ``user_id``, read once per page and in one statement.

    The budget account of both periods a policy may set is joined on, so the one the
    policy names is at hand without a second read.
    """

    async def read() -> Giving:
        periods = {kind: period_of(kind, now) for kind in BUDGET_PERIODS}
        accounts = {kind: aliased(PointsAccount) for kind in BUDGET_PERIODS}
        unread = (
            select(func.count(Notification.id))
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .scalar_subquery()
        )
        query = (
            select(User, ProgramSetting, unread.label("unread"), *accounts.values())
            .select_from(select(literal(1).label("one")).subquery())
            .outerjoin(User, User.id == user_id)
            .outerjoin(ProgramSetting, ProgramSetting.key == POLICY_KEY)
        )
        for kind, account in accounts.items():
            key = ledger.budget_account(user_id, periods[kind].key)
            query = query.outerjoin(account, account.key == key)
        async with db.session() as session:
            row = (await session.execute(query)).one()
        setting = row[1]
        policy = RecognitionPolicy.model_validate(setting.value) if setting else RecognitionPolicy()
        period = periods[policy.budget_period]
        account = row[3 + BUDGET_PERIODS.index(policy.budget_period)]
        budget = BudgetStatus(
            period.key,
            account.balance if account else 0,
            period.ends_at,
            account is not None,
            period.starts_at,
        )
        return Giving(row[0], policy, budget, int(row.unread or 0))

    return await per_page.once(("giving", user_id), read)


async def recognition_view(
    db: Database, *, user_id: int, partner_org_id: int | None, now: datetime, limit: int = 8
) -> RecognitionView:
    feed = await recognition.recognition_feed(db, partner_org_id=partner_org_id, limit=limit)
    giving = await shared_giving(db, user_id, now)
    async with db.session() as session:
        people = await recipients_for(
            session, user_id, team=partial(shared_field_team, db), giver=giving.giver
        )
    policy = giving.policy
    return RecognitionView(
        feed, giving.unread, people, policy.value_tags, giving.budget, policy.max_points
    )


async def budget_view(
    db: Database, *, user_id: int, now: datetime
) -> tuple[BudgetStatus, list[Recipient], tuple[str, ...]]:
    """The giver's budget this period, the partner users they may reward, the value tags."""
    giving = await shared_giving(db, user_id, now)
    async with db.session() as session:
        people = await recipients_for(
            session,
            user_id,
            partners_only=True,
            team=partial(shared_field_team, db),
            giver=giving.giver,
        )
    return giving.budget, people, giving.policy.value_tags


async def pulse_survey(
    db: Database, subject: Requester, now: datetime
) -> tuple[DueSurvey | None, bool]:
    """The survey due now, if any, and whether the person answered one within ``THANKS_FOR``."""
    state = await surveys.survey_state(db, subject, now=now)
    last = state.last_answered
    return state.due, last is not None and last > now - THANKS_FOR
