"""Seed the hub's database with the demo cast. Safe to run again: it only adds what is missing.

``population=True`` (what ``hub demo`` and ``hub seed-demo`` do) adds the program's wider
population too (:mod:`hub.demo.population`): some sixty partner orgs and their people,
and the hub's own record of their past sign-ins, drawn from each org's story. Everything
else the program pages show comes from the sandboxes through the connectors.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg, User
from hub.db.models import FieldContact
from hub.demo.cast import FIELD_TEAM, ORGS, USERS, DemoOrg, DemoUser
from hub.demo.population import Channel, moments, population
from hub.services import activity
from hub.services.activity import Activity


async def seed_demo(
    db: Database, *, population_too: bool = False, today: datetime | None = None
) -> tuple[int, int]:
    """Insert missing demo orgs and users; how many of each were added."""
    day = (today or datetime.now(UTC)).date()
    crowd = population(day)
    orgs_wanted: tuple[DemoOrg, ...] = ORGS + (crowd.orgs if population_too else ())
    users_wanted: tuple[DemoUser, ...] = USERS + (crowd.users if population_too else ())
    added_orgs = added_users = 0
    async with db.transaction() as session:
        orgs = {org.slug: org for org in (await session.scalars(select(PartnerOrg))).all()}
        for demo in orgs_wanted:
            if demo.slug not in orgs:
                orgs[demo.slug] = PartnerOrg(
                    slug=demo.slug,
                    name=demo.name,
                    tier=demo.tier,
                    region=demo.region,
                    partner_type=demo.partner_type,
                    status="dormant" if demo.dormant else demo.status,
                    domain=demo.domain,
                )
                session.add(orgs[demo.slug])
                added_orgs += 1
        await session.flush()
        known = set((await session.scalars(select(User.email))).all())
        added: list[tuple[User, DemoOrg]] = []
        plans = {org.slug: org for org in crowd.orgs}
        for person in users_wanted:
            if person.email in known:
                continue
            user = User(
                email=person.email,
                name=person.name,
                roles=list(person.roles),
                partner_org_id=orgs[person.org].id if person.org else None,
                locale=person.locale,
            )
            session.add(user)
            if person.org in plans:
                added.append((user, plans[person.org]))
            added_users += 1
        known_contacts = set((await session.scalars(select(FieldContact.email))).all())
        for contact in FIELD_TEAM:
            if contact.email not in known_contacts:
                session.add(
                    FieldContact(
                        partner_org_id=orgs[contact.org].id if contact.org else None,
                        role=contact.role,
                        name=contact.name,
                        email=contact.email,
                        phone=contact.phone,
                    )
                )
        await session.flush()
        for user, org in added:
            await _past_sign_ins(session, user, org, day)
    return added_orgs, added_users


async def _past_sign_ins(session: AsyncSession, user: User, org: DemoOrg, day: date) -> None:
    """The hub's record of a population person's sign-ins before the demo began."""
    assert org.plan is not None  # noqa: S101 - population orgs have stories
    draw = random.Random(f"hub:sign_ins:{user.email}")  # noqa: S311 - seeded demo figures
    await activity.record_all(
        session,
        [
            Activity(
                key=f"sign_in:demo:{user.email}:{at.isoformat()}",
                kind="sign_in",
                occurred_at=at,
                user_id=user.id,
                partner_org_id=user.partner_org_id,
                source="demo",
            )
            for at in moments(org.plan, Channel.SIGN_INS, day, draw)
        ],
    )
