"""What an identity provider says about a person, read through that provider's claim mapping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.auth.failures import SignInRefused
from hub.auth.providers import Provider
from hub.i18n import N_

_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Profile:
    """A person as one provider vouches for them.

    ``roles`` is ``None`` when the provider sent neither a roles nor a mapped
    groups claim: the hub then keeps the roles it already has for the user.
    """

    issuer: str
    subject: str
    email: str
    name: str
    roles: tuple[str, ...] | None
    partner_org: str | None


def _values(raw: Any) -> list[str]:
    """Claims arrive as a string, a list (SAML attributes always are) or a space/comma list."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part for part in re.split(r"[\s,]+", raw) if part]
    if isinstance(raw, list | tuple):
        return [str(item) for item in raw if isinstance(item, str | int)]
    return []


def _first(raw: Any) -> str | None:
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else None
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


def profile_from_claims(
    provider: Provider, issuer: str, subject: str, claims: Mapping[str, Any]
) -> Profile:
    """Map ``claims`` to a :class:`Profile`, or refuse when identity facts are missing or odd."""
    if not subject or len(subject) > 500:
        raise SignInRefused("the provider sent no usable subject")
    if claims.get("email_verified") is False:
        raise SignInRefused(
            "the provider marks the email as unverified",
            N_("Your identity provider has not verified your email address, so we cannot use it."),
        )
    email = (_first(claims.get(provider.claim("email"))) or "").lower()
    if not _EMAIL.match(email):
        raise SignInRefused(f"no valid email in claim {provider.claim('email')!r}")
    name = _first(claims.get(provider.claim("name"))) or email

    roles_claim = claims.get(provider.claim("roles"))
    groups_claim = claims.get(provider.claim("groups")) if provider.group_roles else None
    roles: tuple[str, ...] | None = None
    if roles_claim is not None or groups_claim is not None:
        named = _values(roles_claim)
        from_groups = [
            provider.group_roles[group]
            for group in _values(groups_claim)
            if group in provider.group_roles
        ]
        roles = tuple(dict.fromkeys([*named, *from_groups]))

    org = _first(claims.get(provider.claim("partner_org")))
    if org is not None:
        org = org.lower()
        if not _SLUG.match(org):
            raise SignInRefused(f"partner org claim {org[:80]!r} is not a valid org key")
    return Profile(
        issuer=issuer, subject=subject, email=email, name=name[:200], roles=roles, partner_org=org
    )
