"""SCIM Groups: an IdP's groups, each mapped to one hub role its members hold.

A group's role is the provider's ``group_roles`` entry for its ``displayName``,
else the name itself when it is a partner role (``sales_rep`` …), else none: such
a group is kept, and gives its members nothing. A member's roles are the roles of
every group of this provider they are in; members are the provider's own users
(see :mod:`hub.services.scim.users`), anyone else is ``invalidValue``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scim2_models import (
    Group,
    GroupMember,
    InvalidValueException,
    Meta,
    NotFoundException,
    UniquenessException,
)
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg, User
from hub.db.models import IdentityProvider
from hub.db.scim import ScimGroup, ScimMember
from hub.personas.catalogue import roles as catalogue_roles
from hub.services.scim.users import PATCH_POLICY, Change, _in_scope, check_version, etag

MAX_COUNT = 200


def role_for(provider: IdentityProvider, display_name: str) -> str:
    """The hub role a group of this name gives (``""``: none)."""
    mapped = dict(provider.group_roles).get(display_name)
    partner_roles = set(catalogue_roles().known) - set(catalogue_roles().vendor)
    if isinstance(mapped, str) and mapped in partner_roles:
        return mapped
    return display_name if display_name in partner_roles else ""


class ScimGroups:
    """The Groups endpoint's work for one provider."""

    def __init__(self, db: Database, provider: IdentityProvider, base_url: str) -> None:
        self.db = db
        self.provider = provider
        self.base_url = base_url

    async def _resource(self, tx: AsyncSession, group: ScimGroup) -> Any:
        members = (
            await tx.execute(
                select(User.id, User.email)
                .join(ScimMember, ScimMember.user_id == User.id)
                .where(ScimMember.group_id == group.id)
                .order_by(User.id)
            )
        ).all()
        resource = Group(
            id=str(group.id),
            display_name=group.display_name,
            external_id=group.external_id or None,
            members=[
                GroupMember(value=str(uid), display=email, ref=None, type=None)
                for uid, email in members
            ]
            or None,
        )
        resource.meta = Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{self.base_url}/scim/v2/Groups/{group.id}",
        )
        resource.meta.version = etag(resource)
        return resource

    async def _group(self, tx: AsyncSession, group_id: str) -> ScimGroup:
        group = await tx.get(ScimGroup, int(group_id)) if group_id.isdigit() else None
        if group is None or group.provider_id != self.provider.id:
            raise NotFoundException(detail=f"no group {group_id[:40]}")
        return group

    async def get(self, group_id: str) -> Any:
        async with self.db.session() as session:
            return await self._resource(session, await self._group(session, group_id))

    async def search(
        self, display_name: str | None, start_index: int, count: int
    ) -> tuple[int, list[Any]]:
        query = select(ScimGroup).where(ScimGroup.provider_id == self.provider.id)
        if display_name is not None:
            query = query.where(func.lower(ScimGroup.display_name) == display_name.lower())
        async with self.db.session() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            groups = (
                await session.scalars(
                    query.order_by(ScimGroup.id)
                    .offset(max(start_index, 1) - 1)
                    .limit(max(0, min(count, MAX_COUNT)))
                )
            ).all()
            return int(total or 0), [await self._resource(session, g) for g in groups]

    async def _set_members(self, tx: AsyncSession, group: ScimGroup, resource: Any) -> set[int]:
        wanted: set[int] = set()
        for member in resource.members or []:
            value = str(member.value or "")
            if not value.isdigit():
                raise InvalidValueException(detail=f"members: no user {value[:40]}")
            wanted.add(int(value))
        if wanted:
            found = set(
                (
                    await tx.scalars(
                        select(User.id)
                        .join(PartnerOrg, User.partner_org_id == PartnerOrg.id)
                        .where(User.id.in_(wanted), _in_scope(self.provider))
                    )
                ).all()
            )
            if found != wanted:
                raise InvalidValueException(detail="members: not all of them are your users")
        before = set(
            await tx.scalars(select(ScimMember.user_id).where(ScimMember.group_id == group.id))
        )
        await tx.execute(
            delete(ScimMember).where(
                ScimMember.group_id == group.id, ScimMember.user_id.in_(before - wanted)
            )
        )
        for user_id in wanted - before:
            tx.add(ScimMember(group_id=group.id, user_id=user_id))
        await tx.flush()
        return before ^ wanted

    async def _recompute_roles(self, tx: AsyncSession, user_ids: set[int]) -> list[Change]:
        changes: list[Change] = []
        for user_id in sorted(user_ids):
            roles = (
                await tx.scalars(
                    select(ScimGroup.role)
                    .join(ScimMember, ScimMember.group_id == ScimGroup.id)
                    .where(ScimMember.user_id == user_id, ScimGroup.provider_id == self.provider.id)
                )
            ).all()
            user = await tx.get(User, user_id)
            wanted = sorted({role for role in roles if role})
            if user is not None and sorted(user.roles) != wanted:
                user.roles = wanted
                changes.append(Change(user_id, "changed"))
        return changes

    async def create(self, resource: Any) -> tuple[Any, list[Change]]:
        name = (resource.display_name or "").strip()
        if not name:
            raise InvalidValueException(detail="displayName is required")
        async with self.db.transaction() as tx:
            taken = await tx.scalar(
                select(ScimGroup.id).where(
                    ScimGroup.provider_id == self.provider.id, ScimGroup.display_name == name
                )
            )
            if taken is not None:
                raise UniquenessException(detail=f"group {name[:80]} exists")
            group = ScimGroup(
                provider_id=self.provider.id,
                display_name=name,
                external_id=resource.external_id or "",
                role=role_for(self.provider, name),
            )
            tx.add(group)
            await tx.flush()
            moved = await self._set_members(tx, group, resource)
            changes = await self._recompute_roles(tx, moved)
            return await self._resource(tx, group), changes

    async def patch(
        self, group_id: str, operations: Any, if_match: str | None
    ) -> tuple[Any, list[Change]]:
        async with self.db.transaction() as tx:
            group = await self._group(tx, group_id)
            current = await self._resource(tx, group)
            check_version(current, if_match)
            wanted = current.model_copy(deep=True)
            operations.patch(wanted, scim_policy=PATCH_POLICY)
            name = (wanted.display_name or "").strip()
            if not name:
                raise InvalidValueException(detail="displayName is required")
            group.display_name = name
            group.role = role_for(self.provider, name)
            group.external_id = wanted.external_id or ""
            group.updated_at = datetime.now(UTC)
            moved = await self._set_members(tx, group, wanted)
            members = set(
                await tx.scalars(select(ScimMember.user_id).where(ScimMember.group_id == group.id))
            )
            changes = await self._recompute_roles(tx, moved | members)
            return await self._resource(tx, group), changes

    async def delete(self, group_id: str) -> list[Change]:
        async with self.db.transaction() as tx:
            group = await self._group(tx, group_id)
            members = set(
                await tx.scalars(select(ScimMember.user_id).where(ScimMember.group_id == group.id))
            )
            await tx.execute(delete(ScimMember).where(ScimMember.group_id == group.id))
            await tx.delete(group)
            await tx.flush()
            return await self._recompute_roles(tx, members)
