"""Provisioning fan-out: every backend that keeps people's own accounts hears of a change.

When a person is created, changed or deactivated, each connector implementing
:class:`~hub.connectors.writes.PersonProvisioner` is told the person's current
state; the answer is kept per person and backend (:class:`ProvisioningPush`).
A push that failed is retried by the scheduler with backoff, and always sends
the person's state as it is then, so a late retry never undoes a newer change.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from hub.connectors.backends import Backends
from hub.connectors.base import BackendError
from hub.connectors.records import PersonRef
from hub.connectors.writes import PersonAccount, PersonProvisioner
from hub.db import Database, User
from hub.db.scim import ProvisioningPush, ScimUser
from hub.services.partner_activity import partner_ref

log = logging.getLogger("hub.account_push")

BACKOFF_SECONDS = (30, 120, 600, 3600, 6 * 3600)


@dataclass(frozen=True)
class PushReport:
    done: int
    failed: int


def _account(user: User, link: ScimUser | None) -> PersonAccount:
    first, _, last = (user.name or "").partition(" ")
    return PersonAccount(
        email=user.email,
        first_name=(link.given_name if link and link.given_name else first),
        last_name=(link.family_name if link and link.family_name else last),
        active=user.active,
    )


async def push_person(
    db: Database, backends: Backends, user_id: int, change: str, *, now: datetime | None = None
) -> PushReport:
    """Tell every provisioning backend about ``user_id``'s current state; record each answer."""
    now = now or datetime.now(UTC)
    connectors = [c for c in backends.all() if isinstance(c, PersonProvisioner)]
    if not connectors:
        return PushReport(0, 0)
    async with db.session() as session:
        user = await session.scalar(
            select(User).where(User.id == user_id).options(selectinload(User.partner_org))
        )
        if user is None:
            return PushReport(0, 0)
        link = await session.scalar(select(ScimUser).where(ScimUser.user_id == user_id))
        person = PersonRef(
            email=user.email, partner=partner_ref(user.partner_org) if user.partner_org else None
        )
        account = _account(user, link)

    async def one(connector: PersonProvisioner) -> str | BaseException:
        try:
            return await asyncio.wait_for(
                connector.provision_person(person, account),
                connector.config.timeout,  # type: ignore[attr-defined]
            )
        except (BackendError, TimeoutError) as exc:
            return exc

    answers = await asyncio.gather(*(one(c) for c in connectors))
    done = failed = 0
    async with db.transaction() as tx:
        for connector, answer in zip(connectors, answers, strict=True):
            name = connector.config.name
            row = await tx.scalar(
                select(ProvisioningPush).where(
                    ProvisioningPush.user_id == user_id, ProvisioningPush.connector == name
                )
            )
            if row is None:
                row = ProvisioningPush(user_id=user_id, connector=name, attempts=0)
                tx.add(row)
            row.change = change
            row.updated_at = now
            if isinstance(answer, BaseException):
                failed += 1
                row.attempts = (row.attempts or 0) + 1
                row.status = "failed"
                row.error = str(answer)[:500] or type(answer).__name__
                wait = BACKOFF_SECONDS[min(row.attempts - 1, len(BACKOFF_SECONDS) - 1)]
                row.next_attempt_at = now + timedelta(seconds=wait)
                log.warning("account push failed", extra={"connector": name, "user": user_id})
            else:
                done += 1
                row.status, row.error, row.attempts = "done", "", 0
                row.backend_id = answer
                row.next_attempt_at = None
    return PushReport(done, failed)


async def retry_failed(db: Database, backends: Backends, *, now: datetime | None = None) -> int:
    """Push again for every person with a failed push that is due; how many people."""
    now = now or datetime.now(UTC)
    async with db.session() as session:
        due = (
            await session.execute(
                select(ProvisioningPush.user_id, ProvisioningPush.change)
                .where(ProvisioningPush.status == "failed", ProvisioningPush.next_attempt_at <= now)
                .distinct()
                .limit(500)
            )
        ).all()
    for user_id, change in due:
        await push_person(db, backends, user_id, change, now=now)
    return len(due)


async def out_of_step(db: Database) -> list[tuple[ProvisioningPush, str]]:
    """Every failed push with the person's email, newest first (the admin page's list)."""
    async with db.session() as session:
        rows = (
            await session.execute(
                select(ProvisioningPush, User.email)
                .join(User, User.id == ProvisioningPush.user_id)
                .where(ProvisioningPush.status == "failed")
                .order_by(ProvisioningPush.updated_at.desc())
                .limit(200)
            )
        ).all()
    return [(row[0], row[1]) for row in rows]


@dataclass(frozen=True)
class PersonPushes:
    """One person's last push to each backend, for the administrator's list."""

    user_id: int
    email: str
    active: bool
    pushes: tuple[ProvisioningPush, ...]

    @property
    def failing(self) -> bool:
        return any(push.status == "failed" for push in self.pushes)

    def push_to(self, connector: str) -> ProvisioningPush | None:
        return next((push for push in self.pushes if push.connector == connector), None)


async def people_pushes(db: Database, *, limit: int = 200) -> list[PersonPushes]:
    """Everyone the hub pushed, with each backend's last answer: failures first, then newest."""
    failing = func.max(case((ProvisioningPush.status == "failed", 1), else_=0))
    latest = func.max(ProvisioningPush.updated_at)
    async with db.session() as session:
        people = (
            await session.execute(
                select(ProvisioningPush.user_id, User.email, User.active)
                .join(User, User.id == ProvisioningPush.user_id)
                .group_by(ProvisioningPush.user_id, User.email, User.active)
                .order_by(failing.desc(), latest.desc(), User.email)
                .limit(limit)
            )
        ).all()
        ids = [row[0] for row in people]
        pushes = (
            await session.scalars(
                select(ProvisioningPush)
                .where(ProvisioningPush.user_id.in_(ids))
                .order_by(ProvisioningPush.connector)
            )
        ).all()
    by_person: dict[int, list[ProvisioningPush]] = {}
    for push in pushes:
        by_person.setdefault(push.user_id, []).append(push)
    return [
        PersonPushes(user_id, email, active, tuple(by_person.get(user_id, ())))
        for user_id, email, active in people
    ]


async def retry_person(db: Database, backends: Backends, user_id: int) -> PushReport | None:
    """Push ``user_id`` again now, as their latest change; None when they were never pushed."""
    async with db.session() as session:
        change = await session.scalar(
            select(ProvisioningPush.change)
            .where(ProvisioningPush.user_id == user_id)
            .order_by(ProvisioningPush.updated_at.desc())
            .limit(1)
        )
    if change is None:
        return None
    return await push_person(db, backends, user_id, change)
