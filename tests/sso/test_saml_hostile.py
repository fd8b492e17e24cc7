"""Every hostile or broken SAML response is refused: clear page, no session, audit entry."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from hub.resources import Hub
from tests.sso.conftest import PEOPLE, ClientFactory
from tests.sso.flows import saml_person, saml_post, saml_start
from tests.sso.refusals import assert_refused
from tests.sso.saml_idp import SAML, SAMLIdentityProvider, make_key_pair

pytestmark = pytest.mark.anyio

OWNER = PEOPLE["owner-acme"]


def _owner(idp: SAMLIdentityProvider, request_id: str | None, **hostile: object) -> etree._Element:
    return idp.response_xml(
        name_id="owner@acme.example",
        attributes={
            "email": ["owner@acme.example"],
            "displayName": ["Olivia Owner"],
            "roles": ["partner_owner"],
            "partner_org": ["acme"],
        },
        in_response_to=request_id,
        **hostile,  # type: ignore[arg-type]
    )


async def test_an_unsigned_assertion_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    response = await saml_post(client, _owner(idp, await saml_start(client), sign=False))
    await assert_refused(client, hub, response, 403, "not signed exactly once")


async def test_an_assertion_signed_by_another_key_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    forged = _owner(idp, await saml_start(client), signing_keys=make_key_pair("mallory"))
    response = await saml_post(client, forged)
    await assert_refused(client, hub, response, 403, "SAML response invalid")


async def test_an_assertion_changed_after_signing_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    signed = _owner(idp, await saml_start(client))
    for value in signed.iter(f"{{{SAML}}}AttributeValue"):
        if value.text == "partner_owner":
            value.text = "admin"
    response = await saml_post(client, signed)
    await assert_refused(client, hub, response, 403, "SAML response invalid")


async def test_an_expired_assertion_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = _owner(
        idp, await saml_start(client), not_before=past - timedelta(minutes=5), not_on_or_after=past
    )
    response = await saml_post(client, expired)
    await assert_refused(client, hub, response, 403, "SAML response invalid")


async def test_a_not_yet_valid_assertion_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    future = datetime.now(UTC) + timedelta(hours=1)
    early = _owner(
        idp,
        await saml_start(client),
        not_before=future,
        not_on_or_after=future + timedelta(hours=1),
    )
    response = await saml_post(client, early)
    await assert_refused(client, hub, response, 403, "SAML response invalid")


async def test_a_wrong_audience_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    other = _owner(idp, await saml_start(client), audience="https://other-sp.example/metadata")
    response = await saml_post(client, other)
    await assert_refused(client, hub, response, 403, "SAML response invalid")


async def test_a_wrong_destination_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    other = _owner(idp, await saml_start(client), destination="https://other-sp.example/acs")
    response = await saml_post(client, other)
    await assert_refused(client, hub, response, 403, "SAML response invalid")


async def test_a_replayed_response_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    signed = _owner(idp, await saml_start(client))
    assert (await saml_post(client, signed)).status_code == 303
    client.cookies.clear()
    response = await saml_post(client, signed)
    await assert_refused(client, hub, response, 400, "no open request of ours", earlier_sign_ins=1)


async def test_a_replayed_idp_initiated_response_is_refused(
    client_with: ClientFactory, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    async with client_with(saml_allow_idp_initiated=True) as client:
        unsolicited = _owner(idp, None)
        assert (await saml_post(client, unsolicited)).status_code == 303
        client.cookies.clear()
        response = await saml_post(client, unsolicited)
        await assert_refused(client, hub, response, 403, "replay", earlier_sign_ins=1)


async def test_a_response_to_an_unknown_request_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    response = await saml_post(client, _owner(idp, "_never-issued-by-us"))
    await assert_refused(client, hub, response, 400, "no open request of ours")


async def test_idp_initiated_is_refused_unless_allowed(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    response = await saml_post(client, _owner(idp, None))
    await assert_refused(client, hub, response, 403, "IdP-initiated sign-in is not allowed")


async def test_an_unknown_idp_is_refused(
    client_with: ClientFactory, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    async with client_with(saml_allow_idp_initiated=True) as client:
        stranger = _owner(idp, None, issuer="https://stranger.example/idp")
        response = await saml_post(client, stranger)
        await assert_refused(client, hub, response, 400, "unknown SAML issuer")


async def test_an_unknown_idp_name_at_login_is_refused(client: httpx.AsyncClient, hub: Hub) -> None:
    response = await client.get("/auth/saml/login?idp=nope")
    await assert_refused(client, hub, response, 400, "unknown SAML IdP 'nope'")


async def test_a_wrapped_signature_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    # XSW: keep the genuinely signed assertion (for someone harmless) hidden
    # inside the evil one, whose own content the signature does not cover.
    request_id = await saml_start(client)
    genuine = saml_person(idp, PEOPLE["rep-globex"], request_id)
    signed_assertion = genuine.find(f"{{{SAML}}}Assertion")
    evil = copy.deepcopy(signed_assertion)
    evil.set("ID", "_evil")
    for node in evil.iter(f"{{{SAML}}}NameID"):
        node.text = "admin@vendor.example"
    for node in evil.iter(f"{{{SAML}}}AttributeValue"):
        if node.text == "rep@globex.example":
            node.text = "admin@vendor.example"
    evil_signature = evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    evil_signature.append(signed_assertion)  # the signed original now sits inside the evil one
    genuine.append(evil)
    response = await saml_post(client, genuine)
    await assert_refused(client, hub, response, 403, "assertions, not exactly one")


async def test_a_comment_injected_into_the_name_id_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    # The IdP signs "admin@vendor.example.evil.test" for the attacker's own
    # account; a comment then splits it. Exclusive C14N drops comments, so the
    # signature still verifies; a naive reader would see "admin@vendor.example".
    request_id = await saml_start(client)
    signed = idp.response_xml(
        name_id="admin@vendor.example.evil.test",
        attributes={"email": ["admin@vendor.example.evil.test"], "roles": ["admin"]},
        in_response_to=request_id,
    )
    for node in [*signed.iter(f"{{{SAML}}}NameID"), *signed.iter(f"{{{SAML}}}AttributeValue")]:
        if node.text == "admin@vendor.example.evil.test":
            node.text = "admin@vendor.example"
            comment = etree.Comment("")
            comment.tail = ".evil.test"
            node.append(comment)
    response = await saml_post(client, signed)
    await assert_refused(client, hub, response, 403, "comments")


async def test_a_doctype_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    xml = etree.tostring(_owner(idp, await saml_start(client)))
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaa">]>' + xml
    response = await saml_post(client, bomb)
    await assert_refused(client, hub, response, 400, "DOCTYPE")


async def test_an_idp_whose_metadata_is_down_gives_a_try_again_page(
    client_with: ClientFactory, hub: Hub
) -> None:
    async with client_with(
        saml_idp_metadata_file=None, saml_idp_metadata_url="https://unreachable.test/metadata"
    ) as client:
        response = await client.get("/auth/saml/login")
        await assert_refused(client, hub, response, 503, "IdP metadata: ConnectError")
    assert "try again" in response.text


def _wrapped(idp: SAMLIdentityProvider, request_id: str) -> etree._Element:
    """XSW variant: an evil unsigned assertion first, the signed one moved after it."""
    genuine = saml_person(idp, PEOPLE["rep-globex"], request_id)
    signed_assertion = genuine.find(f"{{{SAML}}}Assertion")
    evil = copy.deepcopy(signed_assertion)
    evil.set("ID", "_evil")
    evil.remove(evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    for node in evil.iter(f"{{{SAML}}}NameID"):
        node.text = "admin@vendor.example"
    genuine.insert(list(genuine).index(signed_assertion), evil)
    return genuine


async def test_the_library_alone_also_refuses_a_wrapped_signature(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    # Defence in depth: python3-saml refuses the same response without our checks.
    from hub.auth.providers import env_providers
    from hub.auth.saml_sp import SAMLServiceProvider
    from tests.sso.saml_idp import encode

    request_id = await saml_start(client)
    provider = next(p for p in env_providers(hub.settings) if p.kind == "saml")
    sp = SAMLServiceProvider(hub.settings, hub.http)
    auth = await sp.auth_for(
        provider, "/auth/saml/acs", {"SAMLResponse": encode(_wrapped(idp, request_id))}
    )
    auth.process_response(request_id=request_id)
    assert not auth.is_authenticated()
    assert auth.get_errors()


async def test_our_checks_refuse_a_wrapped_signature(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    response = await saml_post(client, _wrapped(idp, await saml_start(client)))
    await assert_refused(client, hub, response, 403, "assertions, not exactly one")


async def test_a_signature_over_another_element_is_refused(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    signed = _owner(idp, await saml_start(client))
    reference = signed.find(".//{http://www.w3.org/2000/09/xmldsig#}Reference")
    reference.set("URI", f"#{signed.get('ID')}")
    response = await saml_post(client, signed)
    await assert_refused(client, hub, response, 403, "does not cover the assertion")


async def test_the_library_alone_reads_the_whole_commented_name_id(
    client: httpx.AsyncClient, hub: Hub, idp: SAMLIdentityProvider
) -> None:
    # Defence in depth: even past our comment check, python3-saml would not
    # let the comment truncate the identifier.
    from hub.auth.providers import env_providers
    from hub.auth.saml_sp import SAMLServiceProvider
    from tests.sso.saml_idp import encode

    request_id = await saml_start(client)
    signed = idp.response_xml(
        name_id="admin@vendor.example.evil.test",
        attributes={"roles": ["sales_rep"]},
        in_response_to=request_id,
    )
    for node in signed.iter(f"{{{SAML}}}NameID"):
        node.text = "admin@vendor.example"
        comment = etree.Comment("")
        comment.tail = ".evil.test"
        node.append(comment)
    provider = next(p for p in env_providers(hub.settings) if p.kind == "saml")
    sp = SAMLServiceProvider(hub.settings, hub.http)
    auth = await sp.auth_for(provider, "/auth/saml/acs", {"SAMLResponse": encode(signed)})
    auth.process_response(request_id=request_id)
    assert auth.get_nameid() == "admin@vendor.example.evil.test"
