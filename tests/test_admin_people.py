"""Fan-out in the demo: a SCIM deactivation reaches every sandbox; the people page shows and
retries what one backend missed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from hub.app import create_app
from hub.connectors.demo import demo_setup
from hub.connectors.mautic import MauticConnector
from hub.connectors.moodle import MoodleConnector
from hub.connectors.registry import adapters, build_backends
from hub.connectors.salesforce import SalesforceConnector
from hub.connectors.sandboxes.knobs import Knobs
from hub.db.scim import ProvisioningPush
from hub.resources import Hub
from tests.helpers import csrf_from, demo_sign_in
from tests.test_scim import _provider, fixture

pytestmark = pytest.mark.anyio

DANA = "dana.lee@acme.example"


@dataclass
class Demo:
    hub: Hub
    client: httpx.AsyncClient
    knobs: dict[str, Knobs]
    okta: dict[str, str]

    def backend(self, kind: type[object]) -> object:
        return next(c for c in self.hub.backends.all() if isinstance(c, kind))

    async def salesforce_active(self) -> bool:
        salesforce = self.backend(SalesforceConnector)
        assert isinstance(salesforce, SalesforceConnector)
        soql = f"SELECT Id, IsActive FROM User WHERE FederationIdentifier = '{DANA}'"
        (user,) = await salesforce._salesforce.query(soql)
        return bool(user["IsActive"])

    async def salesforce_last_name(self) -> str:
        salesforce = self.backend(SalesforceConnector)
        assert isinstance(salesforce, SalesforceConnector)
        soql = f"SELECT Id, LastName FROM User WHERE FederationIdentifier = '{DANA}'"
        (user,) = await salesforce._salesforce.query(soql)
        return str(user["LastName"])

    async def mautic_last_name(self) -> str:
        mautic = self.backend(MauticConnector)
        assert isinstance(mautic, MauticConnector)
        contact = await mautic._contact_by_email(DANA)
        assert contact is not None
        return str(contact["fields"]["all"]["lastname"])

    async def moodle_suspended(self) -> bool:
        moodle = self.backend(MoodleConnector)
        assert isinstance(moodle, MoodleConnector)
        answer = await moodle._call("core_user_get_users_by_field", field="email", values=[DANA])
        return bool(answer[0]["suspended"])

    async def mautic_marks(self) -> list[tuple[str, int]]:
        mautic = self.backend(MauticConnector)
        assert isinstance(mautic, MauticConnector)
        contact = await mautic._contact_by_email(DANA)
        assert contact is not None
        return [(m["channel"], m["reason"]) for m in contact["doNotContact"]]


@pytest.fixture
async def demo(seeded: Hub) -> AsyncIterator[Demo]:
    okta = await _provider(seeded, "acme-okta", "acme")
    setup = demo_setup(adapters())
    async with httpx.AsyncClient(mounts=setup.mounts) as http:
        hub = Hub(
            settings=seeded.settings,
            db=seeded.db,
            store=seeded.store,
            http=http,
            backends=build_backends(setup.configs, http, seeded.store),
            sandbox_knobs=setup.knobs,
        )
        transport = httpx.ASGITransport(app=create_app(seeded.settings, hub))
        async with httpx.AsyncClient(
            transport=transport, base_url=str(seeded.settings.base_url)
        ) as client:
            yield Demo(hub, client, setup.knobs, okta)


async def test_a_scim_create_change_and_deactivation_reach_every_sandbox(demo: Demo) -> None:
    created = await demo.client.post(
        "/scim/v2/Users", json=fixture("okta_create_user.json"), headers=demo.okta
    )
    assert created.status_code == 201
    assert await demo.salesforce_active()
    assert not await demo.moodle_suspended()
    assert await demo.mautic_marks() == []
    # Okta sends a profile change as the whole user (PUT): the new name reaches both.
    renamed = fixture("okta_create_user.json") | {
        "name": {"givenName": "Dana", "familyName": "Park"},
        "displayName": "Dana Park",
    }
    renamed.pop("password")
    changed = await demo.client.put(
        f"/scim/v2/Users/{created.json()['id']}", json=renamed, headers=demo.okta
    )
    assert changed.status_code == 200, changed.text
    assert await demo.salesforce_last_name() == "Park"
    assert await demo.mautic_last_name() == "Park"
    await demo.client.patch(
        f"/scim/v2/Users/{created.json()['id']}",
        json=fixture("okta_deactivate_patch.json"),
        headers=demo.okta,
    )
    assert not await demo.salesforce_active()
    assert await demo.moodle_suspended()
    assert await demo.mautic_marks() == [("email", 3)]
    async with demo.hub.db.session() as session:
        pushes = (await session.scalars(select(ProvisioningPush))).all()
    recorded = {(p.connector, p.status, p.change) for p in pushes}
    for kind in (SalesforceConnector, MoodleConnector, MauticConnector):
        backend = demo.backend(kind)
        assert isinstance(backend, kind)
        assert (backend.config.name, "done", "deactivated") in recorded


async def test_one_backend_down_is_shown_first_then_retried_now(demo: Demo) -> None:
    created = await demo.client.post(
        "/scim/v2/Users", json=fixture("okta_create_user.json"), headers=demo.okta
    )
    demo.knobs["salesforce"].down = True
    await demo.client.patch(
        f"/scim/v2/Users/{created.json()['id']}",
        json=fixture("okta_deactivate_patch.json"),
        headers=demo.okta,
    )
    assert await demo.moodle_suspended()
    assert await demo.mautic_marks() == [("email", 3)]
    token = await demo_sign_in(demo.client, "admin@vendor.example")
    page = await demo.client.get("/admin/people")
    assert page.status_code == 200
    rows = page.text.split("data-person=")[1:]
    assert rows[0].startswith(f'"{DANA}"')  # the failing person comes first
    first = rows[0].split("</tr>")[0]
    salesforce = first.split('data-backend="salesforce"')[1].split("</td>")[0]
    assert "Failed once: deactivated did not arrive" in salesforce
    assert "HTTP 503" in salesforce
    moodle = first.split('data-backend="moodle"')[1].split("</td>")[0]
    assert "In step: deactivated" in moodle
    assert ">Salesforce<" in page.text
    assert ">Moodle<" in page.text
    assert ">Mautic<" in page.text
    person_id = first.split("/admin/people/")[1].split("/retry")[0]

    refused = await demo.client.post(f"/admin/people/{person_id}/retry")
    assert refused.status_code == 403  # no CSRF token
    demo.knobs["salesforce"].down = False
    assert await demo.salesforce_active()  # still active: the refused retry pushed nothing

    retried = await demo.client.post(f"/admin/people/{person_id}/retry", data={"csrf_token": token})
    assert retried.status_code == 303
    assert not await demo.salesforce_active()
    page = await demo.client.get(retried.headers["location"])
    first = page.text.split("data-person=")[1].split("</tr>")[0]
    assert "data-failing" not in first
    assert "Failed" not in first
    assert "Pushed again just now." in first

    await demo.client.post("/profile/language", data={"locale": "de", "csrf_token": token})
    german = await demo.client.get("/admin/people")
    assert "Erneut versuchen" in german.text
    assert "Im Gleichschritt: deaktiviert" in german.text


async def test_the_people_page_is_for_administrators_only(demo: Demo) -> None:
    signed_out = await demo.client.get("/admin/people", follow_redirects=False)
    assert signed_out.status_code in (302, 303, 401)
    token = await demo_sign_in(demo.client, "rep@acme.example")
    assert (await demo.client.get("/admin/people")).status_code == 403
    posted = await demo.client.post("/admin/people/1/retry", data={"csrf_token": token})
    assert posted.status_code == 403


async def test_retrying_someone_never_pushed_is_a_404(demo: Demo) -> None:
    token = await demo_sign_in(demo.client, "admin@vendor.example")
    page = await demo.client.get("/admin/people")
    assert "No change to a person" in page.text
    answer = await demo.client.post("/admin/people/999999/retry", data={"csrf_token": token})
    assert answer.status_code == 404
    assert csrf_from(page.text)
