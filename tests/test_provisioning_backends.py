"""Salesforce partner users and Mautic contacts kept in step: recorded replies, then sandboxes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.connectors.base import BackendError, ConnectorConfig
from hub.connectors.mautic import MauticConnector
from hub.connectors.records import Kind, PartnerRef, PersonRef
from hub.connectors.salesforce import SalesforceConnector
from hub.connectors.sandboxes import mautic as mautic_sandbox
from hub.connectors.sandboxes.salesforce import CLIENT_ID, CLIENT_SECRET, SalesforceSandbox
from hub.connectors.sandboxes.salesforce_users import PARTNER_PROFILE_ID
from hub.connectors.writes import BackendRefused, PersonAccount, PersonProvisioner

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
LOGIN = "https://partnerhub-dev-ed.my.salesforce.com"
ACME = PartnerRef("acme", "Acme Corporation", "acme.example")
REP = PersonRef("rep@acme.example", ACME)
DANA = PersonRef("dana.lee@acme.example", ACME)
Handler = Callable[[httpx.Request], httpx.Response]


def reply(backend: str, name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=(FIXTURES / backend / f"{name}.json").read_bytes())


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def salesforce(handler: Handler, base_url: str = LOGIN, **options: object) -> SalesforceConnector:
    config = ConnectorConfig(
        name="salesforce",
        kind=Kind.PRM,
        adapter="salesforce",
        base_url=base_url,
        auth={"method": "client_credentials", "client_id": CLIENT_ID},
        secrets={"client_secret": CLIENT_SECRET},
        options=options,
    )
    return SalesforceConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


def recorded_org(seen: list[httpx.Request], answers: dict[str, httpx.Response]) -> Handler:
    """A Salesforce org from the fixtures: a query by its object, a write by method and path."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/services/oauth2/token":
            return reply("salesforce", "token")
        if request.url.path.endswith("/query"):
            soql = request.url.params["q"]
            return answers[soql.split(" FROM ")[1].split(" ")[0]]
        return answers[f"{request.method} {request.url.path}"]

    return answer


async def test_salesforce_deactivates_the_user_with_the_persons_federation_id() -> None:
    seen: list[httpx.Request] = []
    patch = "PATCH /services/data/v62.0/sobjects/User/0055g00000PartnrAAA"
    org = recorded_org(
        seen,
        {"User": reply("salesforce", "user_by_federation_id"), patch: httpx.Response(204)},
    )
    connector = salesforce(org)
    assert isinstance(connector, PersonProvisioner)
    account = PersonAccount("Rep@acme.example", "Raj", "Patel", active=False)
    assert await connector.provision_person(REP, account) == "0055g00000PartnrAAA"
    query, write = seen[1], seen[2]
    assert query.url.params["q"] == (
        "SELECT Id, IsActive FROM User WHERE FederationIdentifier = 'rep@acme.example' LIMIT 1"
    )
    assert (write.method, write.url.path) == tuple(patch.split(" "))
    assert body(write) == {
        "IsActive": False, "Email": "Rep@acme.example", "FirstName": "Raj", "LastName": "Patel",
    }  # fmt: skip
    assert len(seen) == 3  # no Account lookup, no create: the user was there


async def test_salesforce_makes_a_partner_user_on_a_contact_of_the_partner_account() -> None:
    seen: list[httpx.Request] = []
    org = recorded_org(
        seen,
        {
            "User": reply("salesforce", "query_empty"),
            "Account": reply("salesforce", "account_lookup"),
            "Contact": reply("salesforce", "query_empty"),
            "POST /services/data/v62.0/sobjects/Contact/": reply(
                "salesforce", "contact_created", 201
            ),
            "POST /services/data/v62.0/sobjects/User/": reply("salesforce", "user_created", 201),
        },
    )
    connector = salesforce(org, partner_profile_id="00e5g000001PartAAA")
    account = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=True)
    assert await connector.provision_person(DANA, account) == "0055g00000NewUsrAAA"
    contact, user = (body(r) for r in seen if r.method == "POST" and "/sobjects/" in r.url.path)
    assert contact == {
        "AccountId": "0015g00000XyZ01AAA", "Email": "dana.lee@acme.example",
        "FirstName": "Dana", "LastName": "Lee",
    }  # fmt: skip
    assert user["ContactId"] == "0035g00000NewCntAAA"
    assert user["ProfileId"] == "00e5g000001PartAAA"
    assert (user["Username"], user["FederationIdentifier"]) == ("dana.lee@acme.example",) * 2
    assert user["IsActive"] is True
    assert len(user["Alias"]) <= 8
    for required in ("TimeZoneSidKey", "LocaleSidKey", "LanguageLocaleKey", "EmailEncodingKey"):
        assert user[required]


async def test_salesforce_refusals_are_recorded_not_swallowed() -> None:
    seen: list[httpx.Request] = []
    empty = {
        "User": reply("salesforce", "query_empty"),
        "Account": reply("salesforce", "account_lookup"),
        "Contact": reply("salesforce", "query_empty"),
        "POST /services/data/v62.0/sobjects/Contact/": reply("salesforce", "contact_created", 201),
        "POST /services/data/v62.0/sobjects/User/": reply(
            "salesforce", "error_duplicate_username", 400
        ),
    }
    new = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=True)
    with pytest.raises(BackendRefused, match="partner_profile_id"):
        await salesforce(recorded_org(seen, empty)).provision_person(DANA, new)
    with pytest.raises(BackendError, match="DUPLICATE_USERNAME"):
        await salesforce(recorded_org(seen, empty), partner_profile_id="00e1").provision_person(
            DANA, new
        )
    gone = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=False)
    seen.clear()
    assert await salesforce(recorded_org(seen, empty)).provision_person(DANA, gone) == ""
    assert [r.method for r in seen if "/sobjects/" in r.url.path] == []


def _sandbox_salesforce(sandbox: SalesforceSandbox, **options: object) -> SalesforceConnector:
    config = ConnectorConfig(
        name="salesforce",
        kind=Kind.PRM,
        adapter="salesforce",
        base_url="http://salesforce.sandbox",
        auth={"method": "client_credentials", "client_id": CLIENT_ID},
        secrets={"client_secret": CLIENT_SECRET},
        options=options,
    )
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app))
    return SalesforceConnector(config, http)


def _user(sandbox: SalesforceSandbox, email: str) -> dict[str, Any]:
    return next(u for u in sandbox.objects["User"] if u["FederationIdentifier"] == email)


async def test_salesforce_sandbox_deactivates_reactivates_and_creates_partner_users() -> None:
    sandbox = SalesforceSandbox(today=date(2026, 11, 22))
    connector = _sandbox_salesforce(sandbox, partner_profile_id=PARTNER_PROFILE_ID)
    assert _user(sandbox, "rep@acme.example")["IsActive"] is True
    off = PersonAccount("rep@acme.example", "Raj", "Patel", active=False)
    user_id = await connector.provision_person(REP, off)
    assert _user(sandbox, "rep@acme.example") | {"Id": user_id, "IsActive": False} == _user(
        sandbox, "rep@acme.example"
    )
    await connector.provision_person(REP, PersonAccount("rep@acme.example", "Raj", "P.", True))
    assert _user(sandbox, "rep@acme.example")["LastName"] == "P."
    assert _user(sandbox, "rep@acme.example")["IsActive"] is True
    new = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=True)
    created = await connector.provision_person(DANA, new)
    dana = _user(sandbox, "dana.lee@acme.example")
    acme = next(a for a in sandbox.objects["Account"] if a["Partner_Key__c"] == "acme")
    assert (dana["Id"], dana["AccountId"], dana["UserType"]) == (
        created,
        acme["Id"],
        "PowerPartner",
    )
    contact = next(c for c in sandbox.objects["Contact"] if c["Id"] == dana["ContactId"])
    assert contact["Email"] == "dana.lee@acme.example"
    # Sent again, the same user is found and updated: no second user, no second contact.
    assert await connector.provision_person(DANA, new) == created
    assert sum(u["Username"] == "dana.lee@acme.example" for u in sandbox.objects["User"]) == 1


async def test_salesforce_sandbox_refuses_users_as_salesforce_does() -> None:
    sandbox = SalesforceSandbox(today=date(2026, 11, 22))
    unknown_profile = _sandbox_salesforce(sandbox, partner_profile_id="00e000000000099AAA")
    new = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=True)
    with pytest.raises(BackendError, match="INVALID_CROSS_REFERENCE_KEY"):
        await unknown_profile.provision_person(DANA, new)
    taken = PersonAccount("Owner@Acme.example", "A", "B", active=True)
    sandbox.objects["User"][0]["FederationIdentifier"] = "someone-else"
    connector = _sandbox_salesforce(sandbox, partner_profile_id=PARTNER_PROFILE_ID)
    with pytest.raises(BackendError, match="PORTAL_USER_ALREADY_EXISTS_FOR_CONTACT"):
        await connector.provision_person(PersonRef("owner@acme.example", ACME), taken)


# --- Mautic -------------------------------------------------------------------------------


def mautic(handler: Handler, base_url: str = "https://mautic.vendor.example") -> MauticConnector:
    config = ConnectorConfig(
        name="mautic",
        kind=Kind.TCMA,
        adapter="mautic",
        base_url=base_url,
        secrets={
            "username": mautic_sandbox.DEMO_USERNAME,
            "password": mautic_sandbox.DEMO_PASSWORD,
        },
    )
    return MauticConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


def recorded_mautic(seen: list[httpx.Request], search_reply: str) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/api/contacts":
            assert request.url.params["search"].startswith("email:")
            return reply("mautic", search_reply)
        if path == "/api/contacts/new":
            return reply("mautic", "contact_created", 201)
        if path.endswith("/edit"):
            return reply("mautic", "contact_edited")
        if path.endswith("/dnc/email/add"):
            return reply("mautic", "contact_dnc_added")
        assert path.endswith("/dnc/email/remove")
        return reply("mautic", "contact_edited")

    return answer


def _writes(seen: list[httpx.Request]) -> list[tuple[str, str, Any]]:
    return [(r.method, r.url.path, body(r)) for r in seen if r.method != "GET"]


async def test_mautic_marks_a_deactivated_person_do_not_contact_manually() -> None:
    seen: list[httpx.Request] = []
    connector = mautic(recorded_mautic(seen, "contacts_partner_person"))
    assert isinstance(connector, PersonProvisioner)
    off = PersonAccount("rep@acme.example", "Raj", "Patel", active=False)
    assert await connector.provision_person(REP, off) == "90001"
    assert _writes(seen) == [
        ("PATCH", "/api/contacts/90001/edit",
         {"email": "rep@acme.example", "firstname": "Raj", "lastname": "Patel"}),
        ("POST", "/api/contacts/90001/dnc/email/add",
         {"reason": 3, "comments": "Deactivated in the partner hub"}),
    ]  # fmt: skip


async def test_mautic_lifts_only_its_own_mark_and_creates_new_people() -> None:
    seen: list[httpx.Request] = []
    on = PersonAccount("rep@acme.example", "Raj", "Patel", active=True)
    await mautic(recorded_mautic(seen, "contacts_partner_person_dnc")).provision_person(REP, on)
    assert [w[1] for w in _writes(seen)][-1] == "/api/contacts/90001/dnc/email/remove"
    seen.clear()
    await mautic(recorded_mautic(seen, "contacts_partner_person_unsubscribed")).provision_person(
        REP, on
    )
    assert [w[1] for w in _writes(seen)] == ["/api/contacts/90001/edit"]  # their unsubscribe stays
    seen.clear()
    new = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=True)
    assert await mautic(recorded_mautic(seen, "contacts_none")).provision_person(DANA, new) == (
        "91234"
    )
    assert _writes(seen) == [
        ("POST", "/api/contacts/new",
         {"email": "dana.lee@acme.example", "firstname": "Dana", "lastname": "Lee",
          "company": "Acme Corporation"}),
    ]  # fmt: skip


async def test_mautic_refusals_are_backend_refused() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/contacts":
            return reply("mautic", "contacts_none")
        return reply("mautic", "error_validation", 400)

    new = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=True)
    with pytest.raises(BackendRefused, match="HTTP 400"):
        await mautic(refuse).provision_person(DANA, new)


def _sandbox_mautic() -> MauticConnector:
    app = mautic_sandbox.create_app(today=date(2026, 11, 22))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    config = ConnectorConfig(
        name="mautic",
        kind=Kind.TCMA,
        adapter="mautic",
        base_url="http://mautic.sandbox",
        secrets={
            "username": mautic_sandbox.DEMO_USERNAME,
            "password": mautic_sandbox.DEMO_PASSWORD,
        },
    )
    return MauticConnector(config, http)


async def _marks(connector: MauticConnector, email: str) -> list[Any]:
    contact = await connector._contact_by_email(email)
    assert contact is not None
    return list(contact["doNotContact"])


async def test_mautic_sandbox_marks_unmarks_and_creates_contacts() -> None:
    connector = _sandbox_mautic()
    assert await _marks(connector, "rep@acme.example") == []
    off = PersonAccount("rep@acme.example", "Raj", "Patel", active=False)
    contact_id = await connector.provision_person(REP, off)
    marks = await _marks(connector, "rep@acme.example")
    assert [(m["channel"], m["reason"]) for m in marks] == [("email", 3)]
    # Sent twice (a retry), still one mark.
    assert await connector.provision_person(REP, off) == contact_id
    assert len(await _marks(connector, "rep@acme.example")) == 1
    await connector.provision_person(REP, PersonAccount("rep@acme.example", "Raj", "P.", True))
    assert await _marks(connector, "rep@acme.example") == []
    renamed = await connector._contact_by_email("rep@acme.example")
    assert renamed is not None
    assert renamed["fields"]["all"]["lastname"] == "P."
    new = PersonAccount("dana.lee@acme.example", "Dana", "Lee", active=True)
    created = await connector.provision_person(DANA, new)
    found = await connector._contact_by_email("dana.lee@acme.example")
    assert found is not None
    assert str(found["id"]) == created
    assert found["fields"]["all"]["company"] == "Acme Corporation"
