"""SCIM 2.0 as Okta and Entra ID send it: round trips, isolation between IdPs, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.auth.idp_records import ProviderSpec, add_provider
from hub.db import User
from hub.middleware.sessions import USER_SESSIONS_PREFIX
from hub.resources import Hub
from hub.services.scim.tokens import issue_token
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "scim"
SCIM = "application/scim+json"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


async def _provider(hub: Hub, name: str, org: str) -> dict[str, str]:
    await add_provider(
        hub.db,
        ProviderSpec(
            name=name,
            kind="oidc",
            issuer=f"https://{name}.example",
            client_id="hub",
            client_secret_env="HUB_TEST_SECRET",
            allowed_orgs=[org],
        ),
    )
    token = await issue_token(hub.db, name, "admin@vendor.example")
    assert token is not None
    return {"Authorization": f"Bearer {token}", "Content-Type": SCIM}


@pytest.fixture
async def okta(seeded: Hub) -> dict[str, str]:
    return await _provider(seeded, "acme-okta", "acme")


@pytest.fixture
async def entra(seeded: Hub) -> dict[str, str]:
    return await _provider(seeded, "globex-entra", "globex")


async def _user(hub: Hub, email: str) -> User | None:
    async with hub.db.session() as session:
        return await session.scalar(select(User).where(User.email == email))


async def test_okta_creates_finds_and_deactivates_a_user(
    client: httpx.AsyncClient, seeded: Hub, okta: dict[str, str]
) -> None:
    created = await client.post(
        "/scim/v2/Users", json=fixture("okta_create_user.json"), headers=okta
    )
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith(SCIM)
    body = created.json()
    assert body["userName"] == "dana.lee@acme.example"
    assert body["active"] is True
    assert "password" not in body
    assert body["meta"]["version"] == created.headers["etag"]
    # Okta looks a user up by userName before it creates or links one.
    found = await client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "Dana.Lee@acme.example"'}, headers=okta
    )
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["id"] == body["id"]
    deactivated = await client.patch(
        f"/scim/v2/Users/{body['id']}", json=fixture("okta_deactivate_patch.json"), headers=okta
    )
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False
    user = await _user(seeded, "dana.lee@acme.example")
    assert user is not None
    assert not user.active
    assert user.name == "Dana Lee"
    # Okta's PUT with active=true brings them back.
    put = {**fixture("okta_create_user.json"), "active": True}
    again = await client.put(f"/scim/v2/Users/{body['id']}", json=put, headers=okta)
    assert again.status_code == 200
    assert again.json()["active"] is True


async def test_entra_creates_patches_and_disables_with_string_booleans(
    client: httpx.AsyncClient, seeded: Hub, entra: dict[str, str]
) -> None:
    payload = fixture("entra_create_user.json")
    payload["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["organization"] = "globex"
    for email in payload["emails"]:
        email["value"] = email["value"].replace("acme", "globex")
    created = await client.post("/scim/v2/Users", json=payload, headers=entra)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    patched = await client.patch(
        f"/scim/v2/Users/{user_id}", json=fixture("entra_patch_user.json"), headers=entra
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["displayName"] == "Ryan Leenay"
    assert patched.json()["userName"] == "updatedemail@acme.example"
    disabled = await client.patch(
        f"/scim/v2/Users/{user_id}", json=fixture("entra_disable_user.json"), headers=entra
    )
    assert disabled.status_code == 200
    assert disabled.json()["active"] is False
    user = await _user(seeded, "updatedemail@acme.example")
    assert user is not None
    assert not user.active


async def test_paging_walks_every_user_once(
    client: httpx.AsyncClient, okta: dict[str, str]
) -> None:
    everyone = await client.get("/scim/v2/Users", params={"count": "200"}, headers=okta)
    total = everyone.json()["totalResults"]
    assert total >= 3
    seen: list[str] = []
    for start in range(1, total + 1, 2):
        page = await client.get(
            "/scim/v2/Users", params={"startIndex": str(start), "count": "2"}, headers=okta
        )
        seen += [user["id"] for user in page.json()["Resources"]]
    assert sorted(seen) == sorted(u["id"] for u in everyone.json()["Resources"])
    assert all(u["userName"].endswith("@acme.example") for u in everyone.json()["Resources"])


async def test_if_match_with_an_old_version_is_refused(
    client: httpx.AsyncClient, seeded: Hub, okta: dict[str, str]
) -> None:
    created = await client.post(
        "/scim/v2/Users", json=fixture("okta_create_user.json"), headers=okta
    )
    old = created.headers["etag"]
    url = f"/scim/v2/Users/{created.json()['id']}"
    change = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "D. Lee"}],
    }
    first = await client.patch(url, json=change, headers={**okta, "If-Match": old})
    assert first.status_code == 200
    assert first.headers["etag"] != old
    stale = {**change, "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]}
    refused = await client.patch(url, json=stale, headers={**okta, "If-Match": old})
    assert refused.status_code == 412
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    user = await _user(seeded, "dana.lee@acme.example")
    assert user is not None
    assert user.name == "D. Lee"


async def test_one_idps_token_cannot_touch_another_idps_org(
    client: httpx.AsyncClient, seeded: Hub, okta: dict[str, str], entra: dict[str, str]
) -> None:
    owner = await _user(seeded, "owner@globex.example")
    assert owner is not None
    url = f"/scim/v2/Users/{owner.id}"
    disable = fixture("entra_disable_user.json")
    assert (await client.get(url, headers=okta)).status_code == 404
    assert (await client.patch(url, json=disable, headers=okta)).status_code == 404
    assert (await client.delete(url, headers=okta)).status_code == 404
    listed = await client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "owner@globex.example"'}, headers=okta
    )
    assert listed.json()["totalResults"] == 0
    # Creating into an org the IdP does not serve is refused too.
    payload = fixture("entra_create_user.json")
    refused = await client.post("/scim/v2/Users", json=payload, headers=entra)
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidValue"
    still = await _user(seeded, "owner@globex.example")
    assert still is not None
    assert still.active
    assert (await client.get(url, headers=entra)).status_code == 200


async def test_vendor_staff_are_out_of_reach(
    client: httpx.AsyncClient, seeded: Hub, okta: dict[str, str]
) -> None:
    admin = await _user(seeded, "admin@vendor.example")
    assert admin is not None
    assert (await client.get(f"/scim/v2/Users/{admin.id}", headers=okta)).status_code == 404


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        (
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@acme.example",
                "shoeSize": 44,
            },
            "invalidSyntax",
        ),
        ({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}, None),
        (
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "no-at-sign"},
            "invalidValue",
        ),
        (
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "x@acme.example",
                "roles": [{"value": "admin"}],
            },
            "invalidValue",
        ),
        (
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "rep@acme.example",
            },
            "uniqueness",
        ),
    ],
    ids=["unknown-attribute", "no-username", "not-an-email", "vendor-role", "taken"],
)
async def test_bad_bodies_are_scim_errors_and_change_nothing(
    client: httpx.AsyncClient,
    seeded: Hub,
    okta: dict[str, str],
    body: dict[str, Any],
    scim_type: str | None,
) -> None:
    before = await client.get("/scim/v2/Users", params={"count": "0"}, headers=okta)
    response = await client.post("/scim/v2/Users", json=body, headers=okta)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    if scim_type:
        assert error["scimType"] == scim_type
    after = await client.get("/scim/v2/Users", params={"count": "0"}, headers=okta)
    assert after.json()["totalResults"] == before.json()["totalResults"]
    assert await _user(seeded, "x@acme.example") is None


async def test_a_body_that_is_not_json_is_invalid_syntax(
    client: httpx.AsyncClient, okta: dict[str, str]
) -> None:
    response = await client.post("/scim/v2/Users", content=b"{nope", headers=okta)
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


@pytest.mark.parametrize(
    "text",
    [
        "userName eq",
        "shoeSize gt 40",
        " or ".join(['userName sw "a"'] * 11),
        'userName eq "x") or (1',
    ],
    ids=["unparsable", "unknown-attribute", "too-expensive", "unbalanced"],
)
async def test_bad_filters_are_invalid_filter(
    client: httpx.AsyncClient, okta: dict[str, str], text: str
) -> None:
    response = await client.get("/scim/v2/Users", params={"filter": text}, headers=okta)
    assert response.status_code == 400, response.text
    assert response.json()["scimType"] == "invalidFilter"


async def test_a_patch_of_an_unknown_attribute_changes_nothing(
    client: httpx.AsyncClient, seeded: Hub, okta: dict[str, str]
) -> None:
    rep = await _user(seeded, "rep@acme.example")
    assert rep is not None
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "displayName", "value": "Evil"},
            {"op": "replace", "path": "shoeSize", "value": 44},
        ],
    }
    response = await client.patch(f"/scim/v2/Users/{rep.id}", json=body, headers=okta)
    assert response.status_code == 400
    again = await _user(seeded, "rep@acme.example")
    assert again is not None
    assert again.name == rep.name


async def test_no_or_a_wrong_token_is_401_and_a_session_is_no_credential(
    client: httpx.AsyncClient, seeded: Hub
) -> None:
    assert (await client.get("/scim/v2/Users")).status_code == 401
    wrong = {"Authorization": "Bearer scim_not-a-token"}
    response = await client.get("/scim/v2/Users", headers=wrong)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    await demo_sign_in(client, "admin@vendor.example")
    # A signed-in administrator's cookie opens nothing here, so skipping CSRF is safe.
    assert (
        await client.post("/scim/v2/Users", json=fixture("okta_create_user.json"))
    ).status_code == 401


async def test_discovery_endpoints(client: httpx.AsyncClient, okta: dict[str, str]) -> None:
    config = (await client.get("/scim/v2/ServiceProviderConfig", headers=okta)).json()
    assert config["patch"]["supported"]
    assert config["etag"]["supported"]
    assert not config["bulk"]["supported"]
    types = (await client.get("/scim/v2/ResourceTypes", headers=okta)).json()
    assert [t["endpoint"] for t in types["Resources"]] == ["/Users", "/Groups"]
    schemas = (await client.get("/scim/v2/Schemas", headers=okta)).json()
    ids = {s["id"] for s in schemas["Resources"]}
    assert "urn:ietf:params:scim:schemas:core:2.0:User" in ids
    one = await client.get(
        "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", headers=okta
    )
    assert one.status_code == 200
    assert one.json()["name"] == "User"


async def test_deactivation_ends_the_persons_sessions_at_once(
    client: httpx.AsyncClient, seeded: Hub, okta: dict[str, str], app: Any
) -> None:
    rep = await _user(seeded, "rep@acme.example")
    assert rep is not None
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url)) as browser:
        await demo_sign_in(browser, "rep@acme.example")
        assert (await browser.get("/api/me")).status_code == 200
        cookies = dict(browser.cookies)
        response = await client.patch(
            f"/scim/v2/Users/{rep.id}", json=fixture("entra_disable_user.json"), headers=okta
        )
        assert response.status_code == 200
        assert await seeded.store.zrevrange(f"{USER_SESSIONS_PREFIX}{rep.id}", 0, -1) == []
        browser.cookies.clear()
        for name, value in cookies.items():
            browser.cookies.set(name, value)
        assert (await browser.get("/api/me")).status_code == 401
        assert (await browser.get("/")).status_code in (303, 401, 403)


async def test_the_cli_issues_a_token_that_works_and_revokes_it(
    tmp_path: Path,
    seeded: Hub,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.sso.test_sessions import hub_cli

    await _provider(seeded, "acme-okta", "acme")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUB_DEMO", "1")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_DATABASE_URL", seeded.db.url)
    assert await hub_cli("idp", "scim-token", "nobody") == 1
    assert await hub_cli("idp", "scim-token", "acme-okta") == 0
    token = capsys.readouterr().out.split("keep it in your IdP): ")[1].strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/scim/v2/Users", headers=headers)).status_code == 200
    assert await hub_cli("idp", "scim-token", "acme-okta", "--revoke") == 0
    assert (await client.get("/scim/v2/Users", headers=headers)).status_code == 401


async def test_an_administrator_issues_a_token_on_the_admin_page(
    client: httpx.AsyncClient, seeded: Hub
) -> None:
    await _provider(seeded, "acme-okta", "acme")
    csrf = await demo_sign_in(client, "admin@vendor.example")
    issued = await client.post(
        "/admin/identity-providers/acme-okta/scim-token", data={"csrf_token": csrf}
    )
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    token = issued.text.split("<code data-token>")[1].split("</code>")[0]
    client.cookies.clear()
    page = await client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200
    forged = await client.post("/admin/identity-providers/acme-okta/scim-token")
    assert forged.status_code in (401, 403)


async def test_a_partner_cannot_issue_a_token(client: httpx.AsyncClient, seeded: Hub) -> None:
    await _provider(seeded, "acme-okta", "acme")
    csrf = await demo_sign_in(client, "owner@acme.example")
    response = await client.post(
        "/admin/identity-providers/acme-okta/scim-token", data={"csrf_token": csrf}
    )
    assert response.status_code == 403
