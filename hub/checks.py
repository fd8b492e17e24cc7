"""``hub check``: is every configured dependency reachable? One row per dependency."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from lxml import etree

from hub.connectors.health import Probe, connector_probes
from hub.db.migrate import pending
from hub.resources import Hub
from hub.settings import Settings

TIMEOUT = 5.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


Check = Callable[[Hub], Awaitable[str]]


async def _database(hub: Hub) -> str:
    await hub.db.ping()
    missing = await pending(hub.db)
    if missing:
        raise RuntimeError(f"reachable, but {len(missing)} migration(s) pending: run `hub migrate`")
    return f"{hub.db.engine.dialect.name}, schema current"


async def _store(hub: Hub) -> str:
    await hub.store.ping()
    return hub.store.name


async def _oidc(hub: Hub) -> str:
    issuer = (hub.settings.oidc_issuer or "").rstrip("/")
    response = await hub.http.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise RuntimeError(f"discovery names issuer {document.get('issuer')!r}, not {issuer!r}")
    if not hub.settings.oidc_client_id or not hub.settings.oidc_client_secret:
        raise RuntimeError("HUB_OIDC_CLIENT_ID and HUB_OIDC_CLIENT_SECRET must be set too")
    return "discovery document read"


async def _saml(hub: Hub) -> str:
    settings = hub.settings
    if settings.saml_idp_metadata_file is not None:
        xml = settings.saml_idp_metadata_file.read_bytes()
        where = str(settings.saml_idp_metadata_file)
    else:
        url = (
            settings.saml_idp_metadata_url.get_secret_value()
            if settings.saml_idp_metadata_url
            else ""
        )
        response = await hub.http.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        # The URL may carry a token: name the setting, not its value.
        xml, where = response.content, "HUB_SAML_IDP_METADATA_URL"
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml, parser=parser)
    if not root.tag.endswith("EntityDescriptor"):
        raise RuntimeError(f"{where} is not SAML metadata (root element {root.tag})")
    return f"metadata for {root.get('entityID')}"


async def _stored_idps(hub: Hub) -> str:
    from hub.auth.idp_records import describe_stored

    return await describe_stored(hub.db, os.environ)


async def _portal_sign_on(hub: Hub) -> str:
    """The identity provider can sign: its keys decrypt with HUB_SECRET_KEY, xmlsec1 is there."""
    from hub.idp.keys import SigningKeys
    from hub.idp.portals import PortalRegistry
    from hub.idp.saml_idp import XMLSEC

    portals = PortalRegistry(hub.backends, hub.settings.base_url).portals
    ring = await SigningKeys(hub.db, hub.settings.signing_key).ring()
    if any(p.sign_on.protocol == "saml" for p in portals) and not os.access(XMLSEC, os.X_OK):
        raise RuntimeError(f"SAML portals are registered but {XMLSEC} is not installed")
    return f"{len(portals)} portal(s), signing key {ring.current.kid}"


def checks_for(settings: Settings) -> list[tuple[str, Check]]:
    checks: list[tuple[str, Check]] = [
        ("database", _database),
        ("key-value store", _store),
        ("identity providers", _stored_idps),
    ]
    if settings.oidc_issuer:
        checks.append(("OIDC provider", _oidc))
    if settings.saml_idp_metadata_url or settings.saml_idp_metadata_file:
        checks.append(("SAML IdP", _saml))
    return checks


async def run_checks(hub: Hub, extra: list[tuple[str, Check]] | None = None) -> list[CheckResult]:
    results = [CheckResult("settings", True, "valid")]
    for name, check in [*checks_for(hub.settings), *_connector_checks(hub), *(extra or [])]:
        try:
            detail = await asyncio.wait_for(check(hub), TIMEOUT * 2)
            results.append(CheckResult(name, True, detail))
        except (httpx.HTTPError, OSError, TimeoutError, RuntimeError, ValueError) as exc:
            results.append(CheckResult(name, False, _describe(exc)))
        except Exception as exc:  # noqa: BLE001 - a driver's own error type still means down
            results.append(CheckResult(name, False, _describe(exc)))
    return results


def _connector_checks(hub: Hub) -> list[tuple[str, Check]]:
    def check(probe: Probe) -> Check:
        return lambda hub: probe()

    checks: list[tuple[str, Check]] = [
        (name, check(probe)) for name, probe in connector_probes(hub.backends)
    ]
    if any(c.config.sign_on is not None for c in hub.backends.all()):
        checks.append(("portal sign-on", _portal_sign_on))
    return checks


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def format_table(results: list[CheckResult]) -> str:
    width = max(len(result.name) for result in results)
    lines = [f"{'CHECK'.ljust(width)}  STATUS  DETAIL"]
    for result in results:
        status = "OK    " if result.ok else "FAILED"
        lines.append(f"{result.name.ljust(width)}  {status}  {result.detail}")
    return "\n".join(lines)
