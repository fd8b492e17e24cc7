"""The vendor's field team a partner can reach: channel manager and support contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub import per_page
from hub.db import Database
from hub.db.models import FieldContact, User
from hub.db.timeline import AssignmentChange


@dataclass(frozen=True)
class Contact:
    role: str  # channel_manager | support
    name: str
    email: str
    phone: str


async def shared_field_team(db: Database, partner_org_id: int | None) -> list[Contact]:
    """:func:`field_team`, read once per page: its widget and whom one may thank share it."""

    async def read() -> list[Contact]:
        async with db.session() as session:
            return await field_team(session, partner_org_id)

    return await per_page.once(("field_team", partner_org_id), read)


def _one_per_person(contacts: list[Contact]) -> list[Contact]:
    """Each (role, email) once, where it first came (the org's own before every org's),
    with a phone number if any of its copies has one: the PRM's account owner is often
    also the contact covering every partner, and the widget listed them twice."""
    kept: dict[tuple[str, str], Contact] = {}
    for contact in contacts:
        key = (contact.role, contact.email.lower())
        first = kept.get(key)
        if first is None:
            kept[key] = contact
        elif not first.phone and contact.phone:
            kept[key] = Contact(first.role, first.name, first.email, contact.phone)
    return list(kept.values())


async def field_team(session: AsyncSession, partner_org_id: int | None) -> list[Contact]:
    """Contacts assigned to the org (or to every org); else the vendor's channel managers.

    The contacts and the org's latest reassignment in the hub come in one statement.
    """
    handover = (
        select(AssignmentChange.to_email, AssignmentChange.to_name)
        .where(AssignmentChange.partner_org_id == partner_org_id if partner_org_id else false())
        .order_by(AssignmentChange.changed_at.desc(), AssignmentChange.id.desc())
        .limit(1)
        .subquery()
    )
    # One row at least, so a reassignment shows although the org has no contacts.
    anchor = select(literal(1).label("one")).subquery()
    found = (
        await session.execute(
            select(
                handover.c.to_email,
                handover.c.to_name,
                FieldContact.role,
                FieldContact.name,
                FieldContact.email,
                FieldContact.phone,
            )
            .select_from(anchor)
            .outerjoin(handover, true())
            .outerjoin(
                FieldContact,
                or_(
                    FieldContact.partner_org_id.is_(None),
                    FieldContact.partner_org_id == partner_org_id,
                ),
            )
            .order_by(FieldContact.partner_org_id.is_(None), FieldContact.role, FieldContact.name)
        )
    ).all()
    rows = _one_per_person(
        [Contact(r.role, r.name, r.email, r.phone) for r in found if r.email is not None]
    )
    if found and found[0].to_email is not None:  # reassigned in the hub: the new manager
        handed = found[0]
        manager = Contact("channel_manager", handed.to_name or handed.to_email, handed.to_email, "")
        return [manager] + [r for r in rows if r.role != "channel_manager"]
    if rows:
        return rows
    vendor_staff = (
        await session.scalars(select(User).where(User.partner_org_id.is_(None)).order_by(User.name))
    ).all()
    return [
        Contact(role, user.name or user.email, user.email, "")
        for user in vendor_staff
        for role in ("channel_manager", "support")
        if role in (user.roles or [])
    ]
