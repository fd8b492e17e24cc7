"""``hub idp add|list|remove``: manage stored identity providers from the command line."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from hub.auth.idp_records import (
    ProviderSpec,
    ProviderSpecError,
    add_provider,
    list_providers,
    parse_mapping,
    remove_provider,
)
from hub.settings import Settings, load_settings


def register(commands: Any) -> None:
    """Add the ``idp`` command and its subcommands to the ``hub`` parser."""
    idp = commands.add_parser("idp", help="manage stored identity providers (OIDC, SAML)")
    actions = idp.add_subparsers(dest="idp_command", required=True)

    add = actions.add_parser("add", help="store an identity provider")
    add.add_argument("name", help="short key, e.g. acme-okta")
    add.add_argument("--kind", choices=("oidc", "saml"), required=True)
    add.add_argument("--title", default="", help="label on the sign-in button")
    add.add_argument("--issuer", default="", help="OIDC issuer URL")
    add.add_argument("--client-id", default="", help="OIDC client id")
    add.add_argument(
        "--client-secret-env", default="", help="NAME of the variable holding the client secret"
    )
    add.add_argument("--metadata-url", default="", help="SAML IdP metadata URL")
    add.add_argument("--metadata-file", type=Path, help="SAML IdP metadata file (stored)")
    add.add_argument("--org", action="append", default=[], help="partner org it may sign into")
    add.add_argument("--domain", action="append", default=[], help="email domain it serves")
    add.add_argument("--claim", action="append", default=[], help="field=claim, e.g. roles=groups")
    add.add_argument("--group-role", action="append", default=[], help="group=role")
    add.add_argument("--allow-idp-initiated", action="store_true")
    add.add_argument("--trusted-for-all-orgs", action="store_true")
    add.set_defaults(run=cmd_add)

    actions.add_parser("list", help="list identity providers").set_defaults(run=cmd_list)

    remove = actions.add_parser("remove", help="delete a stored identity provider")
    remove.add_argument("name")
    remove.set_defaults(run=cmd_remove)

    token = actions.add_parser(
        "scim-token", help="issue a SCIM bearer token for a stored provider (shown once)"
    )
    token.add_argument("name")
    token.add_argument("--revoke", action="store_true", help="revoke its tokens instead")
    token.set_defaults(run=cmd_scim_token)


def _db(settings: Settings) -> Any:
    from hub.db import Database

    return Database(settings.effective_database_url)


async def _audit(settings: Settings, action: str, target: str, reason: str = "") -> None:
    from hub.audit import AuditLog

    db = _db(settings)
    try:
        await AuditLog(db).record(None, actor="cli", action=action, target=target, reason=reason)
    finally:
        await db.close()


def cmd_add(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        spec = ProviderSpec(
            name=args.name.lower(),
            kind=args.kind,
            title=args.title,
            issuer=args.issuer,
            client_id=args.client_id,
            client_secret_env=args.client_secret_env,
            metadata_url=args.metadata_url,
            metadata_xml=args.metadata_file.read_text() if args.metadata_file else "",
            claim_mapping=parse_mapping("\n".join(args.claim), "--claim"),
            group_roles=parse_mapping("\n".join(args.group_role), "--group-role"),
            allowed_orgs=[org.lower() for org in args.org],
            email_domains=[domain.lower() for domain in args.domain],
            allow_idp_initiated=args.allow_idp_initiated,
            trusted_for_all_orgs=args.trusted_for_all_orgs,
        )

        async def run() -> None:
            db = _db(settings)
            try:
                await add_provider(db, spec)
            finally:
                await db.close()
            await _audit(
                settings, "idp_added", spec.name, f"{spec.kind}; orgs {spec.allowed_orgs or 'all'}"
            )

        asyncio.run(run())
    except (ProviderSpecError, OSError) as exc:
        print(f"hub idp add: {exc}")
        return 2
    print(f"identity provider {spec.name} added")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from hub.auth.providers import env_providers

    settings = load_settings()

    async def run() -> list[Any]:
        db = _db(settings)
        try:
            return await list_providers(db)
        finally:
            await db.close()

    rows = asyncio.run(run())
    print("NAME  KIND  ORGS  DOMAINS  ISSUER/METADATA")
    for provider in env_providers(settings):
        where = provider.issuer or provider.metadata_url or str(provider.metadata_file)
        print(f"{provider.name}  {provider.kind}  (all, environment)  -  {where}")
    for row in rows:
        orgs = "all" if row.trusted_for_all_orgs else ",".join(row.allowed_orgs)
        domains = ",".join(row.email_domains) or "-"
        print(f"{row.name}  {row.kind}  {orgs}  {domains}  {row.issuer or row.metadata_url}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def run() -> bool:
        db = _db(settings)
        try:
            return await remove_provider(db, args.name)
        finally:
            await db.close()

    if not asyncio.run(run()):
        print(f"hub idp remove: no stored identity provider named {args.name!r}")
        return 1
    asyncio.run(_audit(settings, "idp_removed", args.name))
    print(f"identity provider {args.name} removed")
    return 0


def cmd_scim_token(args: argparse.Namespace) -> int:
    """Print a new SCIM token for the provider (or revoke all of its tokens)."""
    from hub.services.scim.tokens import issue_token, revoke_tokens

    settings = load_settings()

    async def run() -> str | int | None:
        db = _db(settings)
        try:
            if args.revoke:
                return await revoke_tokens(db, args.name)
            return await issue_token(db, args.name, "cli")
        finally:
            await db.close()

    result = asyncio.run(run())
    if args.revoke:
        asyncio.run(_audit(settings, "scim_tokens_revoked", args.name, f"{result} revoked"))
        print(f"{result} SCIM token(s) of {args.name} revoked")
        return 0
    if result is None:
        print(f"hub idp scim-token: no stored identity provider named {args.name!r}")
        return 1
    asyncio.run(_audit(settings, "scim_token_issued", args.name))
    print(f"SCIM base URL: {settings.base_url}/scim/v2")
    print(f"SCIM token (shown once, keep it in your IdP): {result}")
    return 0
