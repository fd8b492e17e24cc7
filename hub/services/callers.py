"""Who a caller is as the database has them now: roles, org and its ids in the backends.

This read runs on every page and widget call, so it is one statement, bound per call and
read outside a transaction; :mod:`hub.db.callers` keeps its answers while PostgreSQL
reports no access change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select

from hub.auth.principal import known_roles
from hub.connectors.records import PartnerRef
from hub.db import Database, PartnerOrg, User
from hub.personas.audience import OrgProfile
from hub.services.partner_activity import partner_ref

# One statement object, bound per call: no new expression and cache key each time.
_CALLER = (
    select(
        User.email,
        User.roles,
        User.partner_org_id,
        User.active,
        PartnerOrg.slug,
        PartnerOrg.name,
        PartnerOrg.tier,
        PartnerOrg.region,
        PartnerOrg.partner_type,
        PartnerOrg.domain,
        PartnerOrg.external_ids,
    )
    .outerjoin(PartnerOrg, User.partner_org_id == PartnerOrg.id)
    .where(User.id == bindparam("user_id"))
)


@dataclass(frozen=True)
class Caller:
    """What the database says of a caller, derived once per read (and kept while it holds)."""

    email: str
    roles: tuple[str, ...]
    partner_org_id: int | None
    org: OrgProfile | None
    partner: PartnerRef | None


async def read_caller(db: Database, user_id: int) -> Caller | None:
    """The user's roles and org now, or ``None`` when the user is gone or deactivated."""
    async with db.reading() as conn:
        row = (await conn.execute(_CALLER, {"user_id": user_id})).first()
    if row is None or not row.active:
        return None
    if row.partner_org_id is None:
        return Caller(row.email, known_roles(row.roles), None, None, None)
    profile = OrgProfile(
        row.partner_org_id, row.slug, row.name, row.tier, row.region, row.partner_type
    )
    return Caller(row.email, known_roles(row.roles), row.partner_org_id, profile, partner_ref(row))
