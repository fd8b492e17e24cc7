"""Every hostile or broken OIDC answer is refused: clear page, no session, audit entry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey

from hub.resources import Hub
from tests.sso.conftest import UNREACHABLE, ClientFactory
from tests.sso.flows import oidc_at_provider, oidc_sign_in, oidc_start
from tests.sso.oidc_provider import OpenIDProvider
from tests.sso.refusals import assert_refused

pytestmark = pytest.mark.anyio


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_a_token_signed_by_another_key_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    forger = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
    op.mint = lambda claims: op.sign(claims, key=forger)
    response = await oidc_sign_in(client, op, "admin-vendor")
    await assert_refused(client, hub, response, 403, "signature check failed")


async def test_an_unsigned_alg_none_token_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    def unsigned(claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "none", "kid": "key-1"}).encode())
        return f"{header}.{_b64(json.dumps(claims).encode())}."

    op.mint = unsigned
    response = await oidc_sign_in(client, op, "admin-vendor")
    await assert_refused(client, hub, response, 403, "algorithm 'none' is not accepted")


async def test_hs256_keyed_with_the_public_key_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    # Algorithm confusion: HMAC "signed" with the provider's public key as the secret.
    # Built by hand: joserfc itself will not make an HMAC key out of a public key.
    public_pem = op.key.as_pem(private=False)

    def confused(claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).encode())
        signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    op.mint = confused
    response = await oidc_sign_in(client, op, "admin-vendor")
    await assert_refused(client, hub, response, 403, "algorithm 'HS256' is not accepted")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 3900}, "expired"),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "in the future"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"aud": "someone-else"}, "audience"),
        ({"aud": ["partner-hub", "someone-else"], "azp": "someone-else"}, "azp"),
        ({"iss": "https://evil.test"}, "issuer"),
        ({"nonce": "replayed-nonce"}, "nonce"),
    ],
    ids=[
        "expired",
        "issued-in-future",
        "not-yet-valid",
        "wrong-audience",
        "wrong-azp",
        "wrong-issuer",
        "wrong-nonce",
    ],
)
async def test_a_bad_claim_is_refused(
    client: httpx.AsyncClient,
    hub: Hub,
    op: OpenIDProvider,
    change: dict[str, Any],
    reason: str,
) -> None:
    op.mint = lambda claims: op.sign({**claims, **change})
    response = await oidc_sign_in(client, op, "owner-acme")
    await assert_refused(client, hub, response, 403, reason)


async def _tampered_callback(client: httpx.AsyncClient, op: OpenIDProvider) -> str:
    """The provider's callback to the hub with the last characters of its state changed."""
    callback = httpx.URL(await oidc_at_provider(op, await oidc_start(client), "owner-acme"))
    tampered = callback.copy_set_param("state", callback.params["state"][:-2] + "xx")
    return tampered.raw_path.decode()


async def test_a_tampered_state_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    response = await client.get(await _tampered_callback(client, op))
    await assert_refused(client, hub, response, 400, "tampered OIDC state")


async def test_a_refusal_reads_in_the_browsers_language(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    response = await client.get(
        await _tampered_callback(client, op), headers={"Accept-Language": "de-DE,de;q=0.9"}
    )
    await assert_refused(client, hub, response, 400, "tampered OIDC state")
    assert "Dieser Anmeldelink ist abgelaufen oder wurde schon benutzt" in response.text
    assert "This sign-in link has expired" not in response.text


async def test_a_callback_in_another_browser_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    # Login CSRF: an attacker's callback URL planted in the victim's browser.
    callback = await oidc_at_provider(op, await oidc_start(client), "owner-acme")
    client.cookies.clear()
    response = await client.get(callback)
    await assert_refused(client, hub, response, 400, "tampered OIDC state")


async def test_a_replayed_callback_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    callback = await oidc_at_provider(op, await oidc_start(client), "owner-acme")
    assert (await client.get(callback)).status_code == 303
    token = (await client.get("/")).text.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/auth/logout", data={"csrf_token": token})
    response = await client.get(callback)
    await assert_refused(client, hub, response, 400, "tampered OIDC state", earlier_sign_ins=1)


async def test_the_provider_saying_no_is_a_clear_page(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    response = await oidc_sign_in(client, op, None)
    await assert_refused(client, hub, response, 403, "access_denied")
    assert "did not sign you in" in response.text


async def test_an_unknown_idp_is_refused(client: httpx.AsyncClient, hub: Hub) -> None:
    response = await client.get("/auth/oidc/login?idp=nope")
    await assert_refused(client, hub, response, 400, "unknown OIDC provider 'nope'")


async def test_a_provider_that_is_down_gives_a_try_again_page(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    op.down = True
    response = await client.get("/auth/oidc/login")
    await assert_refused(client, hub, response, 503, "discovery answered HTTP 503")
    assert "try again" in response.text


async def test_a_provider_that_cannot_be_reached_gives_a_try_again_page(
    client_with: ClientFactory, hub: Hub
) -> None:
    async with client_with(oidc_issuer=UNREACHABLE) as client:
        response = await client.get("/auth/oidc/login")
        await assert_refused(client, hub, response, 503, "discovery: ConnectError")
    assert "try again" in response.text


async def test_an_unverified_email_is_refused(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    op.users["owner-acme"]["email_verified"] = False
    response = await oidc_sign_in(client, op, "owner-acme")
    await assert_refused(client, hub, response, 403, "unverified")
