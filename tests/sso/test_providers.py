"""Several identity providers: home-realm discovery, org ties, group mapping, the admin page."""

from __future__ import annotations

import httpx
import pytest

from hub.auth.idp_records import ProviderSpec, add_provider
from hub.resources import Hub
from tests.helpers import csrf_from
from tests.sso.conftest import PARTNER_OP_ISSUER, audit_entries
from tests.sso.flows import oidc_at_provider, oidc_sign_in, saml_post, saml_start
from tests.sso.oidc_provider import OpenIDProvider
from tests.sso.refusals import assert_refused
from tests.sso.saml_idp import SAMLIdentityProvider

pytestmark = pytest.mark.anyio

ACME_LOGIN = "/auth/oidc/login?idp=acme-okta&next=/"


@pytest.fixture
async def acme_idp(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> ProviderSpec:
    """Acme's own OIDC provider, tied to Acme, serving acme.example, Sales group → sales_rep."""
    monkeypatch.setenv("HUB_TEST_ACME_SECRET", "acme-secret")
    spec = ProviderSpec(
        name="acme-okta",
        kind="oidc",
        title="Acme Okta",
        issuer=PARTNER_OP_ISSUER,
        client_id="hub-at-acme",
        client_secret_env="HUB_TEST_ACME_SECRET",
        group_roles={"Sales": "sales_rep", "Owners": "partner_owner", "Vendor": "admin"},
        allowed_orgs=["acme"],
        email_domains=["acme.example"],
    )
    await add_provider(hub.db, spec)
    return spec


async def test_the_email_leads_to_the_orgs_own_idp(
    client: httpx.AsyncClient, hub: Hub, acme_idp: ProviderSpec, partner_op: OpenIDProvider
) -> None:
    page = await client.get("/auth/login")
    assert 'name="email"' in page.text
    response = await client.post(
        "/auth/login",
        data={"email": "Rep@Acme.example", "next": "/deals", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    start = httpx.URL(response.headers["location"])
    assert start.path == "/auth/oidc/login"
    assert dict(start.params) == {
        "idp": "acme-okta",
        "next": "/deals",
        "login_hint": "rep@acme.example",
    }
    authorize = (await client.get(str(start.raw_path.decode()))).headers["location"]
    assert authorize.startswith(PARTNER_OP_ISSUER + "/authorize?")
    assert httpx.URL(authorize).params["login_hint"] == "rep@acme.example"
    callback = await oidc_at_provider(partner_op, authorize, "00u-rep")
    done = await client.get(callback)
    assert done.headers["location"] == "/deals"
    me = (await client.get("/api/me")).json()
    assert me["email"] == "rep@acme.example"
    assert me["roles"] == ["sales_rep"]
    assert me["partner_org"] == "acme"


async def test_an_unknown_domain_offers_every_provider(
    client: httpx.AsyncClient, hub: Hub, acme_idp: ProviderSpec
) -> None:
    page = await client.get("/auth/login")
    response = await client.post(
        "/auth/login",
        data={"email": "someone@elsewhere.example", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 200
    assert "know a single sign-on for that email" in response.text
    for label in ("your company account", "SAML single sign-on", "Acme Okta"):
        assert f"Sign in with {label}" in response.text


async def test_a_tied_idp_cannot_sign_into_another_org(
    client: httpx.AsyncClient, hub: Hub, acme_idp: ProviderSpec, partner_op: OpenIDProvider
) -> None:
    partner_op.users["00u-rep"]["partner_org"] = "globex"
    response = await oidc_sign_in(client, partner_op, "00u-rep", ACME_LOGIN)
    await assert_refused(client, hub, response, 403, "not allowed to sign users into org 'globex'")


async def test_a_tied_idp_cannot_take_over_another_orgs_account_by_email(
    client: httpx.AsyncClient, hub: Hub, acme_idp: ProviderSpec, partner_op: OpenIDProvider
) -> None:
    partner_op.users["00u-evil"] = {"email": "owner@globex.example", "name": "Not Globex"}
    response = await oidc_sign_in(client, partner_op, "00u-evil", ACME_LOGIN)
    await assert_refused(client, hub, response, 403, "belongs to another org")


async def test_a_tied_idp_cannot_create_an_org(
    client: httpx.AsyncClient, hub: Hub, partner_op: OpenIDProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TEST_ACME_SECRET", "acme-secret")
    await add_provider(
        hub.db,
        ProviderSpec(
            name="acme-okta",
            kind="oidc",
            issuer=PARTNER_OP_ISSUER,
            client_id="hub-at-acme",
            client_secret_env="HUB_TEST_ACME_SECRET",
            allowed_orgs=["acme-emea"],
        ),
    )
    response = await oidc_sign_in(client, partner_op, "00u-owner", ACME_LOGIN)
    await assert_refused(client, hub, response, 403, "'acme-emea' is unknown")


async def test_a_tied_idp_cannot_grant_vendor_roles(
    client: httpx.AsyncClient, hub: Hub, acme_idp: ProviderSpec, partner_op: OpenIDProvider
) -> None:
    partner_op.users["00u-rep"]["groups"] = ["Sales", "Vendor"]
    await oidc_sign_in(client, partner_op, "00u-rep", ACME_LOGIN)
    assert (await client.get("/api/me")).json()["roles"] == ["sales_rep"]
    refused = await audit_entries(hub.db, "role_refused")
    assert [entry.reason for entry in refused] == ["acme-okta may not grant ['admin']"]


async def test_the_identity_at_each_idp_links_to_one_user(
    client: httpx.AsyncClient,
    hub: Hub,
    acme_idp: ProviderSpec,
    op: OpenIDProvider,
    partner_op: OpenIDProvider,
) -> None:
    await oidc_sign_in(client, op, "owner-acme")
    first = (await client.get("/api/me")).json()
    client.cookies.clear()
    await oidc_sign_in(client, partner_op, "00u-owner", ACME_LOGIN)
    second = (await client.get("/api/me")).json()
    assert first == second  # Acme's IdP sends no roles: the hub keeps the ones it has


async def test_admins_manage_providers_on_the_admin_page(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    await oidc_sign_in(client, op, "admin-vendor")
    page = await client.get("/admin/identity-providers")
    assert page.status_code == 200
    assert "No stored identity providers yet" in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "name": "globex-entra",
        "kind": "oidc",
        "title": "Globex Entra ID",
        "issuer": "https://login.microsoftonline.com/tenant-id/v2.0",
        "client_id": "hub-app",
        "client_secret_env": "HUB_IDP_GLOBEX_SECRET",
        "allowed_orgs": "globex",
        "email_domains": "globex.example",
        "claim_mapping": "email=preferred_username",
        "group_roles": "Globex Sales=sales_rep\nGlobex Marketing=marketer",
    }
    added = await client.post("/admin/identity-providers", data=form)
    assert added.status_code == 303, added.text
    listed = await client.get("/admin/identity-providers")
    assert 'data-idp="globex-entra"' in listed.text
    removed = await client.post(
        "/admin/identity-providers/globex-entra/remove",
        data={"csrf_token": csrf_from(listed.text)},
    )
    assert removed.status_code == 303
    assert 'data-idp="globex-entra"' not in (await client.get("/admin/identity-providers")).text
    actions = [
        entry.action for entry in await audit_entries(hub.db) if entry.action.startswith("idp")
    ]
    assert actions == ["idp_added", "idp_removed"]


async def test_the_admin_form_says_which_field_is_wrong(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    await oidc_sign_in(client, op, "admin-vendor")
    page = await client.get("/admin/identity-providers")
    response = await client.post(
        "/admin/identity-providers",
        data={
            "csrf_token": csrf_from(page.text),
            "name": "x",
            "kind": "oidc",
            "issuer": "https://x.example",
            "client_id": "a",
            "client_secret_env": "the secret itself!",
            "allowed_orgs": "acme",
        },
    )
    assert response.status_code == 422
    assert "client secret variable" in response.text


async def test_the_admin_page_needs_the_admin_role(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    assert (await client.get("/admin/identity-providers")).status_code == 401
    await oidc_sign_in(client, op, "cam-vendor")
    assert (await client.get("/admin/identity-providers")).status_code == 403
    page = await client.get("/")
    response = await client.post(
        "/admin/identity-providers",
        data={"csrf_token": csrf_from(page.text), "name": "x", "kind": "oidc"},
    )
    assert response.status_code == 403


async def test_the_admin_forms_need_the_csrf_token(
    client: httpx.AsyncClient, hub: Hub, op: OpenIDProvider
) -> None:
    await oidc_sign_in(client, op, "admin-vendor")
    response = await client.post("/admin/identity-providers", data={"name": "x", "kind": "oidc"})
    assert response.status_code == 403
    assert "security token" in response.text


async def test_hub_check_names_a_stored_provider_whose_secret_variable_is_unset(
    hub: Hub, acme_idp: ProviderSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.checks import run_checks

    row = {result.name: result for result in await run_checks(hub)}["identity providers"]
    assert (row.ok, row.detail) == (True, "1 stored")
    monkeypatch.delenv("HUB_TEST_ACME_SECRET")
    row = {result.name: result for result in await run_checks(hub)}["identity providers"]
    assert not row.ok
    assert "acme-okta (HUB_TEST_ACME_SECRET)" in row.detail


async def test_a_provider_without_its_secret_is_a_clear_503(
    client: httpx.AsyncClient, hub: Hub, acme_idp: ProviderSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUB_TEST_ACME_SECRET")
    response = await client.get(ACME_LOGIN)
    await assert_refused(client, hub, response, 503, "has no client secret configured")


@pytest.fixture
async def globex_idp(hub: Hub) -> SAMLIdentityProvider:
    """Globex's own ADFS-like SAML IdP, stored with its metadata XML, tied to Globex."""
    idp = SAMLIdentityProvider(
        "https://sts.globex.test/adfs/metadata",
        "http://127.0.0.1:8000/auth/saml/metadata",
        "http://127.0.0.1:8000/auth/saml/acs",
    )
    await add_provider(
        hub.db,
        ProviderSpec(
            name="globex-adfs",
            kind="saml",
            title="Globex ADFS",
            metadata_xml=idp.metadata(),
            claim_mapping={"name": "cn"},
            group_roles={"Marketing": "marketer"},
            allowed_orgs=["globex"],
            email_domains=["globex.example"],
        ),
    )
    return idp


async def test_a_stored_saml_idp_signs_its_people_into_its_org(
    client: httpx.AsyncClient, hub: Hub, globex_idp: SAMLIdentityProvider
) -> None:
    request_id = await saml_start(client, "/auth/saml/login?idp=globex-adfs&next=/")
    signed = globex_idp.response_xml(
        name_id="marketer@globex.example",
        attributes={"cn": ["Gina Marketer"], "groups": ["Marketing", "Everyone"]},
        in_response_to=request_id,
    )
    response = await saml_post(client, signed)
    assert response.status_code == 303, response.text
    me = (await client.get("/api/me")).json()
    assert me == {
        "email": "marketer@globex.example",
        "name": "Gina Marketer",
        "roles": ["marketer"],
        "persona": "marketer",
        "partner_org": "globex",
    }


async def test_a_stored_saml_idp_cannot_sign_into_another_org(
    client: httpx.AsyncClient, hub: Hub, globex_idp: SAMLIdentityProvider
) -> None:
    request_id = await saml_start(client, "/auth/saml/login?idp=globex-adfs")
    signed = globex_idp.response_xml(
        name_id="spy@globex.example",
        attributes={"partner_org": ["acme"], "roles": ["partner_owner"]},
        in_response_to=request_id,
    )
    response = await saml_post(client, signed)
    await assert_refused(
        client, hub, response, 403, "globex-adfs is not allowed to sign users into org 'acme'"
    )


async def test_one_idp_cannot_answer_a_request_made_to_another(
    client: httpx.AsyncClient, hub: Hub, globex_idp: SAMLIdentityProvider
) -> None:
    # The request went to the environment's IdP; Globex's IdP answers it.
    request_id = await saml_start(client, "/auth/saml/login")
    signed = globex_idp.response_xml(
        name_id="admin@vendor.example",
        attributes={"roles": ["admin"]},
        in_response_to=request_id,
    )
    response = await saml_post(client, signed)
    await assert_refused(client, hub, response, 403, "SAML response invalid")
