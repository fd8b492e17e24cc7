"""The hub as OpenID Provider: a deep link into the Salesforce stand-in signs the person in,
checked the way the OpenID Foundation's OP conformance tests check discovery, keys and tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt as pyjwt
import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata
from sqlalchemy import select

from hub.db import Database, User
from hub.middleware.sessions import end_all_sessions
from hub.store import KeyValueStore
from tests.conftest import BASE_URL
from tests.helpers import csrf_from, demo_sign_in

pytestmark = pytest.mark.anyio

CLIENT_ID = "salesforce-portal"
SECRET = "sandbox-salesforce-portal-secret"
REDIRECT = f"{BASE_URL}/demo/portals/salesforce/oidc/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_url(challenge: str, nonce: str, redirect: str = REDIRECT, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect,
        "scope": "openid email profile",
        "state": "st-1",
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"/idp/oidc/authorize?{urlencode(params)}"


async def _code(client: httpx.AsyncClient, nonce: str) -> tuple[str, str]:
    verifier, challenge = _pkce()
    answer = await client.get(_authorize_url(challenge, nonce))
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-1"]
    return query["code"][0], verifier


async def test_discovery_and_keys_pass_the_op_checks(op_client: httpx.AsyncClient) -> None:
    document = (await op_client.get("/.well-known/openid-configuration")).json()
    OpenIDProviderMetadata(document).validate()  # Discovery 1.0 section 3's required fields
    assert document["issuer"] == BASE_URL  # issuer equals the URL discovery was read from
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    keys = (await op_client.get(urlsplit(document["jwks_uri"]).path)).json()["keys"]
    # current, next (and retired after a rotation): each with its own kid, RSA, for signing
    assert len(keys) >= 2
    assert len({key["kid"] for key in keys}) == len(keys)
    assert all(key["kty"] == "RSA" and key["use"] == "sig" and "d" not in key for key in keys)


async def test_id_token_verified_independently(op_client: httpx.AsyncClient) -> None:
    await demo_sign_in(op_client, "owner@acme.example")
    nonce = secrets.token_urlsafe(16)
    code, verifier = await _code(op_client, nonce)
    token = await op_client.post(
        "/idp/oidc/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "code_verifier": verifier},
        auth=(CLIENT_ID, SECRET),
    )  # fmt: skip
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    id_token, access_token = body["id_token"], body["access_token"]
    header = pyjwt.get_unverified_header(id_token)
    assert header["alg"] == "RS256"
    jwks = (await op_client.get("/idp/oidc/jwks.json")).json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])  # kid is in the JWKS
    claims = pyjwt.decode(
        id_token,
        pyjwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=BASE_URL,
        options={"require": ["exp", "iat", "sub", "aud", "iss", "nonce", "at_hash", "auth_time"]},
    )
    assert claims["nonce"] == nonce
    digest = hashlib.sha256(access_token.encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["email"] == "owner@acme.example"
    assert claims["federation_id"] == "owner@acme.example"
    assert claims["partner_org"] == "acme"
    assert claims["exp"] > claims["iat"] >= claims["auth_time"]
    info = await op_client.get(
        "/idp/oidc/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"]
    # The code is single use.
    again = await op_client.post(
        "/idp/oidc/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "code_verifier": verifier},
        auth=(CLIENT_ID, SECRET),
    )  # fmt: skip
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_wrong_verifier_or_secret_is_refused(op_client: httpx.AsyncClient) -> None:
    await demo_sign_in(op_client, "owner@acme.example")
    code, _ = await _code(op_client, "n-1")
    wrong = await op_client.post(
        "/idp/oidc/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "code_verifier": secrets.token_urlsafe(48)},
        auth=(CLIENT_ID, SECRET),
    )  # fmt: skip
    assert wrong.status_code == 400
    code, verifier = await _code(op_client, "n-2")
    bad_secret = await op_client.post(
        "/idp/oidc/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "code_verifier": verifier},
        auth=(CLIENT_ID, "not-the-secret"),
    )  # fmt: skip
    assert bad_secret.status_code == 401
    assert (await op_client.get("/idp/oidc/userinfo")).status_code == 401


async def test_unregistered_redirect_uri_is_a_page_not_a_redirect(
    op_client: httpx.AsyncClient,
) -> None:
    await demo_sign_in(op_client, "owner@acme.example")
    _, challenge = _pkce()
    for url in (
        _authorize_url(challenge, "n", redirect="https://evil.example/cb"),
        _authorize_url(challenge, "n", redirect=REDIRECT + "/../x"),
        _authorize_url(challenge, "n", client_id="nobody"),
    ):
        answer = await op_client.get(url)
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert "evil.example" not in answer.text


async def test_replayed_nonce_and_missing_pkce_are_refused(op_client: httpx.AsyncClient) -> None:
    await demo_sign_in(op_client, "owner@acme.example")
    await _code(op_client, "same-nonce")
    _, challenge = _pkce()
    replay = await op_client.get(_authorize_url(challenge, "same-nonce"))
    assert replay.status_code == 302
    assert "error=invalid_request" in replay.headers["location"]
    assert "code=" not in replay.headers["location"]


async def test_person_without_the_portals_role_is_refused(op_client: httpx.AsyncClient) -> None:
    await demo_sign_in(op_client, "support@acme.example")  # support: not a PRM role
    _, challenge = _pkce()
    answer = await op_client.get(_authorize_url(challenge, "n"))
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    assert "error=access_denied" in location
    assert "code=" not in location


async def test_signed_out_or_revoked_session_goes_to_sign_in(
    op_client: httpx.AsyncClient, store: KeyValueStore, db: Database
) -> None:
    _, challenge = _pkce()
    url = _authorize_url(challenge, "n")
    signed_out = await op_client.get(url)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/auth/login?next=%2Fidp%2Foidc%2Fauthorize")
    await demo_sign_in(op_client, "owner@acme.example")
    assert (await op_client.get(url)).status_code == 302
    # Signed out everywhere (as an administrator's revocation does): the OP asks again.
    async with db.session() as session:
        user_id = await session.scalar(select(User.id).where(User.email == "owner@acme.example"))
    assert user_id is not None
    await end_all_sessions(store, user_id)
    _, challenge = _pkce()
    revoked = await op_client.get(_authorize_url(challenge, "n2"))
    assert revoked.status_code == 303
    assert revoked.headers["location"].startswith("/auth/login")


async def test_deep_link_lands_signed_in_on_the_exact_page(op_client: httpx.AsyncClient) -> None:
    await demo_sign_in(op_client, "owner@acme.example")
    page = "/demo/portals/salesforce/agreements/renew"
    answer = await op_client.get(page, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    assert str(answer.url) == BASE_URL + page
    assert "data-portal-signed-in" in answer.text
    assert "owner@acme.example" in answer.text
    assert "portal_salesforce" in op_client.cookies
    # Signing out of the hub ends the portal's session through front-channel logout.
    token = csrf_from((await op_client.get("/")).text)
    out = await op_client.post("/auth/logout", data={"csrf_token": token})
    assert out.status_code == 200
    frame = next(
        line.split('src="')[1].split('"')[0]
        for line in out.text.splitlines()
        if "data-portal-signout" in line
    )
    logout = await op_client.get(frame.replace("&amp;", "&"))
    assert logout.status_code == 200
    assert logout.headers["x-frame-options"] == "SAMEORIGIN"
    again = await op_client.get(page)
    assert again.status_code == 303  # no portal session, and the hub asks for sign-in


async def test_admin_page_lists_the_registered_portal(op_client: httpx.AsyncClient) -> None:
    await demo_sign_in(op_client, "admin@vendor.example")
    page = (await op_client.get("/admin")).text
    assert "salesforce-portal" in page
    assert REDIRECT in page
    assert "federation_id" in page
    assert f"{BASE_URL}/demo/saml-acs/moodle" in page  # the Moodle stand-in, over SAML


async def test_a_deactivated_person_gets_no_code_even_with_a_session_left(
    op_client: httpx.AsyncClient, db: Database
) -> None:
    await demo_sign_in(op_client, "owner@acme.example")
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.email == "owner@acme.example"))
        assert user is not None
        user.active = False  # as SCIM's deactivation does, before the sessions are ended
    _, challenge = _pkce()
    answer = await op_client.get(_authorize_url(challenge, "n3"))
    assert answer.status_code in {303, 403}
    assert "code=" not in answer.headers.get("location", "")
