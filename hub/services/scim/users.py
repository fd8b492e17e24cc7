"""SCIM Users over the hub's users, scoped to one identity provider's partner orgs.

A provider sees the partner users of the orgs it may sign people into (every
partner org when it is trusted for all of them), never vendor staff: any other
id is ``404`` and nothing changes. The resource is built from the hub's user
and its :class:`~hub.db.scim.ScimUser` row; ``meta.version`` is a hash of what
the resource says, so any change (SCIM, an administrator, a sign-in) moves it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scim2_models import (
    Context,
    Email,
    EnterpriseUser,
    InvalidValueException,
    Meta,
    Name,
    NotFoundException,
    PreconditionFailedException,
    Role,
    ScimPolicy,
    UniquenessException,
)
from scim2_models import User as ScimUserResource
from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg, User
from hub.db.models import IdentityProvider
from hub.db.scim import ScimUser
from hub.personas.catalogue import roles as catalogue_roles
from hub.services.scim.filters import user_condition
from hub.services.users import normalise_email

Resource = ScimUserResource[EnterpriseUser]
MAX_COUNT = 200
# Entra sends a remove with a value, and filters that match nothing yet.
PATCH_POLICY = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


@dataclass(frozen=True)
class Change:
    """What a write did to a person: ``created``, ``changed`` or ``deactivated``."""

    user_id: int
    change: str


def etag(resource: Any) -> str:
    body = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, exclude={"meta"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def _in_scope(provider: IdentityProvider) -> ColumnElement[bool]:
    orgs = PartnerOrg.slug.in_(provider.allowed_orgs)
    return true() if provider.trusted_for_all_orgs else orgs


def _query(provider: IdentityProvider) -> Select[User, ScimUser, PartnerOrg]:
    return (
        select(User, ScimUser, PartnerOrg)
        .join(PartnerOrg, User.partner_org_id == PartnerOrg.id)
        .outerjoin(ScimUser, and_(ScimUser.user_id == User.id, ScimUser.provider_id == provider.id))
        .where(_in_scope(provider))
    )


def to_resource(base_url: str, user: User, link: ScimUser | None, org: PartnerOrg) -> Any:
    """The SCIM User for the hub's ``user``."""
    resource = Resource(
        id=str(user.id),
        external_id=link.external_id if link and link.external_id else None,
        user_name=user.email,
        display_name=user.name or None,
        name=Name(given_name=link.given_name or None, family_name=link.family_name or None)
        if link and (link.given_name or link.family_name)
        else None,
        active=user.active,
        emails=[Email(value=user.email, primary=True, type=Email.Type.work)],
        roles=[Role(value=role) for role in user.roles] or None,
    )
    resource[EnterpriseUser] = EnterpriseUser(organization=org.slug)
    resource.meta = Meta(
        resource_type="User",
        created=user.created_at,
        last_modified=link.updated_at if link else user.created_at,
        location=f"{base_url}/scim/v2/Users/{user.id}",
    )
    resource.meta.version = etag(resource)
    return resource


class ScimUsers:
    """The Users endpoint's work for one provider."""

    def __init__(self, db: Database, provider: IdentityProvider, base_url: str) -> None:
        self.db = db
        self.provider = provider
        self.base_url = base_url

    async def _row(
        self, tx: AsyncSession, user_id: str
    ) -> tuple[User, ScimUser | None, PartnerOrg]:
        if not user_id.isdigit():
            raise NotFoundException(detail=f"no user {user_id[:40]}")
        row = (await tx.execute(_query(self.provider).where(User.id == int(user_id)))).first()
        if row is None or set(row[0].roles) & catalogue_roles().vendor:
            raise NotFoundException(detail=f"no user {user_id[:40]}")
        user: User = row[0]
        return user, row[1], row[2]

    async def get(self, user_id: str) -> Any:
        async with self.db.session() as session:
            return to_resource(self.base_url, *await self._row(session, user_id))

    async def search(self, text: str | None, start_index: int, count: int) -> tuple[int, list[Any]]:
        """Total matches and one page of them, in id order (``startIndex`` counts from 1)."""
        query = _query(self.provider)
        if text:
            query = query.where(user_condition(text))
        count = max(0, min(count, MAX_COUNT))
        async with self.db.session() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = (
                await session.execute(
                    query.order_by(User.id).offset(max(start_index, 1) - 1).limit(count)
                )
            ).all()
        return int(total or 0), [to_resource(self.base_url, r[0], r[1], r[2]) for r in rows]

    async def _org_for(self, tx: AsyncSession, resource: Any) -> PartnerOrg:
        extension = resource[EnterpriseUser]
        slug = extension.organization if extension else None
        if slug is None and len(self.provider.allowed_orgs) == 1:
            slug = self.provider.allowed_orgs[0]
        if slug is None:
            raise InvalidValueException(
                detail="name the partner org in the enterprise extension's organization"
            )
        slug = str(slug).strip().lower()
        allowed = self.provider.trusted_for_all_orgs or slug in self.provider.allowed_orgs
        org = await tx.scalar(select(PartnerOrg).where(PartnerOrg.slug == slug))
        if not allowed or org is None:
            raise InvalidValueException(detail=f"organization {slug[:64]!r} is not one of yours")
        return org

    def _apply(self, user: User, link: ScimUser, resource: Any) -> None:
        email = _email_of(resource)
        user.email = email
        given = resource.name.given_name if resource.name else None
        family = resource.name.family_name if resource.name else None
        user.name = resource.display_name or " ".join(p for p in (given, family) if p) or email
        link.given_name = given or ""
        link.family_name = family or ""
        link.external_id = resource.external_id or ""
        link.updated_at = datetime.now(UTC)
        if resource.active is not None:
            user.active = bool(resource.active)
        if resource.roles is not None:
            known = set(catalogue_roles().known) - set(catalogue_roles().vendor)
            wanted = [str(role.value) for role in resource.roles if role.value]
            unknown = [role for role in wanted if role not in known]
            if unknown:
                raise InvalidValueException(detail=f"roles: unknown role {unknown[0][:40]!r}")
            user.roles = wanted

    async def create(self, resource: Any) -> tuple[Any, Change]:
        async with self.db.transaction() as tx:
            org = await self._org_for(tx, resource)
            email = _email_of(resource)
            if await tx.scalar(select(User.id).where(User.email == email)) is not None:
                raise UniquenessException(detail=f"userName {email[:80]} is taken")
            user = User(email=email, name="", partner_org_id=org.id, roles=[], active=True)
            tx.add(user)
            await tx.flush()
            link = ScimUser(provider_id=self.provider.id, user_id=user.id)
            tx.add(link)
            self._apply(user, link, resource)
            await tx.flush()
            created = to_resource(self.base_url, user, link, org)
        return created, Change(user.id, "created" if user.active else "deactivated")

    async def replace(
        self, user_id: str, resource: Any, if_match: str | None
    ) -> tuple[Any, Change]:
        """PUT: the resource as sent (``active: false`` from Okta deactivates)."""
        async with self.db.transaction() as tx:
            user, link, org = await self._row(tx, user_id)
            current = to_resource(self.base_url, user, link, org)
            check_version(current, if_match)
            return await self._write(tx, user, link, org, current, resource)

    async def patch(
        self, user_id: str, operations: Any, if_match: str | None
    ) -> tuple[Any, Change]:
        """PATCH: apply the operations to the current resource, then store it."""
        async with self.db.transaction() as tx:
            user, link, org = await self._row(tx, user_id)
            current = to_resource(self.base_url, user, link, org)
            check_version(current, if_match)
            wanted = current.model_copy(deep=True)
            operations.patch(wanted, scim_policy=PATCH_POLICY)
            return await self._write(tx, user, link, org, current, wanted)

    async def _write(
        self,
        tx: AsyncSession,
        user: User,
        link: ScimUser | None,
        org: PartnerOrg,
        current: Any,
        wanted: Any,
    ) -> tuple[Any, Change]:
        was_active = user.active
        new_org = await self._org_for(tx, wanted)
        email = _email_of(wanted)
        if email != user.email:
            taken = await tx.scalar(select(User.id).where(User.email == email))
            if taken is not None and taken != user.id:
                raise UniquenessException(detail=f"userName {email[:80]} is taken")
        if link is None:
            link = ScimUser(provider_id=self.provider.id, user_id=user.id)
            tx.add(link)
        self._apply(user, link, wanted)
        user.partner_org_id = new_org.id
        await tx.flush()
        stored = to_resource(self.base_url, user, link, new_org)
        if was_active and not user.active:
            change = "deactivated"
        elif not was_active and user.active:
            change = "created"
        else:
            change = "changed"
        return stored, Change(user.id, change)

    async def delete(self, user_id: str) -> Change:
        """DELETE: the hub keeps the person (their points and badges stay) but deactivated."""
        async with self.db.transaction() as tx:
            user, _link, _org = await self._row(tx, user_id)
            user.active = False
        return Change(user.id, "deactivated")


def _email_of(resource: Any) -> str:
    primary = next((e.value for e in resource.emails or [] if e.primary and e.value), None)
    email = normalise_email(str(primary or resource.user_name or ""))
    if "@" not in email or len(email) > 320:
        raise InvalidValueException(detail="userName: an email address")
    return email


def check_version(current: Any, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {tag.strip() for tag in if_match.split(",")}
    if current.meta.version not in wanted:
        raise PreconditionFailedException(detail="the resource changed since that version")
