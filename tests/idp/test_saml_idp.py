"""The hub as SAML IdP: python3-saml (an independent SP library) accepts its signed
Responses and refuses tampered ones; unregistered ACS URLs and replays are refused."""

from __future__ import annotations

import base64
import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from tests.conftest import BASE_URL
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio

SP_ENTITY = f"{BASE_URL}/demo/portals/moodle/saml/metadata"
ACS = f"{BASE_URL}/demo/saml-acs/moodle"
PAGE = "/demo/portals/moodle/certifications"


async def _sp(client: httpx.AsyncClient, acs: str = ACS) -> dict[str, Any]:
    idp = OneLogin_Saml2_IdPMetadataParser.parse((await client.get("/idp/saml/metadata")).text)
    return {
        "strict": True,
        "sp": {
            "entityId": SP_ENTITY,
            "assertionConsumerService": {
                "url": acs,
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
        },
        "idp": idp["idp"],
        "security": {"wantAssertionsSigned": True, "wantMessagesSigned": True},
    }


def _request(path: str, post: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "https": "off",
        "http_host": "127.0.0.1:8000",
        "script_name": path,
        "get_data": {},
        "post_data": post or {},
    }


async def _authn_request(
    client: httpx.AsyncClient, acs: str = ACS
) -> tuple[str, str, dict[str, Any]]:
    settings = await _sp(client, acs)
    auth = OneLogin_Saml2_Auth(_request("/x"), settings)
    url = auth.login(return_to=PAGE)
    return urlsplit(url).path + "?" + urlsplit(url).query, auth.get_last_request_id(), settings


def _posted(html: str) -> str:
    match = re.search(r'name="SAMLResponse" value="([^"]+)"', html)
    assert match, html
    return unescape(match.group(1))


async def test_metadata_names_the_sso_endpoint_and_a_signing_certificate(
    op_client: httpx.AsyncClient,
) -> None:
    answer = await op_client.get("/idp/saml/metadata")
    assert answer.status_code == 200
    idp = OneLogin_Saml2_IdPMetadataParser.parse(answer.text)["idp"]
    assert idp["entityId"] == f"{BASE_URL}/idp/saml/metadata"
    assert idp["singleSignOnService"]["url"] == f"{BASE_URL}/idp/saml/sso"
    assert idp["x509cert"]


async def test_independent_sp_accepts_the_response_and_refuses_it_tampered(
    op_client: httpx.AsyncClient,
) -> None:
    await demo_sign_in(op_client, "support@acme.example")
    url, request_id, settings = await _authn_request(op_client)
    answer = await op_client.get(url)
    assert answer.status_code == 200, answer.text
    encoded = _posted(answer.text)
    accepted = OneLogin_Saml2_Auth(
        _request("/demo/saml-acs/moodle", {"SAMLResponse": encoded}), settings
    )
    accepted.process_response(request_id=request_id)
    assert accepted.get_errors() == [], accepted.get_last_error_reason()
    assert accepted.get_nameid() == "support"  # the Moodle username, from the email
    attributes = {k.rpartition(":")[2]: v for k, v in accepted.get_attributes().items()}
    assert attributes["email"] == ["support@acme.example"]
    assert attributes["partner_org"] == ["acme"]
    xml = base64.b64decode(encoded).decode()
    tampered = xml.replace("support@acme.example", "admin@vendor.example")
    assert tampered != xml
    refused = OneLogin_Saml2_Auth(
        _request(
            "/demo/saml-acs/moodle", {"SAMLResponse": base64.b64encode(tampered.encode()).decode()}
        ),
        settings,
    )
    refused.process_response(request_id=request_id)
    assert refused.get_errors()
    assert not refused.is_authenticated()


async def test_replayed_request_and_unregistered_acs_are_refused(
    op_client: httpx.AsyncClient,
) -> None:
    await demo_sign_in(op_client, "support@acme.example")
    url, _, _ = await _authn_request(op_client)
    assert (await op_client.get(url)).status_code == 200
    replay = await op_client.get(url)
    assert replay.status_code == 400
    assert "SAMLResponse" not in replay.text
    elsewhere, _, _ = await _authn_request(op_client, acs="https://evil.example/acs")
    refused = await op_client.get(elsewhere)
    assert refused.status_code == 400
    assert "evil.example" not in refused.text
    assert (await op_client.get("/idp/saml/sso?SAMLRequest=bm90IHhtbA")).status_code == 400


async def test_person_without_the_role_and_signed_out_person(
    op_client: httpx.AsyncClient,
) -> None:
    url, _, _ = await _authn_request(op_client)
    signed_out = await op_client.get(url)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/auth/login?next=%2Fidp%2Fsaml%2Fsso")
    await demo_sign_in(op_client, "marketer@globex.example")  # marketer: no LMS role
    refused = await op_client.get(url)
    assert refused.status_code == 403
    assert "SAMLResponse" not in refused.text


async def test_deep_link_into_the_moodle_stand_in_lands_signed_in(
    op_client: httpx.AsyncClient,
) -> None:
    await demo_sign_in(op_client, "support@acme.example")
    start = await op_client.get(PAGE, follow_redirects=True)
    assert start.status_code == 200
    assert str(start.url).startswith(f"{BASE_URL}/idp/saml/sso?")
    relay = re.search(r'name="RelayState" value="([^"]+)"', start.text)
    assert relay
    landed = await op_client.post(
        "/demo/saml-acs/moodle",
        data={"SAMLResponse": _posted(start.text), "RelayState": unescape(relay.group(1))},
        follow_redirects=True,
    )
    assert landed.status_code == 200, landed.text
    assert str(landed.url) == BASE_URL + PAGE
    assert "data-portal-signed-in" in landed.text
    assert "support@acme.example" in landed.text
    # The same response a second time is no sign-in.
    again = await op_client.post(
        "/demo/saml-acs/moodle", data={"SAMLResponse": _posted(start.text)}
    )
    assert again.status_code == 400
