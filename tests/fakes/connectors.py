"""The tests' one set of fake connectors: they implement the Protocols and return records.

Adapter tests never use these: they run the real adapters over the wire format. Every
figure carries its org's or person's marker (``ACME-…``, ``rep@acme…``) so a test can
see whose data a page shows. ``given`` replaces what an operation answers, by org slug
or person email (``given={"deals": {"acme": [...]}}``); a connector made with
``fail=True`` (or with ``fail`` set later) raises like a backend that is down;
``delay`` slows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from hub.connectors.base import BackendUnavailable, ConnectorConfig
from hub.connectors.records import (
    Campaign,
    CatalogueItem,
    Certification,
    Completion,
    Course,
    Deal,
    DealRegistration,
    Enrolment,
    FundAllocation,
    FundClaim,
    FundRequest,
    FundType,
    IncentiveClaim,
    IncentiveGoal,
    Kind,
    Lead,
    Money,
    PartnerAccount,
    PartnerRef,
    PersonRef,
    PointsBalance,
    QuizResult,
    Rebate,
    Redistribution,
    SalesActivity,
    ServiceMetrics,
    Spiff,
    VendorEmail,
)


def marker(slug: str) -> str:
    return slug.upper()


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return _now().date()


def _usd(amount: int) -> Money:
    return Money(Decimal(amount), "USD")


class FakeBase:
    def __init__(
        self,
        config: ConnectorConfig,
        http: httpx.AsyncClient | None = None,
        *,
        given: Mapping[str, Mapping[str, list[Any]]] | None = None,
        fail: bool = False,
    ) -> None:
        self.config = config
        self.http = http
        self.fail = fail or bool(config.options.get("fail"))
        self.delay = float(config.options.get("delay", 0))
        self.calls: list[tuple[str, str]] = []
        self.given = {operation: dict(answers) for operation, answers in (given or {}).items()}

    def _given(self, operation: str, subject: str) -> list[Any] | None:
        """What a test said ``operation`` answers for ``subject``, if it said anything."""
        if operation not in self.given:
            return None
        return list(self.given[operation].get(subject, []))

    async def _enter(self, operation: str, subject: str) -> None:
        self.calls.append((operation, subject))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise BackendUnavailable(f"{self.config.name} is down")

    async def probe(self) -> str:
        await self._enter("probe", "")
        return "fake backend answers"


class FakePRM(FakeBase):
    async def partner_account(self, partner: PartnerRef) -> PartnerAccount | None:
        await self._enter("partner_account", partner.slug)
        if (given := self._given("partner_account", partner.slug)) is not None:
            return given[0] if given else None
        return PartnerAccount(
            id=f"{marker(partner.slug)}-ACCOUNT",
            name=f"{marker(partner.slug)} account",
            tier="Silver",
            status="active",
            agreement_status="active",
            agreement_start=_today() - timedelta(days=300),
            agreement_end=_today() + timedelta(days=45),
        )

    async def deals(self, partner: PartnerRef) -> list[Deal]:
        await self._enter("deals", partner.slug)
        if (given := self._given("deals", partner.slug)) is not None:
            return given
        closed = _now() - timedelta(hours=1)
        return [
            Deal(
                id=f"{marker(partner.slug)}-D{i}",
                name=f"{marker(partner.slug)} deal {i}",
                customer=f"{marker(partner.slug)}-customer",
                amount=_usd(10_000 * (i + 1)),
                stage="Closed Won" if i < 3 else "Negotiation",
                is_closed=i < 3,
                is_won=i < 3,
                registered_at=closed - timedelta(days=30),
                closed_at=closed if i < 3 else None,
                partner_account_id=f"{marker(partner.slug)}-ACCOUNT",
            )
            for i in range(5)
        ]

    async def register_deal(
        self, partner: PartnerRef, person: PersonRef, registration: DealRegistration
    ) -> Deal:
        raise NotImplementedError

    async def decide_registration(self, partner: PartnerRef, deal_id: str, decision: str) -> None:
        raise NotImplementedError

    async def rebates(self, partner: PartnerRef) -> list[Rebate]:
        await self._enter("rebates", partner.slug)
        if (given := self._given("rebates", partner.slug)) is not None:
            return given
        end = _today()
        return [
            Rebate(f"{marker(partner.slug)}-R1", "Q rebate", _usd(1234), "earned", end),
            Rebate(f"{marker(partner.slug)}-R2", "Q rebate", _usd(766), "paid", end, True),
            Rebate(f"{marker(partner.slug)}-R3", "Q rebate", _usd(400), "accrued", end),
        ]

    async def fund_allocations(self, partner: PartnerRef) -> list[FundAllocation]:
        await self._enter("fund_allocations", partner.slug)
        if (given := self._given("fund_allocations", partner.slug)) is not None:
            return given
        start, end = _today() - timedelta(days=10), _today() + timedelta(days=80)
        return [
            FundAllocation(
                f"{marker(partner.slug)}-A1", FundType.MDF, _usd(20_000), start, end, "active"
            ),
            FundAllocation(
                f"{marker(partner.slug)}-A2", FundType.COOP, _usd(8_000), start, end, "active"
            ),
        ]

    async def fund_requests(self, partner: PartnerRef) -> list[FundRequest]:
        await self._enter("fund_requests", partner.slug)
        if (given := self._given("fund_requests", partner.slug)) is not None:
            return given
        return [
            FundRequest(
                f"{marker(partner.slug)}-Q1",
                FundType.MDF,
                "Webinar",
                _usd(5_000),
                "approved",
                _now(),
            )
        ]

    async def fund_claims(self, partner: PartnerRef) -> list[FundClaim]:
        await self._enter("fund_claims", partner.slug)
        if (given := self._given("fund_claims", partner.slug)) is not None:
            return given
        return [
            FundClaim(
                f"{marker(partner.slug)}-C1",
                FundType.MDF,
                "Webinar",
                _usd(3_000),
                "paid",
                _now(),
                None,
            ),
            FundClaim(
                f"{marker(partner.slug)}-C2",
                FundType.COOP,
                "Ads",
                _usd(2_500),
                "approved",
                _now(),
                None,
            ),
        ]

    async def service_metrics(self, partner: PartnerRef) -> ServiceMetrics | None:
        await self._enter("service_metrics", partner.slug)
        return ServiceMetrics(
            period_start=_today() - timedelta(days=90),
            period_end=_today(),
            satisfaction=Decimal("0.87"),
            responses=120,
            median_resolution_hours=Decimal("7.5"),
            retention=Decimal("0.92"),
            cases_closed=310,
            renewals_due=25,
            renewals_won=23,
        )

    async def sales_activities(self, partner: PartnerRef) -> list[SalesActivity]:
        await self._enter("sales_activities", partner.slug)
        if (given := self._given("sales_activities", partner.slug)) is not None:
            return given
        return []


class FakeLMS(FakeBase):
    async def enrolments(self, person: PersonRef) -> list[Enrolment]:
        await self._enter("enrolments", person.email)
        course = Course("c1", f"Course for {person.email}")
        return [Enrolment(course, person.email, Decimal("0.4"), _now() - timedelta(days=2))]

    async def completions(self, person: PersonRef) -> list[Completion]:
        await self._enter("completions", person.email)
        if (given := self._given("completions", person.email)) is not None:
            return given
        return []

    async def certifications(self, person: PersonRef) -> list[Certification]:
        await self._enter("certifications", person.email)
        return [
            Certification(
                "cert1",
                f"Certified {person.email}",
                "Professional",
                person.email,
                _now() - timedelta(days=100),
                _now() + timedelta(days=30),
            )
        ]

    async def quiz_results(self, person: PersonRef) -> list[QuizResult]:
        await self._enter("quiz_results", person.email)
        if (given := self._given("quiz_results", person.email)) is not None:
            return given
        return []


class FakeIncentives(FakeBase):
    async def goals(self, person: PersonRef) -> list[IncentiveGoal]:
        await self._enter("goals", person.email)
        if (given := self._given("goals", person.email)) is not None:
            return given
        return [
            IncentiveGoal(
                "g1",
                f"Goal of {person.email}",
                person.email,
                _today() - timedelta(days=30),
                _today() + timedelta(days=60),
                Decimal(100_000),
                Decimal(64_000),
                "USD",
            )
        ]

    async def spiffs(self, person: PersonRef) -> list[Spiff]:
        await self._enter("spiffs", person.email)
        if (given := self._given("spiffs", person.email)) is not None:
            return given
        return [
            Spiff(
                "s1",
                f"SPIF for {person.email}",
                "Sell the new thing",
                True,
                _usd(500),
                ("Register 2 deals", "Finish the course"),
                _today() - timedelta(days=5),
                _today() + timedelta(days=25),
                Decimal("0.5"),
            )
        ]

    async def claims(self, person: PersonRef) -> list[IncentiveClaim]:
        await self._enter("claims", person.email)
        if (given := self._given("claims", person.email)) is not None:
            return given
        return [
            IncentiveClaim("k1", f"Claim of {person.email}", _usd(250), "in_review", _now()),
            IncentiveClaim("k2", f"Claim of {person.email}", _usd(100), "paid", _now()),
        ]

    async def points(self, person: PersonRef) -> PointsBalance | None:
        await self._enter("points", person.email)
        return PointsBalance(person.email, 1200, _now())

    async def catalogue(self) -> list[CatalogueItem]:
        return []


class FakeTCMA(FakeBase):
    async def campaigns(self, partner: PartnerRef) -> list[Campaign]:
        await self._enter("campaigns", partner.slug)
        if (given := self._given("campaigns", partner.slug)) is not None:
            return given
        return [
            Campaign(
                f"{marker(partner.slug)}-K{i}",
                f"{marker(partner.slug)} campaign {i}",
                "Spring launch",
                _now() - timedelta(days=i + 1),
                True,
            )
            for i in range(3)
        ]

    async def redistributions(self, partner: PartnerRef) -> list[Redistribution]:
        await self._enter("redistributions", partner.slug)
        if (given := self._given("redistributions", partner.slug)) is not None:
            return given
        return []

    async def leads(self, partner: PartnerRef) -> list[Lead]:
        await self._enter("leads", partner.slug)
        if (given := self._given("leads", partner.slug)) is not None:
            return given
        return [
            Lead(
                f"{marker(partner.slug)}-L{i}",
                "Lead",
                f"{marker(partner.slug)}-lead-company",
                _now() - timedelta(days=i),
                f"{marker(partner.slug)}-K0",
                points=5,
            )
            for i in range(7)
        ]

    async def vendor_emails(self, person: PersonRef) -> list[VendorEmail]:
        await self._enter("vendor_emails", person.email)
        if (given := self._given("vendor_emails", person.email)) is not None:
            return given
        return []


FAKES = {Kind.PRM: FakePRM, Kind.LMS: FakeLMS, Kind.INCENTIVES: FakeIncentives, Kind.TCMA: FakeTCMA}


def fake_config(
    kind: Kind, *, fail: bool = False, delay: float = 0.0, cache_ttl: float = 300.0
) -> ConnectorConfig:
    return ConnectorConfig(
        name=f"fake-{kind.value}",
        kind=kind,
        adapter="fake",
        base_url=f"https://{kind.value}.fake.example",
        portal_url=f"https://{kind.value}.fake.example/portal",
        options={"fail": fail, "delay": delay},
        timeout=2.0,
        cache_ttl=cache_ttl,
    )


def config(name: str, kind: Kind, **secrets: str) -> ConnectorConfig:
    """A named fake connector's configuration, with secrets (a webhook's, say)."""
    return ConnectorConfig(
        name=name,
        kind=kind,
        adapter="fake",
        base_url=f"http://{name}.test",
        portal_url=f"https://{name}.example/portal",
        secrets=secrets,
    )
