"""The Salesforce adapter against its sandbox over a real socket, and the sandbox's own behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from joserfc.jwk import RSAKey

from hub.connectors.backends import Backends
from hub.connectors.base import (
    BackendRateLimited,
    BackendUnavailable,
    ConnectorConfig,
    MalformedResponse,
)
from hub.connectors.records import DealRegistration, Kind, Money, PartnerRef, PersonRef
from hub.connectors.resilience import Resilience
from hub.connectors.salesforce import SalesforceConnector
from hub.connectors.sandboxes.knobs import CONTROL_PATH, Knobs
from hub.connectors.sandboxes.salesforce import CLIENT_ID, CLIENT_SECRET, SalesforceSandbox
from hub.demo.cast import USERS
from hub.store import MemoryStore
from tests.live_server import serving

pytestmark = pytest.mark.anyio

TODAY = date(2026, 11, 22)


@dataclass
class Live:
    sandbox: SalesforceSandbox
    url: str
    http: httpx.AsyncClient
    private_key_pem: str

    def connector(
        self, options: dict[str, object] | None = None, **auth: str
    ) -> SalesforceConnector:
        config = ConnectorConfig(
            name="salesforce",
            kind=Kind.PRM,
            adapter="salesforce",
            base_url=self.url,
            auth=auth or {"client_id": CLIENT_ID},
            secrets={"client_secret": CLIENT_SECRET},
            options=options or {},
            timeout=2.0,
            retries=1,
        )
        return SalesforceConnector(config, self.http)


@pytest.fixture(scope="module")
def connected_app_key() -> RSAKey:
    return RSAKey.generate_key(2048)


@pytest.fixture
async def live(connected_app_key: RSAKey) -> AsyncIterator[Live]:
    public = RSAKey.import_key(connected_app_key.as_pem(private=False))
    sandbox = SalesforceSandbox(Knobs(), today=TODAY, jwt_public_key=public)
    pem = connected_app_key.as_pem(private=True).decode()
    async with serving(sandbox.app) as url, httpx.AsyncClient() as http:
        yield Live(sandbox, url, http, pem)


async def test_the_adapter_reads_every_prm_figure_over_a_socket(live: Live) -> None:
    salesforce = live.connector()
    acme = PartnerRef("acme")
    assert "authenticated" in await salesforce.probe()
    account = await salesforce.partner_account(acme)
    assert account is not None
    assert (account.name, account.tier, account.region) == (
        "Acme Corporation",
        "Gold",
        "North America",
    )
    deals = await salesforce.deals(acme)
    # More than four pages of five: 23 drawn, and the Umbrella Corp. registration of the
    # demo's conflict story.
    assert len(deals) == 24
    assert "Umbrella Corp." in {d.customer for d in deals}
    assert [d.registered_at for d in deals] == sorted(
        (d.registered_at for d in deals), reverse=True
    )
    assert {d.partner_account_id for d in deals} == {account.id}
    rebates = await salesforce.rebates(acme)
    assert len(rebates) == 4
    # The latest finished quarter waits for its invoice; older ones are paid.
    waiting = [r for r in rebates if r.status == "earned"]
    assert len(waiting) == 1
    assert not waiting[0].invoice_submitted
    assert all(r.invoice_submitted for r in rebates if r.status == "paid")
    assert max(r.period_end for r in rebates if r.period_end < TODAY) == waiting[0].period_end
    allocations = await salesforce.fund_allocations(acme)
    assert {a.fund_type.value for a in allocations} == {"mdf", "coop"}
    assert await salesforce.fund_requests(acme)
    metrics = await salesforce.service_metrics(acme)
    assert metrics is not None
    assert metrics.responses > 0
    assert Decimal(0) <= metrics.satisfaction <= Decimal(1)
    # The retention share says what it is of: the renewals due and those renewed.
    assert metrics.renewals_due is not None
    assert metrics.renewals_won is not None
    assert 0 <= metrics.renewals_won <= metrics.renewals_due
    if metrics.renewals_due:
        assert metrics.retention == round(Decimal(metrics.renewals_won) / metrics.renewals_due, 3)
    initech = await salesforce.partner_account(PartnerRef("initech"))
    assert initech is not None
    assert (initech.tier, initech.agreement_status) == ("Registered", "Expired")
    assert await salesforce.service_metrics(PartnerRef("initech")) is None  # dormant


async def test_multi_currency_orgs_quote_each_partner_in_its_own_currency(live: Live) -> None:
    single = live.connector()
    multi = live.connector({"multi_currency": True})
    globex = PartnerRef("globex")
    assert {d.amount.currency for d in await single.deals(globex)} == {"USD"}  # the org default
    assert {d.amount.currency for d in await multi.deals(globex)} == {"EUR"}
    assert {a.amount.currency for a in await multi.fund_allocations(globex)} == {"EUR"}
    assert {r.amount.currency for r in await multi.rebates(PartnerRef("initech"))} == {"AUD"}
    assert {c.amount.currency for c in await multi.fund_claims(PartnerRef("acme"))} == {"USD"}
    assert {r.amount.currency for r in await multi.fund_requests(globex)} == {"EUR"}


async def test_a_registered_deal_is_there_on_the_next_read(live: Live) -> None:
    salesforce = live.connector()
    globex = PartnerRef("globex")
    before = len(await salesforce.deals(globex))
    registration = DealRegistration(
        "Initrode - Pilot", "Initrode", Money(Decimal("9000"), "USD"), date(2027, 1, 31),
        "buyer@initrode.example",
    )  # fmt: skip
    created = await salesforce.register_deal(globex, PersonRef("rep@globex.example"), registration)
    after = await salesforce.deals(globex)
    assert len(after) == before + 1
    assert created.id in {deal.id for deal in after}


async def test_expired_sessions_are_renewed(live: Live) -> None:
    salesforce = live.connector()
    await salesforce.rebates(PartnerRef("acme"))
    live.sandbox.revoke_tokens()
    assert len(await salesforce.rebates(PartnerRef("acme"))) == 4


async def test_the_jwt_bearer_flow_is_accepted(live: Live) -> None:
    pem = live.private_key_pem
    config = ConnectorConfig(
        name="salesforce", kind=Kind.PRM, adapter="salesforce", base_url=live.url,
        auth={"method": "jwt_bearer", "client_id": CLIENT_ID, "username": "hub@vendor.example"},
        secrets={"private_key": pem},
    )  # fmt: skip
    account = await SalesforceConnector(config, live.http).partner_account(PartnerRef("globex"))
    assert account is not None
    assert account.tier == "Silver"


async def test_the_api_limit_is_a_rate_limit(live: Live) -> None:
    live.sandbox.request_limit = 0
    with pytest.raises(BackendRateLimited, match="REQUEST_LIMIT_EXCEEDED"):
        await live.connector().rebates(PartnerRef("acme"))


async def test_knobs_over_http_take_the_sandbox_down_and_the_cache_covers_it(live: Live) -> None:
    salesforce = live.connector()
    resilience = Resilience(MemoryStore(), backoff_base=0.001)
    acme = PartnerRef("acme")
    await resilience(salesforce, "rebates", acme)
    down = await live.http.post(live.url + CONTROL_PATH, json={"down": True})
    assert down.json()["down"] is True
    with pytest.raises(BackendUnavailable):
        await salesforce.rebates(acme)
    with pytest.raises(BackendUnavailable):
        await resilience(salesforce, "rebates", PartnerRef("globex"))
    cached = await resilience(salesforce, "rebates", acme)
    assert len(cached.value) == 4


async def test_malformed_answers_over_the_wire_never_replace_the_cached_value(live: Live) -> None:
    salesforce = live.connector()
    wall = [datetime(2026, 11, 22, 12, tzinfo=UTC)]
    resilience = Resilience(MemoryStore(), backoff_base=0.001, now=lambda: wall[0])
    acme = PartnerRef("acme")
    good = await resilience(salesforce, "fund_claims", acme)
    assert good.value
    live.sandbox.knobs.update({"malformed": True})
    with pytest.raises(MalformedResponse):
        await resilience(salesforce, "fund_claims", PartnerRef("globex"))
    wall[0] += timedelta(seconds=salesforce.config.cache_ttl + 1)
    stale = await resilience(salesforce, "fund_claims", acme)  # refreshes in the background
    assert stale.stale
    for _ in range(200):  # until the background refresh has failed
        if resilience.metrics_of("salesforce").errors >= 2:
            break
        await asyncio.sleep(0.01)
    assert resilience.metrics_of("salesforce").errors == 2
    still = await resilience(salesforce, "fund_claims", acme)
    assert still.value == good.value
    assert still.fetched_at == good.fetched_at
    await resilience.close()


async def test_a_deal_registered_through_backends_shows_on_the_next_cached_read(
    live: Live,
) -> None:
    backends = Backends([live.connector()], call=Resilience(MemoryStore()))
    globex = PartnerRef("globex")
    before = await backends.prm.deals(globex)
    registration = DealRegistration(
        "Initrode - Renewal", "Initrode", Money(Decimal("1500"), "EUR"), date(2027, 3, 1),
        "buyer@initrode.example",
    )  # fmt: skip
    deal = await backends.register_deal(globex, PersonRef("rep@globex.example"), registration)
    after = await backends.prm.deals(globex)
    assert len(after.value) == len(before.value) + 1
    assert deal.id in {d.id for d in after.value}


async def test_sales_activities_page_through_the_sandbox_and_tell_each_partners_story(
    live: Live,
) -> None:
    salesforce = live.connector()
    acme = await salesforce.sales_activities(PartnerRef("acme"))
    globex = await salesforce.sales_activities(PartnerRef("globex"))
    initech = await salesforce.sales_activities(PartnerRef("initech"))
    assert len(acme) > len(globex) > len(initech) > 0  # busy, steady, silent
    tasks = [r for r in live.sandbox.objects["Task"] if r["AccountId"] == "001000000000001AAA"]
    events = [r for r in live.sandbox.objects["Event"] if r["AccountId"] == "001000000000001AAA"]
    assert len(acme) == len(tasks) + len(events)  # every page of five, both objects
    assert [a.occurred_at for a in acme] == sorted((a.occurred_at for a in acme), reverse=True)
    assert {a.kind.value for a in acme} == {"call", "email", "meeting", "task"}
    meetings = [a for a in acme if a.kind.value == "meeting"]
    assert {a.with_vendor for a in meetings} == {True, False}
    assert {a.owner_email for a in acme} - {None} <= {u.email for u in USERS if u.org == "acme"}
    quiet_since = datetime.combine(TODAY, datetime.min.time(), UTC) - timedelta(days=150)
    assert max(a.occurred_at for a in initech) < quiet_since
    assert min(a.occurred_at for a in acme) > quiet_since - timedelta(days=18 * 31)
    assert live.sandbox.objects == SalesforceSandbox(today=TODAY).objects  # seeded, not random
