"""Adding, listing and removing stored identity providers: shared by the admin page and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import select

from hub.auth.providers import ENV_NAMES, NAME_PATTERN
from hub.db import Database
from hub.db.models import IdentityProvider
from hub.personas.catalogue import roles as catalogue_roles

_ENV_VAR = re.compile(r"^[A-Z_][A-Z0-9_]{0,199}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PROFILE_FIELDS = frozenset({"email", "name", "roles", "partner_org", "groups"})


class ProviderSpecError(ValueError):
    """An identity provider definition that cannot be stored; the message says which field."""


@dataclass
class ProviderSpec:
    """A stored provider as an administrator describes it."""

    name: str
    kind: str
    title: str = ""
    issuer: str = ""
    metadata_url: str = ""
    metadata_xml: str = ""
    client_id: str = ""
    client_secret_env: str = ""
    claim_mapping: dict[str, str] = field(default_factory=dict)
    group_roles: dict[str, str] = field(default_factory=dict)
    allowed_orgs: list[str] = field(default_factory=list)
    email_domains: list[str] = field(default_factory=list)
    allow_idp_initiated: bool = False
    trusted_for_all_orgs: bool = False

    def validate(self) -> None:
        """Raise :class:`ProviderSpecError` naming the first field at fault."""
        if not NAME_PATTERN.match(self.name) or self.name in ENV_NAMES:
            raise ProviderSpecError(
                "name: lower-case letters, digits, - and _ (not 'oidc' or 'saml')"
            )
        if self.kind not in ("oidc", "saml"):
            raise ProviderSpecError("kind: oidc or saml")
        if self.kind == "oidc":
            if not self.issuer.startswith("https://"):
                raise ProviderSpecError("issuer: an https:// URL")
            if not self.client_id:
                raise ProviderSpecError("client id: required for OIDC")
            if not _ENV_VAR.match(self.client_secret_env):
                raise ProviderSpecError(
                    "client secret variable: the NAME of an environment variable, e.g. HUB_IDP_ACME_SECRET"
                )
        else:
            if bool(self.metadata_url) == bool(self.metadata_xml):
                raise ProviderSpecError("metadata: give either a URL or the XML")
            if self.metadata_url and not self.metadata_url.startswith("https://"):
                raise ProviderSpecError("metadata URL: an https:// URL")
            if self.metadata_xml:
                self.issuer = _entity_id(self.metadata_xml)
        for key in self.claim_mapping:
            if key not in _PROFILE_FIELDS:
                raise ProviderSpecError(f"claim mapping: unknown field {key!r}")
        for role in self.group_roles.values():
            if role not in catalogue_roles().known:
                raise ProviderSpecError(f"group roles: unknown role {role!r}")
        for slug in self.allowed_orgs:
            if not _SLUG.match(slug):
                raise ProviderSpecError(f"allowed orgs: {slug!r} is not an org key")
        for domain in self.email_domains:
            if not _DOMAIN.match(domain):
                raise ProviderSpecError(f"email domains: {domain!r} is not a domain")
        if not self.trusted_for_all_orgs and not self.allowed_orgs:
            raise ProviderSpecError("allowed orgs: name at least one, or trust it for all orgs")


def _entity_id(xml: str) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(xml.encode(), parser=parser)
    except etree.XMLSyntaxError:
        raise ProviderSpecError("metadata: not well-formed XML") from None
    entity_id = root.get("entityID")
    if not root.tag.endswith("EntityDescriptor") or not entity_id:
        raise ProviderSpecError("metadata: not a SAML EntityDescriptor")
    return str(entity_id)


def parse_list(text: str) -> list[str]:
    """``"a, b c"`` → ``["a", "b", "c"]``, lower-cased."""
    return [part.lower() for part in re.split(r"[\s,]+", text) if part]


def parse_mapping(text: str, what: str) -> dict[str, str]:
    """A JSON object of strings, or ``key=value`` pairs separated by commas or new lines."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value: Any = json.loads(text)
        except ValueError:
            raise ProviderSpecError(f"{what}: not valid JSON") from None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ProviderSpecError(f"{what}: a JSON object of strings")
        return dict(value)
    pairs: dict[str, str] = {}
    for line in re.split(r"[,\n]", text):
        if line.strip():
            key, sep, val = line.partition("=")
            if not sep or not key.strip() or not val.strip():
                raise ProviderSpecError(f"{what}: write key=value")
            pairs[key.strip()] = val.strip()
    return pairs


async def add_provider(db: Database, spec: ProviderSpec) -> IdentityProvider:
    """Validate and store ``spec``; a taken name is an error."""
    spec.validate()
    async with db.transaction() as tx:
        if await tx.scalar(select(IdentityProvider).where(IdentityProvider.name == spec.name)):
            raise ProviderSpecError(f"name: {spec.name!r} is taken")
        row = IdentityProvider(
            name=spec.name,
            kind=spec.kind,
            title=spec.title or spec.name,
            issuer=spec.issuer.rstrip("/") if spec.kind == "oidc" else spec.issuer,
            metadata_url=spec.metadata_url,
            metadata_xml=spec.metadata_xml,
            client_id=spec.client_id,
            client_secret_env=spec.client_secret_env,
            claim_mapping=spec.claim_mapping,
            group_roles=spec.group_roles,
            allowed_orgs=spec.allowed_orgs,
            email_domains=spec.email_domains,
            allow_idp_initiated=spec.allow_idp_initiated,
            trusted_for_all_orgs=spec.trusted_for_all_orgs,
        )
        tx.add(row)
    return row


async def list_providers(db: Database) -> list[IdentityProvider]:
    async with db.session() as session:
        return list(
            (await session.scalars(select(IdentityProvider).order_by(IdentityProvider.name))).all()
        )


async def remove_provider(db: Database, name: str) -> bool:
    """Delete the stored provider ``name``; ``False`` when there was none."""
    async with db.transaction() as tx:
        row = await tx.scalar(select(IdentityProvider).where(IdentityProvider.name == name))
        if row is None:
            return False
        await tx.delete(row)
    return True


async def describe_stored(db: Database, environ: Mapping[str, str]) -> str:
    """``hub check``'s row: how many providers are stored; fails when a secret variable is unset."""
    rows = await list_providers(db)
    missing = [
        f"{row.name} ({row.client_secret_env})"
        for row in rows
        if row.kind == "oidc" and not environ.get(row.client_secret_env)
    ]
    if missing:
        raise RuntimeError(f"client secret variable not set for {', '.join(missing)}")
    return f"{len(rows)} stored" if rows else "none stored"
