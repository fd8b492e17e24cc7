"""The hub with the demo's connectors: the Salesforce portal registered over OIDC, Moodle over SAML."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from hub.app import create_app
from hub.connectors.registry import build_backends, configured_connectors
from hub.db import Database
from hub.demo.seed import seed_demo
from hub.resources import Hub
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.conftest import BASE_URL, make_settings


@pytest.fixture
def demo_settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def op_client(
    demo_settings: Settings, db: Database, store: KeyValueStore
) -> AsyncIterator[httpx.AsyncClient]:
    """The hub with the demo's connectors (the Salesforce portal registered as a client)."""
    setup = configured_connectors(None, demo=True)
    async with httpx.AsyncClient(mounts=setup.mounts) as backend_http:
        hub = Hub(
            settings=demo_settings,
            db=db,
            store=store,
            http=backend_http,
            backends=build_backends(setup.configs, backend_http, store),
        )
        await seed_demo(db)
        app: Starlette = create_app(demo_settings, hub)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http
        await hub.backends.close()
