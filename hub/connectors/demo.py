"""The demo's backends: every sandbox mounted in-process on the hub's shared HTTP client.

Each sandbox gets a made-up host (``http://salesforce.sandbox`` …) that the
shared ``httpx.AsyncClient`` routes to the sandbox's ASGI app instead of the
network, so the demo exercises the real adapters over real HTTP requests.
A sandbox (or adapter) that is not installed is left out, with a log line.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp

from hub.connectors.base import ConnectorConfig
from hub.connectors.records import Kind
from hub.connectors.registry import ConnectorSetup
from hub.connectors.sandboxes.knobs import Knobs
from hub.connectors.sign_on import PortalSignOn

log = logging.getLogger("hub.connectors")


@dataclass(frozen=True)
class DemoBackend:
    """One sandbox and the connector the demo points at it."""

    name: str
    kind: Kind
    adapter: str
    sandbox_module: str
    display_name: str
    path: str = ""
    auth: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    sign_on: PortalSignOn | None = None

    @property
    def host(self) -> str:
        return f"http://{self.name}.sandbox"


def demo_backends() -> list[DemoBackend]:
    """The demo's five connectors: Salesforce PRM, Moodle and an LRS, incentives, Mautic."""
    return [
        DemoBackend(
            "salesforce", Kind.PRM, "salesforce", "hub.connectors.sandboxes.salesforce",
            display_name="Salesforce",
            auth={"method": "client_credentials", "client_id": "sandbox-salesforce-client"},
            secrets={"client_secret": "sandbox-salesforce-secret"},
            # The sandbox's "Partner Community User" profile, for partner users it creates.
            options={"multi_currency": True, "partner_profile_id": "00e000000000002AAA"},
            # The portal stand-in signs people in through the hub's OpenID Provider.
            sign_on=PortalSignOn(
                protocol="oidc", client_id="salesforce-portal",
                client_secret="sandbox-salesforce-portal-secret",  # noqa: S106 - demo only
                redirect_uris=("/demo/portals/salesforce/oidc/callback",),
                frontchannel_logout_uri="/demo/portals/salesforce/oidc/logout",
                identifier="federation_id", identifier_from="email",
                roles=("partner_owner", "sales_rep", "channel_manager", "admin"),
            ),
        ),
        DemoBackend(
            "moodle", Kind.LMS, "moodle", "hub.connectors.sandboxes.moodle",
            display_name="Moodle",
            secrets={"token": "sandbox-moodle-token"},
            # The portal stand-in is a SAML service provider of the hub's IdP.
            sign_on=PortalSignOn(
                protocol="saml", entity_id="/demo/portals/moodle/saml/metadata",
                acs_url="/demo/saml-acs/moodle",
                identifier="username", identifier_from="email_local_part",
                roles=("partner_owner", "sales_rep", "support", "channel_manager", "admin"),
            ),
        ),
        DemoBackend(
            "lrs", Kind.LMS, "xapi", "hub.connectors.sandboxes.xapi", path="/xapi",
            display_name="Learning Record Store",
            auth={"username": "sandbox-lrs-key"},
            secrets={"password": "sandbox-lrs-secret"},
            options={"library_tags_extension":
                     "https://academy.vendor.example/xapi/extensions/library-tags"},
        ),
        DemoBackend(
            "incentives", Kind.INCENTIVES, "rest", "hub.connectors.sandboxes.incentives",
            display_name="Rewards",
            auth={"method": "client_credentials", "token_url": "/oauth/token",
                  "client_id": "partner-hub"},
            secrets={"client_secret": "sandbox-incentives-client-secret"},
            options={"mapping_file": "@incentives_mapping"},
        ),
        DemoBackend(
            "mautic", Kind.TCMA, "mautic", "hub.connectors.sandboxes.mautic",
            display_name="Mautic",
            secrets={"username": "hub-api", "password": "sandbox-mautic-password"},
            options={"campaign_category": "partner-campaigns",
                     "lead_campaign_field": "partner_campaign"},
        ),
    ]  # fmt: skip


def sandbox_app(backend: DemoBackend, knobs: Knobs | None = None) -> ASGIApp | None:
    """The backend's sandbox app, or ``None`` when its module is not installed."""
    try:
        module = importlib.import_module(backend.sandbox_module)
    except ModuleNotFoundError as exc:
        if exc.name != backend.sandbox_module:
            raise
        log.info("sandbox %s is not installed; the demo leaves it out", backend.name)
        return None
    app: ASGIApp = module.create_app(knobs or Knobs())
    return app


def demo_config(backend: DemoBackend, base_url: str | None = None) -> ConnectorConfig:
    """The connector config for ``backend``, at its in-process host unless ``base_url`` says."""
    options = dict(backend.options)
    if options.get("mapping_file") == "@incentives_mapping":
        module = importlib.import_module(backend.sandbox_module)
        options["mapping_file"] = str(module.MAPPING_FILE)
    return ConnectorConfig(
        name=backend.name,
        kind=backend.kind,
        adapter=backend.adapter,
        base_url=(base_url or backend.host) + backend.path,
        # The sandboxes have no pages of their own; the hub shows a stand-in.
        portal_url=f"/demo/portals/{backend.name}",
        auth=backend.auth,
        secrets=backend.secrets,
        options=options,
        timeout=3.0,
        cache_ttl=60.0,
        display_name=backend.display_name,
        sign_on=backend.sign_on,
    )


def demo_setup(available_adapters: Mapping[str, type[Any]], latency: float = 0.0) -> ConnectorSetup:
    """Every demo backend whose sandbox and adapter are installed, mounted by host."""
    setup = ConnectorSetup([], {}, {})
    for backend in demo_backends():
        if backend.adapter not in available_adapters:
            log.info("adapter %s is not installed; the demo leaves it out", backend.adapter)
            continue
        knobs = Knobs(latency=latency)
        app = sandbox_app(backend, knobs)
        if app is None:
            continue
        setup.configs.append(demo_config(backend))
        setup.mounts[backend.host] = httpx.ASGITransport(app=app)
        setup.knobs[backend.name] = knobs
    return setup
