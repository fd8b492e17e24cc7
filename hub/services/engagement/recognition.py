"""Peer recognition: kudos with a message, a value tag and, from a giving budget, points.

Every check runs before anything is written and again inside the transaction where a race
could slip through (duplicate, cooldown, balance); a refused award raises
``EngagementError`` and leaves no trace but the rate-limit counter. Awards above the
policy's threshold hold their points in escrow until an administrator decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.db import Database, PartnerOrg, User
from hub.db.engagement import PointsAccount, Recognition
from hub.db.writes import take_write_lock
from hub.personas.catalogue import roles
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement import ledger
from hub.services.engagement.budgets import budget_spec
from hub.services.engagement.errors import EngagementError
from hub.services.engagement.leaderboards import Credit, placements, record_credits
from hub.services.engagement.notifications import notify
from hub.services.engagement.periods import period_of
from hub.services.engagement.policy import RecognitionPolicy, recognition_policy
from hub.services.field_team import Contact, field_team
from hub.store import KeyValueStore

MAX_RECIPIENTS = 200


@dataclass(frozen=True)
class Kudos:
    """What a giver submits; ``idempotency_key`` is the form's one-time token.

    A ``reward`` is kudos with points from a giving budget, for a partner user only.
    """

    giver_id: int
    recipient_id: int
    message: str
    idempotency_key: str
    value_tag: str = ""
    points: int = 0
    reward: bool = False


@dataclass(frozen=True)
class KudosOutcome:
    """The stored recognition: ``approved`` (points moved) or ``pending`` (points held)."""

    recognition_id: int
    status: str
    points: int


@dataclass(frozen=True)
class FeedItem:
    """One line of the recognition feed."""

    id: int
    giver_name: str
    recipient_name: str
    message: str
    value_tag: str
    points: int
    created_at: datetime


@dataclass(frozen=True)
class Recipient:
    """Someone the caller may thank: their user id, name and org (empty for vendor staff)."""

    id: int
    name: str
    org_name: str


async def recipients_for(
    session: AsyncSession,
    giver_id: int,
    *,
    partners_only: bool = False,
    team: Callable[[int], Awaitable[list[Contact]]] | None = None,
    giver: User | None = None,
) -> list[Recipient]:
    """Whom ``giver_id`` may thank.

    ``team`` reads an org's field team and ``giver`` is the giver's row, for a page that
    shares those reads between its widgets; by default both are read in ``session``.

    A partner user: colleagues of their own org and their org's field team. Vendor staff:
    partner users of every org (the field team works with all of them) and, unless
    ``partners_only``, other vendor staff.
    """
    if giver is None or giver.id != giver_id:
        giver = await session.get(User, giver_id)
    if giver is None:
        return []
    query = select(User, PartnerOrg.name).outerjoin(
        PartnerOrg, PartnerOrg.id == User.partner_org_id
    )
    if giver.partner_org_id is not None:
        org_id = giver.partner_org_id
        found = await (team(org_id) if team else field_team(session, org_id))
        contacts = {c.email.lower() for c in found}
        query = query.where(
            or_(
                User.partner_org_id == giver.partner_org_id,
                (User.partner_org_id.is_(None)) & (User.email.in_(contacts)),
            )
        )
    elif partners_only:
        query = query.where(User.partner_org_id.is_not(None))
    rows = (
        await session.execute(
            query.where(User.id != giver_id)
            .order_by(PartnerOrg.name.is_(None), PartnerOrg.name, User.name, User.email)
            .limit(MAX_RECIPIENTS)
        )
    ).all()
    return [Recipient(user.id, user.name or user.email, org_name or "") for user, org_name in rows]


async def display_name(db: Database, user_id: int) -> str:
    """How a person is named in messages: their name, else their email."""
    async with db.session() as session:
        user = await session.get(User, user_id)
    return (user.name or user.email) if user else ""


def _check_shape(kudos: Kudos, policy: RecognitionPolicy) -> None:
    if kudos.giver_id == kudos.recipient_id:
        raise EngagementError("self_award", "you cannot give kudos to yourself")
    message = kudos.message.strip()
    if not message:
        raise EngagementError("invalid_kudos", "message: say what you are thanking them for")
    if len(message) > policy.max_message_length:
        raise EngagementError(
            "invalid_kudos", f"message: at most {policy.max_message_length} characters"
        )
    if kudos.value_tag and kudos.value_tag not in policy.value_tags:
        raise EngagementError("invalid_kudos", f"value_tag: one of {', '.join(policy.value_tags)}")
    if isinstance(kudos.points, bool) or not isinstance(kudos.points, int):
        raise EngagementError("invalid_kudos", "points: a whole number")
    if kudos.points < 0:
        raise EngagementError("invalid_kudos", "points: cannot be negative")
    if kudos.reward and kudos.points < 1:
        raise EngagementError("no_points", "points: a reward gives at least one point")
    if kudos.points > policy.max_points:
        raise EngagementError("absurd_amount", f"points: at most {policy.max_points} per award")
    if not kudos.idempotency_key or len(kudos.idempotency_key) > 120:
        raise EngagementError("invalid_kudos", "the form's token is missing; reload the page")


async def _check_state(
    session: AsyncSession, kudos: Kudos, policy: RecognitionPolicy, now: datetime
) -> str:
    """Checks against what is stored; the budget account key (empty without points)."""
    people = {
        user.id: user
        for user in (
            await session.scalars(
                select(User).where(User.id.in_([kudos.giver_id, kudos.recipient_id]))
            )
        ).all()
    }
    if kudos.recipient_id not in people or kudos.giver_id not in people:
        raise EngagementError("not_found", "no such colleague")
    allowed = await recipients_for(session, kudos.giver_id, partners_only=kudos.reward)
    if kudos.recipient_id not in {person.id for person in allowed}:
        raise EngagementError("forbidden", "you cannot thank that person")
    key = f"kudos:{kudos.giver_id}:{kudos.idempotency_key}"
    if await session.scalar(select(Recognition.id).where(Recognition.idempotency_key == key)):
        raise EngagementError("duplicate", "these kudos were already sent")
    since = now - timedelta(hours=policy.cooldown_hours)
    recent = await session.scalar(
        select(Recognition.id).where(
            Recognition.giver_id == kudos.giver_id,
            Recognition.recipient_id == kudos.recipient_id,
            Recognition.created_at > since,
            Recognition.status != "rejected",
        )
    )
    if recent is not None:
        raise EngagementError(
            "cooldown",
            f"you thanked them less than {policy.cooldown_hours:g} hours ago; try again later",
        )
    if not kudos.points:
        return ""
    budget = budget_spec(kudos.giver_id, period_of(policy.budget_period, now)).key
    available = await session.scalar(
        select(PointsAccount.balance).where(PointsAccount.key == budget)
    )
    if available is None:
        raise EngagementError("no_budget", "you have no giving budget this period")
    if available < kudos.points:
        raise EngagementError(
            "insufficient_points", f"your budget has {available} points left, not {kudos.points}"
        )
    return budget


async def give_kudos(
    db: Database, store: KeyValueStore, kudos: Kudos, *, now: datetime
) -> KudosOutcome:
    """Validate and store kudos, move or hold their points, notify the recipient."""
    async with db.session() as session:
        policy = await recognition_policy(session)
        _check_shape(kudos, policy)
        await _check_state(session, kudos, policy, now)
    sent = await store.incr(f"kudos:rate:{kudos.giver_id}", 1, ttl=3600)
    if sent > policy.rate_limit_per_hour:
        raise EngagementError(
            "rate_limited", f"at most {policy.rate_limit_per_hour} kudos an hour; try again later"
        )
    credits: list[Credit] = []
    async with db.transaction() as session:
        await take_write_lock(session)
        budget = await _check_state(session, kudos, policy, now)
        pending = kudos.points > policy.approval_threshold
        recognition = Recognition(
            idempotency_key=f"kudos:{kudos.giver_id}:{kudos.idempotency_key}",
            giver_id=kudos.giver_id,
            recipient_id=kudos.recipient_id,
            message=kudos.message.strip(),
            value_tag=kudos.value_tag,
            points=kudos.points,
            status="pending" if pending else "approved",
            budget_account_id=None,
            created_at=now,
        )
        session.add(recognition)
        await session.flush()
        if budget:
            await ledger.ensure_accounts(
                session,
                [
                    ledger.spec_for(ledger.ESCROW),
                    ledger.spec_for(ledger.user_account(kudos.recipient_id)),
                ],
            )
            recognition.budget_account_id = await session.scalar(
                select(PointsAccount.id).where(PointsAccount.key == budget)
            )
            target = ledger.ESCROW if pending else ledger.user_account(kudos.recipient_id)
            await ledger.transfer(
                session,
                legs={budget: -kudos.points, target: kudos.points},
                reason="recognition_hold" if pending else "recognition",
                idempotency_key=f"recognition:{recognition.id}",
                occurred_at=now,
                actor_user_id=kudos.giver_id,
            )
        if not pending:
            credits = await _deliver(session, recognition, now)
        outcome = KudosOutcome(recognition.id, recognition.status, recognition.points)
        where = await placements(session, {credit.user_id for credit in credits})
    await record_credits(store, credits, where)
    return outcome


async def _deliver(session: AsyncSession, recognition: Recognition, now: datetime) -> list[Credit]:
    """The approved side: the two activity events (the worker evaluates them), the
    notification; the board credit for the points."""
    await activity.record_all(
        session,
        [
            Activity(
                key=f"recognition:{recognition.id}:given",
                kind="recognition_given",
                occurred_at=now,
                user_id=recognition.giver_id,
                object=f"recognition:{recognition.id}",
            ),
            Activity(
                key=f"recognition:{recognition.id}:received",
                kind="recognition_received",
                occurred_at=now,
                user_id=recognition.recipient_id,
                object=f"recognition:{recognition.id}",
                payload={"points": recognition.points, "value_tag": recognition.value_tag},
            ),
        ],
    )
    giver = await session.get(User, recognition.giver_id)
    name = (giver.name or giver.email) if giver else "A colleague"
    points = f" and {recognition.points} points" if recognition.points else ""
    notify(
        session,
        recognition.recipient_id,
        kind="recognition",
        title=f"{name} sent you kudos{points}",
        body=recognition.message,
        link=f"/engagement/recognition/{recognition.id}",
        at=now,
    )
    if recognition.points:
        return [Credit(recognition.recipient_id, recognition.points, now)]
    return []


async def decide_kudos(
    db: Database,
    store: KeyValueStore,
    recognition_id: int,
    *,
    approver_id: int,
    approve: bool,
    now: datetime,
) -> KudosOutcome:
    """An administrator approves (points to the recipient) or rejects (back to the budget)."""
    credits: list[Credit] = []
    async with db.transaction() as session:
        await take_write_lock(session)
        recognition = await session.get(Recognition, recognition_id, with_for_update=True)
        if recognition is None:
            raise EngagementError("not_found", f"no recognition {recognition_id}")
        if recognition.status != "pending":
            raise EngagementError("duplicate", f"this award was already {recognition.status}")
        approver = await session.get(User, approver_id)
        if (
            approver is None
            or not roles().admin.intersection(approver.roles)
            or approver_id == recognition.giver_id
        ):
            raise EngagementError("forbidden", "only an administrator other than the giver decides")
        budget = await session.get(PointsAccount, recognition.budget_account_id or 0)
        if approve:
            await ledger.ensure_accounts(
                session, [ledger.spec_for(ledger.user_account(recognition.recipient_id))]
            )
            target = ledger.user_account(recognition.recipient_id)
        elif budget is not None and (budget.closes_at is None or budget.closes_at > now):
            target = budget.key
        else:
            target = ledger.PROGRAM
        if recognition.points:
            await ledger.transfer(
                session,
                legs={ledger.ESCROW: -recognition.points, target: recognition.points},
                reason="recognition" if approve else "recognition_rejected",
                idempotency_key=f"recognition:{recognition.id}:decision",
                occurred_at=now,
                actor_user_id=approver_id,
            )
        recognition.status = "approved" if approve else "rejected"
        recognition.decided_by, recognition.decided_at = approver_id, now
        if approve:
            credits = await _deliver(session, recognition, now)
        outcome = KudosOutcome(recognition.id, recognition.status, recognition.points)
        where = await placements(session, {credit.user_id for credit in credits})
    await record_credits(store, credits, where)
    return outcome


async def pending_kudos(db: Database) -> list[FeedItem]:
    """Awards waiting for an administrator, oldest first."""
    return await _feed(db, status="pending", limit=200, oldest_first=True)


async def recognition_feed(
    db: Database, *, partner_org_id: int | None = None, limit: int = 20
) -> list[FeedItem]:
    """Approved kudos, newest first; with ``partner_org_id``, those given or received there."""
    return await _feed(db, status="approved", limit=limit, partner_org_id=partner_org_id)


async def _feed(
    db: Database,
    *,
    status: str,
    limit: int,
    partner_org_id: int | None = None,
    oldest_first: bool = False,
) -> list[FeedItem]:
    giver, recipient = aliased(User), aliased(User)
    query = (
        select(Recognition, giver, recipient)
        .join(giver, giver.id == Recognition.giver_id)
        .join(recipient, recipient.id == Recognition.recipient_id)
        .where(Recognition.status == status)
    )
    if partner_org_id is not None:
        query = query.where(
            or_(giver.partner_org_id == partner_org_id, recipient.partner_org_id == partner_org_id)
        )
    order = Recognition.created_at.asc() if oldest_first else Recognition.created_at.desc()
    async with db.session() as session:
        rows = (await session.execute(query.order_by(order, Recognition.id).limit(limit))).all()
    return [
        FeedItem(
            row.id,
            by.name or by.email,
            to.name or to.email,
            row.message,
            row.value_tag,
            row.points,
            row.created_at,
        )
        for row, by, to in rows
    ]
