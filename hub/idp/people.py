"""Who the identity provider signs in to a portal: the person's hub record, read fresh."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.connectors.sign_on import PortalSignOn
from hub.db import Database, User


@dataclass(frozen=True)
class Person:
    """A signed-in person as a portal may learn of them."""

    id: int
    email: str
    name: str
    roles: tuple[str, ...]
    partner_org: str | None
    locale: str | None

    def may_use(self, sign_on: PortalSignOn) -> bool:
        """Whether the person has a role the portal serves."""
        return bool(set(self.roles) & set(sign_on.roles))

    def claims(self, sign_on: PortalSignOn) -> dict[str, Any]:
        """What the portal's registration says it is told, by the hub's claim names."""
        known: dict[str, Any] = {
            "email": self.email,
            "name": self.name,
            "roles": list(self.roles),
            "partner_org": self.partner_org,
            "locale": self.locale,
        }
        told = {claim: known[claim] for claim in sign_on.claims if known.get(claim) is not None}
        if sign_on.identifier:
            told[sign_on.identifier] = sign_on.identifier_of(self.email, self.id)
        return told

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["roles"] = list(self.roles)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Person:
        return cls(**{**data, "roles": tuple(data["roles"])})


async def person_of(db: Database, user_id: int) -> Person | None:
    """The person's current record; ``None`` once they are gone from the hub or deactivated
    (by SCIM or their IdP): no portal signs them in from then on."""
    async with db.session() as session:
        user = await session.scalar(
            select(User).where(User.id == user_id).options(selectinload(User.partner_org))
        )
    if user is None or not user.active:
        return None
    return Person(
        id=user.id,
        email=user.email,
        name=user.name,
        roles=tuple(user.roles or ()),
        partner_org=user.partner_org.slug if user.partner_org else None,
        locale=user.locale,
    )
