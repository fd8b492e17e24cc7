"""Finding and provisioning users and their partner orgs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from hub.auth.principal import Principal, known_roles
from hub.db import PartnerOrg, User


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(
        select(User)
        .where(User.email == normalise_email(email))
        .options(selectinload(User.partner_org))
    )


async def org_by_slug(session: AsyncSession, slug: str) -> PartnerOrg | None:
    return await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == slug))


def principal_for(user: User, persona: str | None = None) -> Principal:
    """The session's picture of ``user``; ``persona`` defaults to the primary role."""
    roles = known_roles(user.roles)
    org = user.partner_org
    chosen = persona if persona in roles else (roles[0] if roles else "")
    return Principal(
        id=user.id,
        email=user.email,
        name=user.name or user.email,
        roles=roles,
        partner_org=org.slug if org else None,
        partner_org_id=org.id if org else None,
        partner_org_name=org.name if org else None,
        locale=user.locale,
        persona=chosen,
    )
