"""SCIM Groups as Entra and Okta send them: a group's members get its hub role."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from hub.auth.idp_records import ProviderSpec, add_provider
from hub.resources import Hub
from hub.services.scim.tokens import issue_token
from tests.test_scim import FIXTURES, SCIM, _provider, _user, fixture

pytestmark = pytest.mark.anyio


def with_user(name: str, user_id: int) -> Any:
    return json.loads((FIXTURES / name).read_text().replace("USER_ID", str(user_id)))


@pytest.fixture
async def entra(seeded: Hub) -> dict[str, str]:
    await add_provider(
        seeded.db,
        ProviderSpec(
            name="acme-entra",
            kind="oidc",
            issuer="https://login.microsoftonline.example/acme/v2.0",
            client_id="hub",
            client_secret_env="HUB_TEST_SECRET",
            allowed_orgs=["acme"],
            group_roles={"Partner Sellers": "sales_rep"},
        ),
    )
    token = await issue_token(seeded.db, "acme-entra", "admin@vendor.example")
    return {"Authorization": f"Bearer {token}", "Content-Type": SCIM}


async def test_entra_group_membership_grants_and_takes_the_role(
    client: httpx.AsyncClient, seeded: Hub, entra: dict[str, str]
) -> None:
    owner = await _user(seeded, "owner@acme.example")
    assert owner is not None
    created = await client.post(
        "/scim/v2/Groups", json=fixture("entra_create_group.json"), headers=entra
    )
    assert created.status_code == 201, created.text
    group = created.json()["id"]
    found = await client.get(
        "/scim/v2/Groups", params={"filter": 'displayName eq "Partner Sellers"'}, headers=entra
    )
    assert found.json()["totalResults"] == 1
    added = await client.patch(
        f"/scim/v2/Groups/{group}", json=with_user("entra_add_member.json", owner.id), headers=entra
    )
    assert added.status_code == 200, added.text
    assert [m["value"] for m in added.json()["members"]] == [str(owner.id)]
    member = await _user(seeded, "owner@acme.example")
    assert member is not None
    assert member.roles == ["sales_rep"]
    removed = await client.patch(
        f"/scim/v2/Groups/{group}",
        json=with_user("entra_remove_member.json", owner.id),
        headers=entra,
    )
    assert removed.status_code == 200, removed.text
    gone = await _user(seeded, "owner@acme.example")
    assert gone is not None
    assert gone.roles == []


async def test_okta_removes_a_member_by_path_filter(client: httpx.AsyncClient, seeded: Hub) -> None:
    okta = await _provider(seeded, "acme-okta", "acme")
    rep = await _user(seeded, "rep@acme.example")
    assert rep is not None
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "marketer",
        "members": [{"value": str(rep.id)}],
    }
    created = await client.post("/scim/v2/Groups", json=body, headers=okta)
    assert created.status_code == 201, created.text
    assert (await _user(seeded, "rep@acme.example")).roles == ["marketer"]  # type: ignore[union-attr]
    removed = await client.patch(
        f"/scim/v2/Groups/{created.json()['id']}",
        json=with_user("okta_remove_member.json", rep.id),
        headers=okta,
    )
    assert removed.status_code == 200, removed.text
    assert (await _user(seeded, "rep@acme.example")).roles == []  # type: ignore[union-attr]


async def test_another_orgs_person_cannot_be_made_a_member(
    client: httpx.AsyncClient, seeded: Hub, entra: dict[str, str]
) -> None:
    foreign = await _user(seeded, "owner@globex.example")
    assert foreign is not None
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Partner Sellers",
        "members": [{"value": str(foreign.id)}],
    }
    refused = await client.post("/scim/v2/Groups", json=body, headers=entra)
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidValue"
    listed = await client.get("/scim/v2/Groups", headers=entra)
    assert listed.json()["totalResults"] == 0
    same = await _user(seeded, "owner@globex.example")
    assert same is not None
    assert same.roles == foreign.roles


async def test_one_idps_groups_are_not_anothers(
    client: httpx.AsyncClient, seeded: Hub, entra: dict[str, str]
) -> None:
    created = await client.post(
        "/scim/v2/Groups", json=fixture("entra_create_group.json"), headers=entra
    )
    okta = await _provider(seeded, "globex-okta", "globex")
    url = f"/scim/v2/Groups/{created.json()['id']}"
    assert (await client.get(url, headers=okta)).status_code == 404
    assert (await client.delete(url, headers=okta)).status_code == 404
    assert (await client.get(url, headers=entra)).status_code == 200


async def test_unknown_endpoints_and_group_filters_are_scim_errors(
    client: httpx.AsyncClient, entra: dict[str, str]
) -> None:
    response = await client.get("/scim/v2/Bulk", headers=entra)
    assert response.status_code == 404
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    bad = await client.get("/scim/v2/Groups", params={"filter": 'members co "1"'}, headers=entra)
    assert bad.status_code == 400
    assert bad.json()["scimType"] == "invalidFilter"
