"""The vendor's field team a partner can reach: channel manager and support contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.models import FieldContact, User
from hub.services.handover.assignment import overrides


@dataclass(frozen=True)
class Contact:
    role: str  # channel_manager | support
    name: str
    email: str
    phone: str


async def field_team(session: AsyncSession, partner_org_id: int | None) -> list[Contact]:
    """Contacts assigned to the org (or to every org); else the vendor's channel managers."""
    rows = (
        await session.scalars(
            select(FieldContact)
            .where(
                or_(
                    FieldContact.partner_org_id.is_(None),
                    FieldContact.partner_org_id == partner_org_id,
                )
            )
            .order_by(FieldContact.partner_org_id.is_(None), FieldContact.role, FieldContact.name)
        )
    ).all()
    handed = (await overrides(session)).get(partner_org_id) if partner_org_id else None
    if handed is not None:  # reassigned in the hub: the new manager (never the note)
        manager = Contact("channel_manager", handed.to_name or handed.to_email, handed.to_email, "")
        return [manager] + [
            Contact(r.role, r.name, r.email, r.phone) for r in rows if r.role != "channel_manager"
        ]
    if rows:
        return [Contact(r.role, r.name, r.email, r.phone) for r in rows]
    vendor_staff = (
        await session.scalars(select(User).where(User.partner_org_id.is_(None)).order_by(User.name))
    ).all()
    return [
        Contact(role, user.name or user.email, user.email, "")
        for user in vendor_staff
        for role in ("channel_manager", "support")
        if role in (user.roles or [])
    ]
