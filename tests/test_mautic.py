"""The Mautic adapter over recorded REST answers, then against the Mautic sandbox over a socket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from hub.connectors.base import (
    BackendAuthError,
    BackendRateLimited,
    BackendUnavailable,
    ConnectorConfig,
    MalformedResponse,
    TCMAConnector,
)
from hub.connectors.mautic import MauticConnector
from hub.connectors.records import Kind, PartnerRef, PersonRef, Redistribution
from hub.connectors.sandboxes import mautic as sandbox
from hub.connectors.sandboxes.knobs import Knobs
from tests.live_server import serving

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures" / "mautic"
BASE = "https://mautic.vendor.example"
ACME = PartnerRef("acme", "Acme Corporation", "acme.example")
BASIC = {"username": "hub-api", "password": "pw"}
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=(FIXTURES / name).read_bytes())


def mautic(seen: list[httpx.Request] | None = None, **overrides: httpx.Response) -> Handler:
    """A fake Mautic answering from recorded bodies; campaigns come in two pages of two."""

    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        path, params = request.url.path, request.url.params
        name = path.rsplit("/", 1)[-1]
        if name in overrides:
            return overrides[name]
        if path == "/api/users/self":
            return recorded("users_self.json")
        if path == "/api/campaigns":
            assert params["search"] == "is:published"
            return recorded(
                "campaigns_page1.json" if params["start"] == "0" else "campaigns_page2.json"
            )
        if path == "/api/contacts":
            return recorded(
                "contacts.json" if params["search"] == "segment:acme" else "contacts_none.json"
            )
        if path == "/api/segments":
            return recorded("segments.json")
        assert path == "/api/emails"
        return recorded("emails.json")

    return answer


def connector(
    handler: Handler, secrets: dict[str, str] | None = None, **options: object
) -> MauticConnector:
    config = ConnectorConfig(
        name="mautic",
        kind=Kind.TCMA,
        adapter="mautic",
        base_url=BASE,
        secrets=BASIC if secrets is None else secrets,
        options={"lead_campaign_field": "partner_campaign", **options},
    )
    return MauticConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_it_is_a_tcma_connector_and_probes_the_api_user() -> None:
    seen: list[httpx.Request] = []
    adapter = connector(mautic(seen))
    assert isinstance(adapter, TCMAConnector)
    assert await adapter.probe() == "Mautic as hub-api"
    assert seen[0].headers["Authorization"].startswith("Basic ")


async def test_campaigns_page_through_start_and_limit() -> None:
    seen: list[httpx.Request] = []
    campaigns = await connector(mautic(seen), page_size=2).campaigns(ACME)
    assert [c.id for c in campaigns] == ["18", "15", "12"]
    assert [r.url.params["start"] for r in seen] == ["0", "2"]
    webinar = campaigns[2]
    assert webinar.category == "Partner Campaigns"
    assert webinar.published_at == datetime(2026, 9, 3, 9, tzinfo=UTC)
    assert webinar.url == f"{BASE}/s/campaigns/view/12"
    # An old Mautic prints dateAdded without an offset; it is UTC.
    assert campaigns[1].published_at == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert campaigns[0].is_published is False


async def test_leads_are_the_partner_segment_contacts_newest_first() -> None:
    leads = await connector(mautic()).leads(ACME)
    assert [(lead.id, lead.name, lead.stage, lead.points, lead.campaign_id) for lead in leads] == [
        ("104", "buyer@customer9.example", "", 0, None),
        ("101", "Hana Ito", "MQL", 35, "12"),
    ]
    assert leads[1].company == "Acme Corporation"


async def test_partner_matching_by_company_uses_the_name_quoted() -> None:
    seen: list[httpx.Request] = []
    await connector(mautic(seen), partner_match="company").leads(ACME)
    assert seen[0].url.params["search"] == 'company:"Acme Corporation"'
    external = PartnerRef("acme", "Acme Corporation", external_ids=(("mautic", "ACME-7"),))
    await connector(mautic(seen), partner_match="tag").leads(external)
    assert seen[-1].url.params["search"] == "tag:ACME-7"


async def test_an_empty_php_array_is_no_leads() -> None:
    assert await connector(mautic()).leads(PartnerRef("globex", "Globex")) == []


async def test_redistributions_are_sent_segment_emails_by_the_partner() -> None:
    shared = await connector(mautic()).redistributions(ACME)
    assert shared == [
        Redistribution(
            "email:22", "rep@acme.example", "email", datetime(2026, 11, 1, 8, tzinfo=UTC), 55
        ),
        Redistribution(
            "12", "owner@acme.example", "email", datetime(2026, 10, 11, 9, tzinfo=UTC), 410
        ),
    ]


async def test_vendor_emails_are_the_persons_email_stats_as_mautic_stores_them() -> None:
    seen: list[httpx.Request] = []
    stats = {
        "total": "3",
        "stats": [
            {"id": "41", "email_id": "7", "lead_id": "9001", "email_address": "Rep@Acme.example",
             "date_sent": "2026-11-02 09:00:00", "is_read": "1", "date_read": "2026-11-02 13:30:00"},
            {"id": "42", "email_id": "8", "lead_id": "9001", "email_address": "rep@acme.example",
             "date_sent": "2026-11-16 09:00:00", "is_read": "0", "date_read": None},
            {"id": "43", "email_id": "9", "lead_id": "9001", "email_address": "rep@acme.example",
             "date_sent": None, "is_read": "0", "date_read": None},
        ],
    }  # fmt: skip
    body = httpx.Response(200, json=stats)
    found = await connector(mautic(seen, email_stats=body)).vendor_emails(
        PersonRef("rep@acme.example")
    )
    assert [(e.id, e.email_id, e.email, e.read_at) for e in found] == [
        ("42", "8", "rep@acme.example", None),
        ("41", "7", "rep@acme.example", datetime(2026, 11, 2, 13, 30, tzinfo=UTC)),
    ]  # newest first; the queued send (no date) is not a send yet
    params = seen[0].url.params
    assert seen[0].url.path == "/api/stats/email_stats"
    assert (params["where[0][col]"], params["where[0][expr]"], params["where[0][val]"]) == (
        "email_address",
        "eq",
        "rep@acme.example",
    )
    assert (params["where[1][col]"], params["where[1][expr]"]) == ("date_sent", "gte")
    assert "search" not in params


async def test_oauth_client_credentials_and_one_refresh_after_401() -> None:
    tokens = iter(["first-token", "second-token"])
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/v2/token":
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["client_credentials"]
            assert form["client_secret"] == ["s3cret"]
            return httpx.Response(
                200, json={"access_token": next(tokens), "expires_in": 3600, "token_type": "bearer"}
            )
        if request.headers["Authorization"] == "Bearer first-token":
            return recorded("error_401.json", 401)
        assert request.headers["Authorization"] == "Bearer second-token"
        return recorded("users_self.json")

    adapter = connector(answer, {"client_id": "1_abc", "client_secret": "s3cret"})
    assert await adapter.probe() == "Mautic as hub-api"
    assert [r.url.path for r in seen] == [
        "/oauth/v2/token",
        "/api/users/self",
        "/oauth/v2/token",
        "/api/users/self",
    ]


async def test_a_refused_client_is_an_auth_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "error": "invalid_client",
                "error_description": "The client credentials are invalid",
            },
        )

    with pytest.raises(BackendAuthError) as raised:
        await connector(answer, {"client_id": "1_abc", "client_secret": "s3cret"}).probe()
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (recorded("error_401.json", 401), BackendAuthError),
        (recorded("error_401.json", 200), BackendAuthError),  # errors in a 200 body
        (recorded("error_429.json", 429), BackendRateLimited),
        (httpx.Response(500, text="<html>Whoops</html>"), BackendUnavailable),
    ],
)
async def test_mautic_error_shapes(response: httpx.Response, error: type[Exception]) -> None:
    with pytest.raises(error):
        await connector(mautic(contacts=response)).leads(ACME)


@pytest.mark.parametrize(
    "body",
    [
        b'{"total": 2, "contacts": {"101": {"id": 101, "fields": {"all": {',
        b'{"contacts": {}}',
        b'{"total": 1, "contacts": "none"}',
        b'{"total": 1, "contacts": {"1": {"id": 1, "dateAdded": "2026-01-01T00:00:00+00:00"}}}',
        b'{"total": 1, "contacts": {"1": {"id": 1, "fields": {"all": []}, "dateAdded": "2026-01-01"}}}',
        b'{"total": 1, "contacts": {"1": {"id": 1, "fields": {"all": {}}, "dateAdded": "last week"}}}',
        b'{"total": 1, "contacts": {"1": {"id": 1, "fields": {"all": {"company": 7}}, "dateAdded": "2026-01-01T00:00:00Z"}}}',
        b'{"total": "many", "contacts": []}',
    ],
)
async def test_wrong_shapes_are_malformed_responses(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        await connector(mautic(contacts=httpx.Response(200, content=body))).leads(ACME)


async def test_a_total_that_never_ends_stops_at_max_pages() -> None:
    body = {
        "total": 10_000,
        "campaigns": {
            "1": {"id": 1, "name": "x", "isPublished": True, "dateAdded": "2026-01-01T00:00:00Z"}
        },
    }
    with pytest.raises(MalformedResponse, match="more than 3 pages"):
        await connector(mautic(campaigns=httpx.Response(200, json=body)), max_pages=3).campaigns(
            ACME
        )


# --- against the sandbox, over a real socket ----------------------------------


async def test_the_adapter_reads_the_sandbox_over_a_socket() -> None:
    knobs = Knobs()
    async with (
        serving(sandbox.create_app(knobs, page_cap=10)) as base_url,
        httpx.AsyncClient() as http,
    ):

        def config(secrets: dict[str, str]) -> ConnectorConfig:
            return ConnectorConfig(
                name="mautic",
                kind=Kind.TCMA,
                adapter="mautic",
                base_url=base_url,
                secrets=secrets,
                options={
                    "campaign_category": "partner-campaigns",
                    "lead_campaign_field": "partner_campaign",
                    "page_size": 10,
                    "max_pages": 400,  # the demo instance holds some 1,600 emails
                },
            )

        basic = MauticConnector(
            config({"username": sandbox.DEMO_USERNAME, "password": sandbox.DEMO_PASSWORD}), http
        )
        oauth = MauticConnector(
            config(
                {"client_id": sandbox.DEMO_CLIENT_ID, "client_secret": sandbox.DEMO_CLIENT_SECRET}
            ),
            http,
        )
        assert await basic.probe() == await oauth.probe()

        campaigns = await oauth.campaigns(ACME)
        assert len(campaigns) > 10  # more than one page
        assert all(c.is_published and c.category == "Partner Campaigns" for c in campaigns)
        leads = await basic.leads(ACME)
        assert len(leads) == 46
        assert len({lead.id for lead in leads}) == 46
        campaign_ids = {c.id for c in await basic.campaigns(ACME)} | {str(n) for n in range(1, 37)}
        assert all(lead.campaign_id in campaign_ids for lead in leads)
        globex = await basic.redistributions(PartnerRef("globex", "Globex", "globex.example"))
        assert {r.email for r in globex} == {
            "owner@globex.example",
            "marketer@globex.example",
            "rep@globex.example",
        }
        assert all(r.reach > 0 for r in globex)

        # The vendor's newsletter reaches Acme's people and is read; Initech's stopped reading.
        sent = await basic.vendor_emails(PersonRef("owner@acme.example"))
        assert len(sent) >= 8
        assert any(e.read_at for e in sent)
        assert not any(
            e.read_at for e in await basic.vendor_emails(PersonRef("owner@initech.example"))
        )

        initech = await basic.leads(PartnerRef("initech", "Initech", "initech.example"))
        assert initech
        assert all(datetime.now(UTC) - lead.created_at > timedelta(days=120) for lead in initech)

        with pytest.raises(BackendAuthError):
            await MauticConnector(config({"username": "x", "password": "y"}), http).probe()
        with pytest.raises(BackendAuthError):
            await MauticConnector(config({"client_id": "x", "client_secret": "y"}), http).probe()
        knobs.update({"malformed": True})
        with pytest.raises(MalformedResponse):
            await basic.leads(ACME)
        knobs.update({"malformed": False, "error_rate": 1.0})
        with pytest.raises(BackendUnavailable):
            await basic.leads(ACME)
