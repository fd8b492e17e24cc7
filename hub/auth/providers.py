"""The identity providers the hub trusts: the environment's one plus those stored in the database.

The environment's providers are named ``oidc`` and ``saml`` and are trusted for
all partner orgs (they belong to the vendor). Stored providers are usually a
partner's own IdP and may only sign users into the orgs they are tied to.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from hub.db import Database
from hub.db.models import IdentityProvider
from hub.settings import Settings

Kind = Literal["oidc", "saml"]
ENV_NAMES = frozenset({"oidc", "saml"})
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# Claim (OIDC) or attribute (SAML) names each profile field is read from, unless mapped.
DEFAULT_CLAIMS: dict[Kind, dict[str, str]] = {
    "oidc": {
        "email": "email",
        "name": "name",
        "roles": "roles",
        "partner_org": "partner_org",
        "groups": "groups",
    },
    "saml": {
        "email": "email",
        "name": "displayName",
        "roles": "roles",
        "partner_org": "partner_org",
        "groups": "groups",
    },
}


@dataclass(frozen=True)
class Provider:
    """One identity provider, as the sign-in flows need it."""

    name: str
    kind: Kind
    title: str
    issuer: str = ""
    metadata_url: str = ""
    metadata_xml: str = ""
    metadata_file: Path | None = None
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    claim_mapping: Mapping[str, str] = field(default_factory=dict)
    group_roles: Mapping[str, str] = field(default_factory=dict)
    allowed_orgs: frozenset[str] = frozenset()
    email_domains: tuple[str, ...] = ()
    allow_idp_initiated: bool = False
    trusted_for_all_orgs: bool = False

    def claim(self, key: str) -> str:
        """The claim or attribute name that carries profile field ``key``."""
        return self.claim_mapping.get(key) or DEFAULT_CLAIMS[self.kind][key]


def env_providers(settings: Settings) -> list[Provider]:
    """The providers configured by ``HUB_OIDC_*`` and ``HUB_SAML_*``."""
    found: list[Provider] = []
    if settings.oidc_issuer:
        secret = settings.oidc_client_secret
        found.append(
            Provider(
                name="oidc",
                kind="oidc",
                title="your company account",
                issuer=settings.oidc_issuer,
                client_id=settings.oidc_client_id or "",
                client_secret=secret.get_secret_value() if secret else "",
                trusted_for_all_orgs=True,
            )
        )
    if settings.saml_idp_metadata_url or settings.saml_idp_metadata_file:
        found.append(
            Provider(
                name="saml",
                kind="saml",
                title="SAML single sign-on",
                metadata_url=settings.saml_idp_metadata_url.get_secret_value()
                if settings.saml_idp_metadata_url
                else "",
                metadata_file=settings.saml_idp_metadata_file,
                allow_idp_initiated=settings.saml_allow_idp_initiated,
                trusted_for_all_orgs=True,
            )
        )
    return found


def from_row(row: IdentityProvider, environ: Mapping[str, str]) -> Provider:
    """A stored provider, its client secret read from the variable it names."""
    kind: Kind = "saml" if row.kind == "saml" else "oidc"
    return Provider(
        name=row.name,
        kind=kind,
        title=row.title or row.name,
        issuer=row.issuer,
        metadata_url=row.metadata_url,
        metadata_xml=row.metadata_xml,
        client_id=row.client_id,
        client_secret=environ.get(row.client_secret_env, "") if row.client_secret_env else "",
        claim_mapping={str(k): str(v) for k, v in row.claim_mapping.items()},
        group_roles={str(k): str(v) for k, v in row.group_roles.items()},
        allowed_orgs=frozenset(row.allowed_orgs),
        email_domains=tuple(domain.lower() for domain in row.email_domains),
        allow_idp_initiated=row.allow_idp_initiated,
        trusted_for_all_orgs=row.trusted_for_all_orgs,
    )


class ProviderDirectory:
    """Looks providers up by name, kind or email domain; read fresh so admin edits apply at once."""

    def __init__(
        self, settings: Settings, db: Database, environ: Mapping[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.environ = os.environ if environ is None else environ

    async def all(self) -> list[Provider]:
        async with self.db.session() as session:
            rows = (
                await session.scalars(select(IdentityProvider).order_by(IdentityProvider.name))
            ).all()
        return [*env_providers(self.settings), *(from_row(row, self.environ) for row in rows)]

    async def get(self, name: str, kind: Kind | None = None) -> Provider | None:
        for provider in await self.all():
            if provider.name == name and (kind is None or provider.kind == kind):
                return provider
        return None

    async def for_email(self, email: str) -> Provider | None:
        """Home-realm discovery: the provider that claims this email's domain."""
        domain = email.rpartition("@")[2].strip().lower()
        if not domain:
            return None
        for provider in await self.all():
            if domain in provider.email_domains:
                return provider
        return None
