"""OIDC sign-in against a real provider, end to end, for several personas."""

from __future__ import annotations

import httpx
import pytest

from hub.resources import Hub
from tests.sso.conftest import PEOPLE, audit_entries
from tests.sso.flows import oidc_sign_in
from tests.sso.oidc_provider import OpenIDProvider

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("person", "persona"),
    [
        ("owner-acme", "partner_owner"),
        ("rep-globex", "sales_rep"),
        ("cam-vendor", "channel_manager"),
    ],
)
async def test_a_person_signs_in_and_lands_on_their_persona_home(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider, person: str, persona: str
) -> None:
    response = await oidc_sign_in(client, op, person, "/auth/oidc/login?next=/")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    claims = PEOPLE[person]
    me = (await client.get("/api/me")).json()
    assert me == {
        "email": claims["email"],
        "name": claims["name"],
        "roles": claims["roles"],
        "persona": persona,
        "partner_org": claims.get("partner_org"),
    }
    home = await client.get("/")
    assert home.status_code == 200
    assert str(claims["name"]) in home.text
    sign_ins = await audit_entries(hub.db, "sign_in")
    assert [(entry.actor, entry.target, entry.outcome) for entry in sign_ins] == [
        (claims["email"], "oidc:oidc", "ok")
    ]


async def test_the_next_target_survives_the_round_trip(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    response = await oidc_sign_in(
        client, op, "owner-acme", "/auth/oidc/login?next=/rebates%3Fy%3D2"
    )
    assert response.headers["location"] == "/rebates?y=2"


async def test_an_open_redirect_in_next_is_ignored(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    response = await oidc_sign_in(client, op, "owner-acme", "/auth/oidc/login?next=//evil.example")
    assert response.headers["location"] == "/"


async def test_sign_in_uses_pkce_state_and_nonce(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    location = (await client.get("/auth/oidc/login")).headers["location"]
    query = httpx.URL(location).params
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    assert query["redirect_uri"] == "http://127.0.0.1:8000/auth/oidc/callback"


async def test_userinfo_claims_are_merged(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    op.userinfo_only = frozenset({"roles", "partner_org"})
    await oidc_sign_in(client, op, "rep-globex")
    me = (await client.get("/api/me")).json()
    assert me["roles"] == ["sales_rep", "marketer"]
    assert me["partner_org"] == "globex"


async def test_a_rotated_signing_key_is_fetched_once(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    assert (await oidc_sign_in(client, op, "owner-acme")).status_code == 303
    assert op.jwks_requests == 1
    op.rotate_key()
    client.cookies.clear()
    response = await oidc_sign_in(client, op, "rep-globex")
    assert response.status_code == 303, response.text
    assert op.jwks_requests == 2
    assert (await client.get("/api/me")).json()["email"] == "rep@globex.example"


async def test_a_changed_email_keeps_the_same_user(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    await oidc_sign_in(client, op, "owner-acme")
    first_id = (await client.get("/api/me")).status_code
    op.users["owner-acme"]["email"] = "olivia@acme.example"
    client.cookies.clear()
    await oidc_sign_in(client, op, "owner-acme")
    me = (await client.get("/api/me")).json()
    assert first_id == 200
    assert me["email"] == "olivia@acme.example"
    changes = await audit_entries(hub.db, "email_change")
    assert [(entry.target, entry.reason) for entry in changes] == [
        ("olivia@acme.example", "was owner@acme.example")
    ]


async def test_a_role_change_is_audited(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    op.users["owner-acme"]["roles"] = ["partner_owner", "marketer"]
    await oidc_sign_in(client, op, "owner-acme")
    assert (await client.get("/api/me")).json()["roles"] == ["partner_owner", "marketer"]
    changes = await audit_entries(hub.db, "role_change")
    assert [entry.reason for entry in changes] == [
        "['partner_owner'] -> ['partner_owner', 'marketer']"
    ]


async def test_no_known_role_gets_the_friendly_no_access_page(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    op.users["newbie"] = {"email": "newbie@acme.example", "name": "New Bee", "roles": ["intern"]}
    assert (await oidc_sign_in(client, op, "newbie")).status_code == 303
    home = await client.get("/")
    assert home.status_code == 403
    assert "no access yet" in home.text
    assert (await client.get("/api/me")).json()["roles"] == []


async def test_an_unknown_org_through_the_trusted_idp_is_created(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    op.users["newco"] = {
        "email": "boss@newco.example",
        "name": "Nia Boss",
        "roles": ["partner_owner"],
        "partner_org": "newco",
    }
    await oidc_sign_in(client, op, "newco")
    assert (await client.get("/api/me")).json()["partner_org"] == "newco"
    assert [entry.target for entry in await audit_entries(hub.db, "org_created")] == ["newco"]


async def test_sign_out_ends_the_session_at_the_provider_too(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    await oidc_sign_in(client, op, "owner-acme")
    home = await client.get("/")
    token = home.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = await client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 303
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith("https://op.test/logout?")
    assert location.params["post_logout_redirect_uri"] == "http://127.0.0.1:8000/auth/login"
    assert location.params["id_token_hint"].count(".") == 2
    assert (await client.get("/api/me")).status_code == 401
    assert [entry.actor for entry in await audit_entries(hub.db, "sign_out")] == [
        "owner@acme.example"
    ]
