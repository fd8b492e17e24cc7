"""Seed the hub's database with the demo cast. Safe to run again: it only adds what is missing."""

from __future__ import annotations

from sqlalchemy import select

from hub.db import Database, PartnerOrg, User
from hub.db.models import FieldContact
from hub.demo.cast import FIELD_TEAM, ORGS, USERS


async def seed_demo(db: Database) -> tuple[int, int]:
    """Insert missing demo orgs and users; how many of each were added."""
    added_orgs = added_users = 0
    async with db.transaction() as session:
        orgs = {org.slug: org for org in (await session.scalars(select(PartnerOrg))).all()}
        for demo in ORGS:
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
        for person in USERS:
            if person.email in known:
                continue
            session.add(
                User(
                    email=person.email,
                    name=person.name,
                    roles=list(person.roles),
                    partner_org_id=orgs[person.org].id if person.org else None,
                    locale=person.locale,
                )
            )
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
    return added_orgs, added_users
