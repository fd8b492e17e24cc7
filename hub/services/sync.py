"""Backend activity into the activity log, for backends that send no webhooks.

A sync pass asks each backend what the hub's people and orgs did (when the
partner joined the program, by its PRM agreement; courses completed, quizzes passed, deals registered and won, meetings held and calls,
emails and tasks logged, campaigns redistributed, leads shared, claims
submitted) and appends one activity event per fact.
Keys are derived from the backend's own ids, so running a pass twice, or
after a webhook already delivered the same fact, records nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.connectors.backends import Backends, Read
from hub.connectors.base import BackendError
from hub.connectors.records import (
    ActivityKind,
    Completion,
    Deal,
    Fetched,
    IncentiveClaim,
    IncentiveGoal,
    Lead,
    PartnerAccount,
    PartnerRef,
    PersonRef,
    QuizResult,
    Redistribution,
    SalesActivity,
    VendorEmail,
)
from hub.db import Database, PartnerOrg, User
from hub.services import activity
from hub.services.activity import Activity
from hub.services.conflicts.matching import Registration, record_registrations, registration_of
from hub.services.conflicts.policy import conflict_policy
from hub.services.handover.assignment import record_account_owner
from hub.services.partner_activity import partner_ref

log = logging.getLogger("hub.sync")
CONCURRENCY = 8  # reads in flight at once
R = TypeVar("R")
T = TypeVar("T")
S = TypeVar("S", PartnerRef, PersonRef)


@dataclass
class SyncReport:
    """What one pass saw and wrote."""

    seen: int = 0
    recorded: int = 0
    failures: int = 0
    conflicts: int = 0  # deal-registration conflicts found


async def sync_activity(db: Database, backends: Backends) -> SyncReport:
    """One pass over every org and person the hub knows."""
    report = SyncReport()
    async with db.session() as session:
        orgs = (await session.scalars(select(PartnerOrg))).all()
        users = (
            await session.scalars(
                select(User)
                .where(User.partner_org_id.is_not(None))
                .options(selectinload(User.partner_org))
            )
        ).all()
    people = {user.email: user for user in users}
    # Reads run a few at a time (the backends answer in parallel); writes one at a time.
    gate = asyncio.Semaphore(CONCURRENCY)
    writing = asyncio.Lock()

    async def org_pass(org: PartnerOrg) -> None:
        async with gate:
            events, registrations, account = await _org_events(org, backends, people, report)
        async with writing:
            await _record(db, events, report)
            await _record_registrations(db, registrations, report)
            if account is not None:
                await record_account_owner(db, org.id, account.owner_email, account.owner_name)

    async def person_pass(user: User) -> None:
        async with gate:
            events = await _person_events(user, backends, report)
        async with writing:
            await _record(db, events, report)

    await asyncio.gather(*(org_pass(org) for org in orgs))
    await asyncio.gather(*(person_pass(user) for user in users if user.partner_org is not None))
    log.info(
        "sync pass",
        extra={"seen": report.seen, "recorded": report.recorded, "conflicts": report.conflicts},
    )
    return report


async def _org_events(
    org: PartnerOrg, backends: Backends, people: dict[str, User], report: SyncReport
) -> tuple[list[Activity], list[Registration], PartnerAccount | None]:
    """What the PRM and the TCMA say the org did, the deals it registered, and its account."""
    partner = partner_ref(org)
    events: list[Activity] = []
    account = await _read_value(backends.prm.partner_account, partner, report)
    if account is not None and account.agreement_start is not None:
        events.append(_joined_event(account, org))
    if account is not None:
        events.append(_agreement_snapshot(account, org, datetime.now(UTC).date()))
    deals = await _read_fetched(backends.prm.deals, partner, report)
    # Conflicts need to know which PRM a deal is in: a merged answer of several cannot say.
    source = deals.sources[0] if deals is not None and len(set(deals.sources)) == 1 else ""
    registrations = []
    for deal in deals.value if deals is not None else []:
        events += _deal_events(deal, org, people.get((deal.owner_email or "").lower()))
        if source:
            registrations.append(registration_of(deal, org.id, source))
    for sale in await _read(backends.prm.sales_activities, partner, report):
        owner = people.get((sale.owner_email or "").lower())
        events.append(_sales_activity_event(sale, org, owner))
    shared = await _read(backends.tcma.redistributions, partner, report)
    events += [_redistribution_event(item, org, people.get(item.email.lower())) for item in shared]
    leads = await _read(backends.tcma.leads, partner, report)
    return events + [_lead_event(lead, org) for lead in leads], registrations, account


async def _person_events(user: User, backends: Backends, report: SyncReport) -> list[Activity]:
    """What the LMS and the incentive system say one person did."""
    assert user.partner_org is not None  # noqa: S101 - the caller keeps partner people only
    person = PersonRef(email=user.email, partner=partner_ref(user.partner_org))
    events = [
        _completion_event(completion, user)
        for completion in await _read(backends.lms.completions, person, report)
    ]
    quizzes = await _read(backends.lms.quiz_results, person, report)
    events += [_quiz_event(quiz, user) for quiz in quizzes if quiz.passed]
    claims = await _read(backends.incentives.claims, person, report)
    events += [_claim_event(claim, user) for claim in claims]
    for sent in await _read(backends.tcma.vendor_emails, person, report):
        events += _vendor_email_events(sent, user)
    today = datetime.now(UTC).date()
    goals = await _read(backends.incentives.goals, person, report)
    return events + [
        _goal_snapshot(goal, user, today)
        for goal in goals
        if goal.period_start <= today <= goal.period_end and goal.target > 0
    ]


async def _read(read: Read[S, list[R]], subject: S, report: SyncReport) -> list[R]:
    """The records the read returns; nothing (and a logged failure) if it failed."""
    return await _read_value(read, subject, report) or []


async def _read_value(read: Read[S, T], subject: S, report: SyncReport) -> T | None:
    """What the read returns; ``None`` (and a logged failure) if it failed."""
    fetched = await _read_fetched(read, subject, report)
    return None if fetched is None else fetched.value


async def _read_fetched(read: Read[S, T], subject: S, report: SyncReport) -> Fetched[T] | None:
    """The read's answer with its sources; ``None`` (and a logged failure) if it failed."""
    if not read.backends.has(read.operation.kind):
        return None
    try:
        return await read(subject)
    except BackendError as exc:  # AllBackendsFailed included
        report.failures += 1
        log.warning("sync read failed", extra={"operation": read.operation.name, "error": str(exc)})
        return None


async def _record_registrations(
    db: Database, registrations: list[Registration], report: SyncReport
) -> None:
    """Keep the org's registrations and open a conflict for each new clash."""
    if not registrations:
        return
    async with db.transaction() as session:
        policy = await conflict_policy(session)
        found = await record_registrations(session, registrations, policy, datetime.now(UTC))
    report.conflicts += len(found)


async def _record(db: Database, events: list[Activity], report: SyncReport) -> None:
    if not events:
        return
    report.seen += len(events)
    async with db.transaction() as session:
        report.recorded += len(await activity.record_all(session, events))


def _joined_event(account: PartnerAccount, org: PartnerOrg) -> Activity:
    """The partner joined the program: its agreement's start in the PRM (not activity)."""
    start = account.agreement_start
    assert start is not None  # noqa: S101 - the caller checked
    return Activity(
        key=f"partner_joined:{account.id}:{start.isoformat()}",
        kind="partner_joined",
        occurred_at=datetime.combine(start, time(), UTC),
        partner_org_id=org.id,
        object=account.id,
        source="sync",
        payload={"agreement_status": account.agreement_status},
    )


def _agreement_snapshot(account: PartnerAccount, org: PartnerOrg, today: date) -> Activity:
    """How the partner agreement stands in the PRM today (one snapshot a day): its status
    and end, for "agreement lapsed" and "agreement ends soon"."""
    end = account.agreement_end
    return Activity(
        key=f"agreement_state:{account.id}:{today.isoformat()}",
        kind="agreement_state",
        occurred_at=datetime.combine(today, time(), UTC),
        partner_org_id=org.id,
        object=account.id,
        source="sync",
        payload={"status": account.agreement_status, "end": end.isoformat() if end else None},
    )


def _deal_events(deal: Deal, org: PartnerOrg, owner: User | None) -> list[Activity]:
    payload = {"amount": str(deal.amount.amount), "currency": deal.amount.currency}
    registered = Activity(
        key=f"deal_registered:{deal.id}",
        kind="deal_registered",
        occurred_at=deal.registered_at,
        user_id=owner.id if owner else None,
        partner_org_id=org.id,
        object=deal.id,
        source="sync",
        payload={**payload, "customer": deal.customer},
    )
    if not (deal.is_won and deal.closed_at is not None):
        return [registered]
    won = Activity(
        key=f"deal_won:{deal.id}",
        kind="deal_won",
        occurred_at=deal.closed_at,
        user_id=owner.id if owner else None,
        partner_org_id=org.id,
        object=deal.id,
        source="sync",
        payload=payload,
    )
    return [registered, won]


def _sales_activity_event(sale: SalesActivity, org: PartnerOrg, owner: User | None) -> Activity:
    """A meeting the partner held, or a call, email or task it logged (selling activity)."""
    kind = "meeting_held" if sale.kind == ActivityKind.MEETING else "call_logged"
    return Activity(
        key=f"{kind}:{sale.id}",
        kind=kind,
        occurred_at=sale.occurred_at,
        user_id=owner.id if owner else None,
        partner_org_id=org.id,
        object=sale.id,
        source="sync",
        payload={"with_vendor": sale.with_vendor, "subject": sale.subject, "type": sale.kind.value},
    )


def _redistribution_event(shared: Redistribution, org: PartnerOrg, person: User | None) -> Activity:
    return Activity(
        key=f"campaign_redistributed:{shared.campaign_id}:{shared.email}:{shared.shared_at.isoformat()}",
        kind="campaign_redistributed",
        occurred_at=shared.shared_at,
        user_id=person.id if person else None,
        partner_org_id=org.id,
        object=shared.campaign_id,
        source="sync",
        payload={"channel": shared.channel, "reach": shared.reach},
    )


def _lead_event(lead: Lead, org: PartnerOrg) -> Activity:
    """A lead the partner's marketing earned and shared with the vendor (lead generation)."""
    return Activity(
        key=f"lead_shared:{lead.id}",
        kind="lead_shared",
        occurred_at=lead.created_at,
        partner_org_id=org.id,
        object=lead.id,
        source="sync",
        payload={"campaign_id": lead.campaign_id or "", "stage": lead.stage},
    )


def _person_event(
    user: User, kind: str, key: str, occurred_at: datetime, obj: str, payload: dict[str, Any]
) -> Activity:
    """A fact about one person of a partner org, keyed by the backend's own id for it."""
    return Activity(
        key=f"{kind}:{key}",
        kind=kind,
        occurred_at=occurred_at,
        user_id=user.id,
        partner_org_id=user.partner_org_id,
        object=obj,
        source="sync",
        payload=payload,
    )


def _completion_event(completion: Completion, user: User) -> Activity:
    course = completion.course
    return _person_event(
        user,
        "course_completed",
        f"{user.email}:{course.id}",
        completion.completed_at,
        course.id,
        {"course": course.name},
    )


def _quiz_event(quiz: QuizResult, user: User) -> Activity:
    return _person_event(
        user,
        "quiz_passed",
        f"{user.email}:{quiz.activity_id}:{quiz.attempted_at.isoformat()}",
        quiz.attempted_at,
        quiz.activity_id,
        {"score": str(quiz.score), "name": quiz.name},
    )


def _vendor_email_events(sent: VendorEmail, user: User) -> list[Activity]:
    """The vendor emailed a partner person, and (if so) they opened it."""
    detail = {"email_id": sent.email_id}
    events = [
        _person_event(user, "vendor_email_sent", sent.id, sent.sent_at, sent.email_id, detail)
    ]
    if sent.read_at is not None:
        events.append(
            _person_event(user, "vendor_email_opened", sent.id, sent.read_at, sent.email_id, detail)
        )
    return events


def _goal_snapshot(goal: IncentiveGoal, user: User, today: date) -> Activity:
    """Where one of a person's current goals stands today (one snapshot a day): how much of
    the target is reached and how much of the period is gone, for "behind pace"."""
    days = (goal.period_end - goal.period_start).days + 1
    elapsed = min(1.0, ((today - goal.period_start).days + 1) / days)
    return _person_event(
        user,
        "goal_progress",
        f"{user.email}:{goal.id}:{today.isoformat()}",
        datetime.combine(today, time(), UTC),
        goal.id,
        {"share": f"{goal.achieved / goal.target:.4f}", "elapsed": f"{elapsed:.4f}"},
    )


def _claim_event(claim: IncentiveClaim, user: User) -> Activity:
    return _person_event(
        user,
        "claim_submitted",
        claim.id,
        claim.submitted_at,
        claim.id,
        {"program": claim.program, "status": claim.status},
    )
