"""SAML sign-in against a real IdP (responses signed with xmlsec), end to end."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from lxml import etree

from hub.resources import Hub
from tests.sso.conftest import PEOPLE, ClientFactory, audit_entries
from tests.sso.flows import saml_person, saml_post, saml_start
from tests.sso.saml_idp import SAMLIdentityProvider, make_key_pair, request_id_from

pytestmark = pytest.mark.anyio


async def test_sp_metadata_names_our_acs_and_entity(client: httpx.AsyncClient, hub: Hub) -> None:
    response = await client.get("/auth/saml/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/samlmetadata+xml")
    root = etree.fromstring(response.content)
    assert root.get("entityID") == "http://127.0.0.1:8000/auth/saml/metadata"
    acs = root.find(".//{urn:oasis:names:tc:SAML:2.0:metadata}AssertionConsumerService")
    assert acs is not None
    assert acs.get("Location") == "http://127.0.0.1:8000/auth/saml/acs"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@pytest.mark.parametrize(
    ("person", "persona"),
    [("owner-acme", "partner_owner"), ("rep-globex", "sales_rep"), ("admin-vendor", "admin")],
)
async def test_a_person_signs_in_and_lands_on_their_persona_home(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider, person: str, persona: str
) -> None:
    request_id = await saml_start(client, "/auth/saml/login?next=/deals")
    response = await saml_post(client, saml_person(idp, PEOPLE[person], request_id))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/deals"
    claims = PEOPLE[person]
    assert (await client.get("/api/me")).json() == {
        "email": claims["email"],
        "name": claims["name"],
        "roles": claims["roles"],
        "persona": persona,
        "partner_org": claims.get("partner_org"),
    }
    home = await client.get("/")
    assert home.status_code == 200
    assert claims["name"] in home.text
    sign_ins = await audit_entries(hub.db, "sign_in")
    assert [(entry.actor, entry.target) for entry in sign_ins] == [(claims["email"], "saml:saml")]


async def test_the_login_redirect_carries_an_authn_request_to_the_idp(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    response = await client.get("/auth/saml/login")
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith(idp.sso_url + "?")
    assert "SAMLRequest" in location.params


async def test_idp_initiated_sign_in_works_where_allowed(
    client_with: ClientFactory, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    async with client_with(saml_allow_idp_initiated=True) as client:
        unsolicited = saml_person(idp, PEOPLE["owner-acme"], None)
        response = await saml_post(client, unsolicited, relay_state="/rebates")
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/rebates"
        assert (await client.get("/api/me")).json()["email"] == "owner@acme.example"


async def test_idp_initiated_relay_state_cannot_leave_the_hub(
    client_with: ClientFactory, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    async with client_with(saml_allow_idp_initiated=True) as client:
        unsolicited = saml_person(idp, PEOPLE["owner-acme"], None)
        response = await saml_post(client, unsolicited, relay_state="https://evil.example/")
        assert response.headers["location"] == "/"


async def test_demo_mode_makes_an_sp_key_and_signs_authn_requests(
    client_with: ClientFactory, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    async with client_with(demo=True) as client:
        metadata = (await client.get("/auth/saml/metadata")).text
        assert "X509Certificate" in metadata
        location = httpx.URL((await client.get("/auth/saml/login")).headers["location"])
        assert location.params["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        assert location.params["Signature"]
        request_id = request_id_from(str(location))
        response = await saml_post(client, saml_person(idp, PEOPLE["owner-acme"], request_id))
        assert response.status_code == 303, response.text
    key_file = hub.settings.data_dir / "saml-sp-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


async def test_a_configured_sp_certificate_is_published(
    client_with: ClientFactory, hub: Hub, tmp_path: Path
) -> None:
    keys = make_key_pair("hub-sp")
    (tmp_path / "sp.key").write_bytes(keys.key_pem)
    (tmp_path / "sp.crt").write_bytes(keys.cert_pem)
    async with client_with(
        saml_sp_key_file=tmp_path / "sp.key", saml_sp_cert_file=tmp_path / "sp.crt"
    ) as client:
        metadata = (await client.get("/auth/saml/metadata")).text
        assert keys.cert_base64 in metadata.replace("\n", "")
        assert 'AuthnRequestsSigned="true"' in metadata
