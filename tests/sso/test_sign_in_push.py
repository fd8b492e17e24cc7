"""A first sign-in through the IdP is pushed to the backends that keep people's accounts."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import select

from hub.connectors.backends import Backends
from hub.connectors.base import ConnectorConfig
from hub.connectors.moodle import MoodleConnector
from hub.connectors.records import Kind
from hub.connectors.sandboxes import moodle as sandbox
from hub.connectors.sandboxes.knobs import Knobs
from hub.db.scim import ProvisioningPush
from hub.resources import Hub
from tests.sso.flows import oidc_sign_in
from tests.sso.oidc_provider import OpenIDProvider

pytestmark = pytest.mark.anyio


async def test_a_first_sign_in_is_pushed_to_moodle(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    app = sandbox.create_app(Knobs(), today=date(2026, 11, 22))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        config = ConnectorConfig(
            name="academy",
            kind=Kind.LMS,
            adapter="moodle",
            base_url="https://academy.sandbox",
            secrets={"token": sandbox.DEMO_TOKEN},
        )
        hub.backends = Backends([MoodleConnector(config, http)])
        # Someone the hub has never seen: their first sign-in creates them.
        op.users["new-acme"] = {**op.users["owner-acme"], "email": "olga.new@acme.example"}
        response = await oidc_sign_in(client, op, "new-acme")
        assert response.status_code == 303
    async with hub.db.session() as session:
        pushes = (await session.scalars(select(ProvisioningPush))).all()
    assert [(p.connector, p.change, p.status) for p in pushes] == [("academy", "created", "done")]
