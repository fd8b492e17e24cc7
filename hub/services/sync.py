"""Backend activity into the activity log, for backends that send no webhooks.

A sync pass asks each backend what the hub's people and orgs did (courses
completed, quizzes passed, deals registered and won, meetings held and calls,
emails and tasks logged, campaigns redistributed, leads shared, claims
submitted) and appends one activity event per fact.
Keys are derived from the backend's own ids, so running a pass twice, or
after a webhook already delivered the same fact, records nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.connectors.backends import Backends, Read
from hub.connectors.base import BackendError
from hub.connectors.records import (
    ActivityKind,
    Completion,
    Deal,
    IncentiveClaim,
    Lead,
    PartnerRef,
    PersonRef,
    QuizResult,
    Redistribution,
    SalesActivity,
)
from hub.db import Database, PartnerOrg, User
from hub.services import activity
from hub.services.activity import Activity
from hub.services.partner_activity import partner_ref

log = logging.getLogger("hub.sync")
R = TypeVar("R")
S = TypeVar("S", PartnerRef, PersonRef)


@dataclass
class SyncReport:
    """What one pass saw and wrote."""

    seen: int = 0
    recorded: int = 0
    failures: int = 0


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
    for org in orgs:
        partner = partner_ref(org)
        events: list[Activity] = []
        for deal in await _read(backends.prm.deals, partner, report):
            events += _deal_events(deal, org, people.get((deal.owner_email or "").lower()))
        for sale in await _read(backends.prm.sales_activities, partner, report):
            owner = people.get((sale.owner_email or "").lower())
            events.append(_sales_activity_event(sale, org, owner))
        shared = await _read(backends.tcma.redistributions, partner, report)
        events += [
            _redistribution_event(item, org, people.get(item.email.lower())) for item in shared
        ]
        events += [
            _lead_event(lead, org) for lead in await _read(backends.tcma.leads, partner, report)
        ]
        await _record(db, events, report)
    for user in users:
        if user.partner_org is None:
            continue
        person = PersonRef(email=user.email, partner=partner_ref(user.partner_org))
        events = [
            _completion_event(completion, user)
            for completion in await _read(backends.lms.completions, person, report)
        ]
        quizzes = await _read(backends.lms.quiz_results, person, report)
        events += [_quiz_event(quiz, user) for quiz in quizzes if quiz.passed]
        claims = await _read(backends.incentives.claims, person, report)
        events += [_claim_event(claim, user) for claim in claims]
        await _record(db, events, report)
    log.info("sync pass", extra={"seen": report.seen, "recorded": report.recorded})
    return report


async def _read(read: Read[S, list[R]], subject: S, report: SyncReport) -> list[R]:
    """The records the read returns; nothing (and a logged failure) if it failed."""
    if not read.backends.has(read.operation.kind):
        return []
    try:
        fetched = await read(subject)
    except BackendError as exc:  # AllBackendsFailed included
        report.failures += 1
        log.warning("sync read failed", extra={"operation": read.operation.name, "error": str(exc)})
        return []
    return fetched.value


async def _record(db: Database, events: list[Activity], report: SyncReport) -> None:
    if not events:
        return
    async with db.transaction() as session:
        for event in events:
            report.seen += 1
            report.recorded += await activity.record(session, event)


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


def _claim_event(claim: IncentiveClaim, user: User) -> Activity:
    return _person_event(
        user,
        "claim_submitted",
        claim.id,
        claim.submitted_at,
        claim.id,
        {"program": claim.program, "status": claim.status},
    )
