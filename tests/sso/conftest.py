"""SSO fixtures: a real OpenID provider and a real SAML IdP, reached through the hub's own HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.app import create_app
from hub.db import AuditEntry, Database
from hub.demo.seed import seed_demo
from hub.resources import Hub
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.conftest import BASE_URL, make_settings
from tests.sso.oidc_provider import OpenIDProvider
from tests.sso.saml_idp import SAMLIdentityProvider

OP_ISSUER = "https://op.test"
PARTNER_OP_ISSUER = "https://login.acme.test"
IDP_ENTITY_ID = "https://idp.test/metadata"
# A host whose every connection is refused, like a provider that is down.
UNREACHABLE = "https://unreachable.test"

# The people the providers know, as their claims say it (the demo cast).
PEOPLE: dict[str, dict[str, Any]] = {
    "owner-acme": {
        "email": "owner@acme.example",
        "email_verified": True,
        "name": "Olivia Owner",
        "roles": ["partner_owner"],
        "partner_org": "acme",
    },
    "rep-globex": {
        "email": "rep@globex.example",
        "email_verified": True,
        "name": "Gabe Rep",
        "roles": ["sales_rep", "marketer"],
        "partner_org": "globex",
    },
    "cam-vendor": {
        "email": "cam@vendor.example",
        "email_verified": True,
        "name": "Casey Channel",
        "roles": ["channel_manager"],
    },
    "admin-vendor": {
        "email": "admin@vendor.example",
        "email_verified": True,
        "name": "Ada Admin",
        "roles": ["admin"],
    },
}


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.fixture
def op() -> OpenIDProvider:
    return OpenIDProvider(
        issuer=OP_ISSUER,
        client_id="partner-hub",
        client_secret="op-client-secret",
        redirect_uri=f"{BASE_URL}/auth/oidc/callback",
        users={sub: dict(claims) for sub, claims in PEOPLE.items()},
    )


@pytest.fixture
def partner_op() -> OpenIDProvider:
    """Acme's own provider: knows Acme people, by Acme's subject ids, without org claims."""
    return OpenIDProvider(
        issuer=PARTNER_OP_ISSUER,
        client_id="hub-at-acme",
        client_secret="acme-secret",
        redirect_uri=f"{BASE_URL}/auth/oidc/callback",
        users={
            "00u-rep": {"email": "rep@acme.example", "name": "Riley Rep", "groups": ["Sales"]},
            "00u-owner": {"email": "owner@acme.example", "name": "Olivia Owner"},
        },
    )


@pytest.fixture
def idp() -> SAMLIdentityProvider:
    return SAMLIdentityProvider(
        IDP_ENTITY_ID, f"{BASE_URL}/auth/saml/metadata", f"{BASE_URL}/auth/saml/acs"
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, idp: SAMLIdentityProvider) -> Settings:
    metadata = tmp_path / "idp-metadata.xml"
    metadata.write_text(idp.metadata())
    return make_settings(
        tmp_path,
        database_url,
        demo=False,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        oidc_issuer=OP_ISSUER,
        oidc_client_id="partner-hub",
        oidc_client_secret="op-client-secret",
        saml_idp_metadata_file=metadata,
    )


@pytest.fixture
async def hub(
    settings: Settings,
    db: Database,
    store: KeyValueStore,
    op: OpenIDProvider,
    partner_op: OpenIDProvider,
) -> AsyncIterator[Hub]:
    mounts = {
        OP_ISSUER: httpx.ASGITransport(app=op.app),
        PARTNER_OP_ISSUER: httpx.ASGITransport(app=partner_op.app),
        UNREACHABLE: httpx.MockTransport(_refuse_connection),
    }
    async with httpx.AsyncClient(mounts=mounts) as http:
        hub = Hub(settings=settings, db=db, store=store, http=http)
        await seed_demo(hub.db)
        yield hub


ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(hub: Hub) -> ClientFactory:
    """A client of a second app on the same database, store and providers, with other settings."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = Settings.model_validate({**hub.settings.model_dump(), **overrides})
        other = Hub(settings=settings, db=hub.db, store=hub.store, http=hub.http)
        transport = httpx.ASGITransport(app=create_app(settings, other), client=("203.0.113.8", 1))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client

    return build


async def audit_entries(db: Database, action: str | None = None) -> list[AuditEntry]:
    async with db.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list((await session.scalars(query)).all())
