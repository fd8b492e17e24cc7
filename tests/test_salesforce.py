"""The Salesforce adapter over recorded, vendor-shaped JSON served through httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from hub.connectors.base import (
    BackendAuthError,
    BackendError,
    BackendRateLimited,
    BackendUnavailable,
    ConnectorConfig,
    MalformedResponse,
    NotConfigured,
)
from hub.connectors.records import DealRegistration, FundType, Kind, Money, PartnerRef, PersonRef
from hub.connectors.salesforce import SalesforceConnector
from hub.connectors.sandboxes.soql_subset import parse
from hub.connectors.soql import like_ending, quote

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
LOGIN = "https://partnerhub-dev-ed.my.salesforce.com"
ACME = PartnerRef("acme", "Acme Corporation", "acme.example")
ACME_KNOWN = PartnerRef("acme", external_ids=(("salesforce", "0015g00000XyZ01AAA"),))


def fixture(name: str) -> object:
    loaded: object = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


class RecordedOrg:
    """Answers like a Salesforce org from the fixtures; ``answer`` maps a SOQL query to a reply."""

    def __init__(self, answer: Callable[[str], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.tokens_issued = 0
        self.token_reply: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/services/oauth2/token":
            if self.token_reply is not None:
                return self.token_reply
            self.tokens_issued += 1
            token = dict(fixture("token"))  # type: ignore[call-overload]
            token["access_token"] = f"token-{self.tokens_issued}"
            return httpx.Response(200, json=token)
        if request.url.path.startswith("/services/data/v62.0/query/"):
            return httpx.Response(200, json=fixture("opportunities_page2"))
        if request.url.path == "/services/data/v62.0/query":
            return self.answer(request.url.params["q"])
        return self.answer(f"{request.method} {request.url.path} {request.content.decode()}")

    def soql(self) -> list[str]:
        return [r.url.params["q"] for r in self.requests if r.url.path.endswith("/query")]

    def bearer_tokens(self) -> list[str]:
        return [
            r.headers["authorization"] for r in self.requests if "/services/data/" in r.url.path
        ]


def reply(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=fixture(name))


def connector(
    org: RecordedOrg,
    auth: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    **options: object,
) -> SalesforceConnector:
    config = ConnectorConfig(
        name="salesforce",
        kind=Kind.PRM,
        adapter="salesforce",
        base_url=LOGIN,
        auth=auth or {"method": "client_credentials", "client_id": "3MVG9-key"},
        secrets=secrets if secrets is not None else {"client_secret": "top-secret"},
        options=options,
    )
    return SalesforceConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(org)))


async def test_client_credentials_then_a_query_against_the_instance() -> None:
    org = RecordedOrg(
        lambda soql: reply("account_lookup" if "Partner_Key__c" in soql else "account")
    )
    account = await connector(org).partner_account(ACME)
    assert account is not None
    assert (account.id, account.name, account.tier, account.status) == (
        "0015g00000XyZ01AAA", "Acme Corporation", "Gold", "active",
    )  # fmt: skip
    assert (account.region, account.partner_type, account.agreement_status) == (
        "North America", "Reseller", "Active",
    )  # fmt: skip
    assert account.agreement_end == date(2027, 3, 31)
    token_request = org.requests[0]
    assert str(token_request.url) == f"{LOGIN}/services/oauth2/token"
    form = parse_qs(token_request.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["3MVG9-key"],
        "client_secret": ["top-secret"],
    }
    assert org.soql()[0] == "SELECT Id FROM Account WHERE Partner_Key__c = 'acme' LIMIT 2"
    assert org.requests[1].url.host == "partnerhub-dev-ed.my.salesforce.com"
    assert org.bearer_tokens() == ["Bearer token-1", "Bearer token-1"]


async def test_configured_field_names_are_used() -> None:
    org = RecordedOrg(lambda soql: reply("account"))
    await connector(org, tier_field="Tier__c", lookup="website").partner_account(ACME)
    assert "Website LIKE '%acme.example'" in org.soql()[0]
    assert "Tier__c" in org.soql()[1]


async def test_deals_follow_next_records_url_to_the_last_page() -> None:
    org = RecordedOrg(lambda soql: reply("opportunities_page1"))
    deals = await connector(org).deals(ACME_KNOWN)
    assert [deal.id[-6:] for deal in deals] == ["Cd1AAA", "Cd2AAA", "Cd3AAA"]
    assert org.requests[-1].url.path == "/services/data/v62.0/query/01gD0000002HU6KIAW-2000"
    won, open_deal, lost = deals
    assert won.amount == Money(Decimal("48250.0"), "USD")
    assert won.customer == "Umbrella Health"
    assert won.is_won
    assert won.closed_at is not None
    assert won.closed_at.date() == date(2026, 10, 30)
    assert won.registered_at.utcoffset() is not None
    assert won.owner_email == "rep@acme.example"
    assert open_deal.amount.amount == 0
    assert open_deal.closed_at is None
    assert open_deal.customer == ""
    assert lost.amount.amount == Decimal("12000.5")
    assert "PartnerAccountId = '0015g00000XyZ01AAA'" in org.soql()[0]  # no lookup: id known


async def test_an_expired_session_gets_one_token_refresh() -> None:
    replies = iter([reply("error_invalid_session", 401), reply("fund_claims")])
    org = RecordedOrg(lambda soql: next(replies))
    claims = await connector(org).fund_claims(ACME_KNOWN)
    assert len(claims) == 2
    assert org.tokens_issued == 2
    assert org.bearer_tokens() == ["Bearer token-1", "Bearer token-2"]


async def test_a_session_refused_twice_is_an_auth_error() -> None:
    org = RecordedOrg(lambda soql: reply("error_invalid_session", 401))
    with pytest.raises(BackendAuthError, match="INVALID_SESSION_ID"):
        await connector(org).fund_claims(ACME_KNOWN)
    assert org.tokens_issued == 2


@pytest.mark.parametrize(
    ("name", "status", "error", "retryable"),
    [
        ("error_request_limit", 403, BackendRateLimited, True),
        ("error_malformed_query", 400, BackendError, False),
        ("error_invalid_field", 400, BackendError, False),
    ],
)
async def test_salesforce_error_arrays_become_backend_errors(
    name: str, status: int, error: type[BackendError], retryable: bool
) -> None:
    org = RecordedOrg(lambda soql: reply(name, status))
    with pytest.raises(error) as caught:
        await connector(org).deals(ACME_KNOWN)
    assert type(caught.value) is error
    assert caught.value.retryable is retryable
    code = fixture(name)[0]["errorCode"]  # type: ignore[index]
    assert code in str(caught.value)


async def test_a_server_error_is_unavailable() -> None:
    org = RecordedOrg(lambda soql: httpx.Response(503, text="<html>Maintenance</html>"))
    with pytest.raises(BackendUnavailable):
        await connector(org).rebates(ACME_KNOWN)


async def test_a_refused_token_request_names_the_oauth_error_not_the_secret() -> None:
    org = RecordedOrg(lambda soql: reply("account"))
    org.token_reply = reply("oauth_invalid_grant", 400)
    with pytest.raises(BackendAuthError) as caught:
        await connector(org).deals(ACME_KNOWN)
    assert "invalid_grant" in str(caught.value)
    assert "top-secret" not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"totalSize": 1, "done": true, "records": [{"Id": "1"',
        b'{"totalSize": 1, "done": true, "records": {"Id": "1"}}',
        b'{"totalSize": 1, "done": false, "records": [], "nextRecordsUrl": "https://evil.example/x"}',
        b'{"totalSize": 1, "done": true, "records": [{"Id": "1", "Title": "t", "Amount": "lots"}]}',
    ],
)
async def test_malformed_answers_are_refused(body: bytes) -> None:
    org = RecordedOrg(lambda soql: httpx.Response(200, content=body))
    with pytest.raises(MalformedResponse):
        await connector(org).fund_claims(ACME_KNOWN)


async def test_quotes_in_a_slug_cannot_change_the_query() -> None:
    nothing = {"totalSize": 0, "done": True, "records": []}
    org = RecordedOrg(lambda soql: httpx.Response(200, json=nothing))
    hostile = PartnerRef("acme' OR Name != '")
    with pytest.raises(NotConfigured):
        await connector(org).deals(hostile)
    sent = org.soql()[0]
    assert sent == r"SELECT Id FROM Account WHERE Partner_Key__c = 'acme\' OR Name != \'' LIMIT 2"
    query = parse(sent)
    assert len(query.conditions) == 1
    assert query.conditions[0].value == "acme' OR Name != '"


def test_soql_quote_escapes_backslashes_and_quotes() -> None:
    assert quote("O'Brien") == r"'O\'Brien'"
    assert quote("back\\slash'") == r"'back\\slash\''"
    assert quote("line\nbreak") == r"'line\nbreak'"
    assert like_ending("a_b%.example'") == r"'%a\_b\%.example\''"


def test_a_field_option_that_is_not_a_field_name_is_refused() -> None:
    org = RecordedOrg(lambda soql: reply("account"))
    with pytest.raises(ValueError, match="not a Salesforce field name"):
        connector(org, tier_field="Tier__c FROM User --")


async def test_fund_claims_read_their_type_from_the_budget() -> None:
    org = RecordedOrg(lambda soql: reply("fund_claims"))
    coop, draft = await connector(org).fund_claims(ACME_KNOWN)
    assert coop.fund_type is FundType.COOP
    assert coop.status == "approved"
    assert coop.amount.amount == Decimal("7447.13")
    assert coop.submitted_at is not None
    assert draft.fund_type is FundType.MDF
    assert draft.submitted_at is None
    assert "FROM PartnerFundClaim WHERE ChannelPartnerId = '0015g00000XyZ01AAA'" in org.soql()[0]
    assert coop.claim_deadline is None  # no deadline field unless configured


async def test_a_configured_claim_deadline_field_is_read() -> None:
    org = RecordedOrg(lambda soql: reply("fund_claims"))
    claims = await connector(org, claim_deadline_field="Claim_Deadline__c").fund_claims(ACME_KNOWN)
    assert [claim.claim_deadline for claim in claims] == [date(2026, 12, 31), None]
    assert "Budget.Type, Claim_Deadline__c FROM PartnerFundClaim" in org.soql()[0]


async def test_register_deal_creates_an_opportunity() -> None:
    org = RecordedOrg(lambda request: reply("create_success", 201))
    registration = DealRegistration(
        name="Initrode - Platform",
        customer="Initrode",
        amount=Money(Decimal("25000.00"), "USD"),
        expected_close=date(2027, 2, 28),
        contact_email="buyer@initrode.example",
    )
    deal = await connector(org).register_deal(
        ACME_KNOWN, PersonRef("rep@acme.example", ACME_KNOWN), registration
    )
    assert deal.id == "0065g00000NewDealAAA"
    create = org.requests[-1]
    assert (create.method, create.url.path) == (
        "POST",
        "/services/data/v62.0/sobjects/Opportunity/",
    )
    sent = json.loads(create.content)
    assert sent["Name"] == "Initrode - Platform"
    assert sent["StageName"] == "Prospecting"
    assert sent["CloseDate"] == "2027-02-28"
    assert sent["Amount"] == "25000.00"
    assert sent["PartnerAccountId"] == "0015g00000XyZ01AAA"
    assert "buyer@initrode.example" in sent["Description"]


async def test_a_refused_create_is_a_backend_error() -> None:
    org = RecordedOrg(lambda request: reply("error_required_field", 400))
    registration = DealRegistration(
        "x", "y", Money(Decimal(1), "USD"), date(2027, 1, 1), "a@b.example"
    )
    with pytest.raises(BackendError, match="REQUIRED_FIELD_MISSING"):
        await connector(org).register_deal(ACME_KNOWN, PersonRef("rep@acme.example"), registration)


async def test_jwt_bearer_signs_an_rs256_assertion() -> None:
    key = RSAKey.generate_key(2048)
    org = RecordedOrg(lambda soql: reply("account"))
    auth = {
        "method": "jwt_bearer",
        "client_id": "3MVG9-key",
        "username": "integration@acme.example",
    }
    pem = key.as_pem(private=True).decode()
    await connector(org, auth=auth, secrets={"private_key": pem}).partner_account(ACME_KNOWN)
    form = parse_qs(org.requests[0].content.decode())
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    public = RSAKey.import_key(key.as_pem(private=False))
    token = jwt.decode(form["assertion"][0], public, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    assert token.claims["iss"] == "3MVG9-key"
    assert token.claims["sub"] == "integration@acme.example"
    assert token.claims["aud"] == "https://login.salesforce.com"
    assert "client_secret" not in form


def test_missing_credentials_are_refused_at_construction() -> None:
    org = RecordedOrg(lambda soql: reply("account"))
    with pytest.raises(ValueError, match="client_secret_env"):
        connector(org, secrets={})
    with pytest.raises(ValueError, match="PEM RSA private key"):
        connector(
            org,
            auth={"method": "jwt_bearer", "client_id": "k", "username": "u@x.example"},
            secrets={"private_key": "not a key"},
        )


async def test_register_deal_can_create_a_lead_instead() -> None:
    org = RecordedOrg(lambda request: reply("create_success", 201))
    registration = DealRegistration(
        "Initrode - Pilot", "Initrode", Money(Decimal("100"), "USD"), date(2027, 2, 1),
        "buyer@initrode.example",
    )  # fmt: skip
    salesforce = connector(org, deal_registration_object="Lead")
    await salesforce.register_deal(ACME_KNOWN, PersonRef("rep@acme.example"), registration)
    create = org.requests[-1]
    assert create.url.path == "/services/data/v62.0/sobjects/Lead/"
    sent = json.loads(create.content)
    assert (sent["Company"], sent["Email"]) == ("Initrode", "buyer@initrode.example")
    assert sent["PartnerAccountId"] == "0015g00000XyZ01AAA"


async def test_a_token_endpoint_that_is_down_is_unavailable_not_a_refusal() -> None:
    org = RecordedOrg(lambda soql: reply("account"))
    org.token_reply = httpx.Response(503, text="Service Unavailable")
    with pytest.raises(BackendUnavailable):
        await connector(org).deals(ACME_KNOWN)
