"""Just-in-time provisioning: find or create the user an identity provider vouches for.

The identity (issuer + subject) is the link; email only links a first sign-in
to an account that already exists, and never across partner orgs through a
provider that is tied to particular orgs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from hub.auth.failures import SignInRefused
from hub.auth.principal import known_roles
from hub.auth.profile import Profile
from hub.auth.providers import Provider
from hub.db import Database, Identity, PartnerOrg, User
from hub.i18n import N_
from hub.personas.catalogue import roles as catalogue_roles
from hub.services.users import org_by_slug, user_by_email


@dataclass
class Provisioned:
    """The user to sign in, and what changed on the way (each becomes an audit entry)."""

    user: User
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # action, target, reason


async def _resolve_org(
    tx: AsyncSession, provider: Provider, profile: Profile, result: list[tuple[str, str, str]]
) -> PartnerOrg | None:
    slug = profile.partner_org
    if provider.trusted_for_all_orgs:
        if slug is None:
            return None  # vendor staff
        org = await org_by_slug(tx, slug)
        if org is None:
            org = PartnerOrg(slug=slug, name=slug)
            tx.add(org)
            await tx.flush()
            result.append(("org_created", slug, f"first sign-in through {provider.name}"))
        return org

    if slug is None and len(provider.allowed_orgs) == 1:
        slug = next(iter(provider.allowed_orgs))
    if slug is None:
        raise SignInRefused(f"{provider.name} sent no partner org and is tied to several")
    if slug not in provider.allowed_orgs:
        raise SignInRefused(
            f"{provider.name} is not allowed to sign users into org {slug!r}",
            N_("Your identity provider may not sign you in to that partner organisation."),
        )
    org = await org_by_slug(tx, slug)
    if org is None:
        raise SignInRefused(
            f"org {slug!r} is unknown and {provider.name} may not create orgs",
            N_("Your partner organisation is not set up in the hub yet. Ask your administrator."),
        )
    return org


async def provision(db: Database, provider: Provider, profile: Profile) -> Provisioned:
    """The user for ``profile``, created or updated in one transaction; refuses on any conflict."""
    changes: list[tuple[str, str, str]] = []
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        org = await _resolve_org(tx, provider, profile, changes)
        roles = profile.roles
        if roles is not None and not provider.trusted_for_all_orgs:
            # A partner's IdP can never make someone vendor staff.
            dropped = [role for role in roles if role in catalogue_roles().vendor]
            if dropped:
                changes.append(
                    ("role_refused", profile.email, f"{provider.name} may not grant {dropped}")
                )
            roles = tuple(role for role in roles if role not in catalogue_roles().vendor)

        identity = await tx.scalar(
            select(Identity)
            .where(Identity.issuer == profile.issuer, Identity.subject == profile.subject)
            .options(selectinload(Identity.user).selectinload(User.partner_org))
        )
        user = identity.user if identity else await user_by_email(tx, profile.email)
        if (
            user is not None
            and identity is None
            and not provider.trusted_for_all_orgs
            and user.partner_org_id != (org.id if org else None)
        ):
            raise SignInRefused(
                f"{profile.email} belongs to another org than {provider.name} may vouch for",
                N_(
                    "This email address belongs to an account your identity provider"
                    " may not sign in to. Ask your administrator."
                ),
            )
        if user is not None and not user.active:
            raise SignInRefused(
                f"{user.email} is deactivated",
                N_("Your account has been deactivated. Ask your administrator."),
            )
        if user is None:
            user = User(
                email=profile.email,
                name=profile.name,
                partner_org=org,
                roles=list(known_roles(roles or ())),
            )
            tx.add(user)
            await tx.flush()
            changes.append(
                ("user_created", profile.email, f"first sign-in through {provider.name}")
            )
            if user.roles:
                changes.append(("role_change", profile.email, f"[] -> {user.roles}"))
        else:
            if user.email != profile.email:
                taken = await user_by_email(tx, profile.email)
                if taken is not None and taken.id != user.id:
                    raise SignInRefused(
                        f"new email {profile.email} is already another user's",
                        N_(
                            "Your new email address is already used by another account."
                            " Ask your administrator."
                        ),
                    )
                changes.append(("email_change", profile.email, f"was {user.email}"))
                user.email = profile.email
            user.name = profile.name
            if (org.id if org else None) != user.partner_org_id:
                before = user.partner_org.slug if user.partner_org else None
                changes.append(
                    ("org_change", profile.email, f"{before} -> {org.slug if org else None}")
                )
                user.partner_org = org
            if roles is not None:
                new_roles = list(known_roles(roles))
                if new_roles != list(user.roles):
                    changes.append(("role_change", profile.email, f"{user.roles} -> {new_roles}"))
                    user.roles = new_roles
        if identity is None:
            identity = Identity(issuer=profile.issuer, subject=profile.subject, user_id=user.id)
            tx.add(identity)
        identity.last_used_at = now
        await tx.flush()
        await tx.refresh(user, ["partner_org"])
    return Provisioned(user=user, changes=changes)
