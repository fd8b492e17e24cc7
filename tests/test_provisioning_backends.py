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
from hub.connectors.records import Kind, PartnerRef, PersonRef
from hub.connectors.salesforce import SalesforceConnector
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
