"""at_hash and c_hash: an ID token must be about the very tokens it came with."""

from __future__ import annotations

import httpx
import pytest

from hub.resources import Hub
from tests.sso.flows import oidc_sign_in
from tests.sso.oidc_provider import OpenIDProvider, half_hash
from tests.sso.refusals import assert_refused

pytestmark = pytest.mark.anyio


async def test_a_wrong_at_hash_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    # A token swapped in from another sign-in: its at_hash names another access token.
    op.mint = lambda claims: op.sign({**claims, "at_hash": half_hash("someone-elses-token")})
    response = await oidc_sign_in(client, op, "owner-acme")
    await assert_refused(client, hub, response, 403, "at_hash does not match")


async def test_a_wrong_c_hash_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    op.mint = lambda claims: op.sign({**claims, "c_hash": half_hash("another-code")})
    response = await oidc_sign_in(client, op, "owner-acme")
    await assert_refused(client, hub, response, 403, "c_hash does not match")


async def test_a_matching_at_hash_signs_in(client: httpx.AsyncClient, op: OpenIDProvider) -> None:
    assert op.hash_access_token
    response = await oidc_sign_in(client, op, "owner-acme")
    assert response.status_code == 303
    assert (await client.get("/api/me")).json()["email"] == "owner@acme.example"


async def test_the_code_flow_may_leave_at_hash_out(
    client: httpx.AsyncClient, op: OpenIDProvider
) -> None:
    # OpenID Connect Core 3.1.3.6: at_hash is OPTIONAL for a token from the token endpoint;
    # it is REQUIRED only where the authorization endpoint hands out the access token
    # (implicit, hybrid), flows the hub never starts.
    op.hash_access_token = False
    response = await oidc_sign_in(client, op, "owner-acme")
    assert response.status_code == 303
