"""Browser steps through the sign-in flows, driven over HTTP like a browser follows redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from lxml import etree

from tests.sso.oidc_provider import OpenIDProvider
from tests.sso.saml_idp import SAMLIdentityProvider, encode, request_id_from


async def oidc_start(client: httpx.AsyncClient, path: str = "/auth/oidc/login?next=/") -> str:
    """Ask the hub to start an OIDC sign-in; the provider URL it sends the browser to."""
    response = await client.get(path)
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def oidc_at_provider(op: OpenIDProvider, authorize_url: str, person: str | None) -> str:
    """The person signs in at the provider; the callback URL it sends the browser back to."""
    op.signed_in = person
    parts = urlsplit(authorize_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=op.app), base_url=op.issuer
    ) as browser:
        response = await browser.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def oidc_sign_in(
    client: httpx.AsyncClient,
    op: OpenIDProvider,
    person: str | None,
    path: str = "/auth/oidc/login?next=/",
) -> httpx.Response:
    """The whole OIDC round trip; the hub's answer to the callback."""
    callback = await oidc_at_provider(op, await oidc_start(client, path), person)
    return await client.get(callback)


async def saml_start(client: httpx.AsyncClient, path: str = "/auth/saml/login?next=/") -> str:
    """Ask the hub to start a SAML sign-in; the AuthnRequest's ID."""
    response = await client.get(path)
    assert response.status_code == 303, response.text
    return request_id_from(response.headers["location"])


async def saml_post(
    client: httpx.AsyncClient, response_xml: etree._Element | bytes, relay_state: str = ""
) -> httpx.Response:
    """The browser carries the IdP's response to the ACS: a cross-site form POST."""
    return await client.post(
        "/auth/saml/acs",
        data={"SAMLResponse": encode(response_xml), "RelayState": relay_state},
        headers={"Origin": "https://idp.test"},
    )


def saml_person(
    idp: SAMLIdentityProvider, person: dict[str, Any], in_response_to: str | None
) -> etree._Element:
    """A signed response for ``person`` (claims as in conftest.PEOPLE)."""
    attributes: dict[str, list[str]] = {
        "email": [str(person["email"])],
        "displayName": [str(person["name"])],
        "roles": [str(role) for role in person.get("roles", [])],
    }
    if "partner_org" in person:
        attributes["partner_org"] = [str(person["partner_org"])]
    return idp.response_xml(
        name_id=str(person["email"]), attributes=attributes, in_response_to=in_response_to
    )
