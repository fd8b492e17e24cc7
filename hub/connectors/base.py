"""Typed interfaces every connector adapter implements, one per backend kind.

An adapter is one module under ``hub/connectors/``: a class built from its
:class:`ConnectorConfig` and the hub's shared ``httpx.AsyncClient``, async
throughout, returning records from :mod:`hub.connectors.records` and never
raw JSON. It raises :class:`BackendError` (or a subclass) for anything the
backend did wrong; caching, retries and the circuit breaker live outside the
adapter, in :mod:`hub.connectors.resilience`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import httpx

from hub.connectors.records import (
    Campaign,
    CatalogueItem,
    Certification,
    Completion,
    Deal,
    DealRegistration,
    Enrolment,
    FundAllocation,
    FundClaim,
    FundRequest,
    IncentiveClaim,
    IncentiveGoal,
    Kind,
    Lead,
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
from hub.connectors.sign_on import PortalSignOn
from hub.i18n import N_


class BackendError(Exception):
    """The backend failed or answered something we cannot use. The message is safe to log."""

    retryable: bool = False


class BackendUnavailable(BackendError):
    """Network failure, timeout or a 5xx: worth a retry for an idempotent read."""

    retryable = True


class BackendRateLimited(BackendError):
    """The backend's API limit is reached."""

    retryable = True


class BackendAuthError(BackendError):
    """Credentials were refused (after one refresh, where the protocol allows one)."""


class MalformedResponse(BackendError):
    """The response was not the shape the backend's API documents."""


class NotConfigured(BackendError):
    """The hub does not know this partner or person in that backend."""


@dataclass(frozen=True)
class ConnectorConfig:
    """One connector from the connectors file, with its secrets already read from the env.

    ``secrets`` maps the adapter's secret names (``client_secret``, ``token``,
    ``password`` …) to values read from the environment variables the file
    names; they are never in the file itself and never printed.
    ``display_name`` is the product name people know the backend by
    ("Rewards"); without one, :attr:`product` falls back to the adapter's.
    """

    name: str
    kind: Kind
    adapter: str
    base_url: str
    portal_url: str | None = None
    auth: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 5.0
    cache_ttl: float = 300.0
    stale_ttl: float = 86_400.0
    retries: int = 2
    display_name: str | None = None
    # How the backend's portal trusts the hub to sign people in, if it does.
    sign_on: PortalSignOn | None = None

    @property
    def product(self) -> str:
        """The name people know the backend by: the configured one, else the adapter's."""
        if self.display_name:
            return self.display_name
        return _ADAPTER_PRODUCTS.get(self.adapter) or _KIND_PRODUCTS[self.kind]


# Marked for translation; templates pass ``product`` through ``_()``.
_ADAPTER_PRODUCTS = {
    "salesforce": N_("Salesforce"),
    "moodle": N_("Moodle"),
    "xapi": N_("Learning Record Store"),
    "mautic": N_("Mautic"),
}
_KIND_PRODUCTS = {
    Kind.PRM: N_("Partner relationship management"),
    Kind.LMS: N_("Learning"),
    Kind.INCENTIVES: N_("Rewards"),
    Kind.TCMA: N_("Channel marketing"),
}


@runtime_checkable
class Connector(Protocol):
    """What every adapter has, whatever its kind."""

    config: ConnectorConfig

    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None: ...

    async def probe(self) -> str:
        """Reach the backend with a cheap authenticated call; a one-line description."""
        ...


@runtime_checkable
class PRMConnector(Connector, Protocol):
    """Partner relationship management: accounts, deals, rebates, MDF and co-op."""

    async def partner_account(self, partner: PartnerRef) -> PartnerAccount | None:
        """The partner's account, or ``None`` if the PRM has none for it."""
        ...

    async def deals(self, partner: PartnerRef) -> list[Deal]:
        """Deals the partner registered, newest first."""
        ...

    async def register_deal(
        self, partner: PartnerRef, person: PersonRef, registration: DealRegistration
    ) -> Deal:
        """Register a deal for the partner (the one write path)."""
        ...

    async def decide_registration(self, partner: PartnerRef, deal_id: str, decision: str) -> None:
        """Set a registration's status in the PRM: ``approved``, ``rejected`` or back to
        ``pending``; :class:`NotConfigured` where the PRM takes no such write."""
        ...

    async def rebates(self, partner: PartnerRef) -> list[Rebate]:
        """Rebates the partner accrued or earned."""
        ...

    async def fund_allocations(self, partner: PartnerRef) -> list[FundAllocation]:
        """MDF and co-op allocated to the partner."""
        ...

    async def fund_requests(self, partner: PartnerRef) -> list[FundRequest]:
        """MDF and co-op requests the partner made."""
        ...

    async def fund_claims(self, partner: PartnerRef) -> list[FundClaim]:
        """MDF and co-op claims the partner made."""
        ...

    async def service_metrics(self, partner: PartnerRef) -> ServiceMetrics | None:
        """Satisfaction, velocity and retention figures, where the PRM holds them."""
        ...

    async def sales_activities(self, partner: PartnerRef) -> list[SalesActivity]:
        """Calls, emails, meetings and tasks logged on the partner's account, newest first."""
        ...


@runtime_checkable
class LMSConnector(Connector, Protocol):
    """Learning: enrolments, completions, certifications and quiz results, per person."""

    async def enrolments(self, person: PersonRef) -> list[Enrolment]:
        """Courses the person is enrolled in, with progress."""
        ...

    async def completions(self, person: PersonRef) -> list[Completion]:
        """Courses the person completed."""
        ...

    async def certifications(self, person: PersonRef) -> list[Certification]:
        """Certifications (or badges standing for them) the person holds."""
        ...

    async def quiz_results(self, person: PersonRef) -> list[QuizResult]:
        """Quiz and exam attempts, newest first."""
        ...


@runtime_checkable
class IncentiveConnector(Connector, Protocol):
    """Incentives: goals, SPIFs and promotions, claims and points, per person."""

    async def goals(self, person: PersonRef) -> list[IncentiveGoal]:
        """The person's goals for current periods."""
        ...

    async def spiffs(self, person: PersonRef) -> list[Spiff]:
        """SPIFs and promotions open to the person, with eligibility."""
        ...

    async def claims(self, person: PersonRef) -> list[IncentiveClaim]:
        """The person's incentive claims, newest first."""
        ...

    async def points(self, person: PersonRef) -> PointsBalance | None:
        """The person's points balance, if the platform keeps points."""
        ...

    async def catalogue(self) -> list[CatalogueItem]:
        """Rewards points can be redeemed for; empty where there is no catalogue."""
        ...


@runtime_checkable
class TCMAConnector(Connector, Protocol):
    """Through-channel marketing: campaigns to redistribute, redistributions and leads."""

    async def campaigns(self, partner: PartnerRef) -> list[Campaign]:
        """Campaigns offered to the partner, newest first."""
        ...

    async def redistributions(self, partner: PartnerRef) -> list[Redistribution]:
        """What the partner's people shared, newest first."""
        ...

    async def leads(self, partner: PartnerRef) -> list[Lead]:
        """Leads the partner earned, newest first."""
        ...

    async def vendor_emails(self, person: PersonRef) -> list[VendorEmail]:
        """The vendor's emails sent to one partner person, newest first, read or not."""
        ...


PROTOCOL_OF_KIND: dict[Kind, Any] = {
    Kind.PRM: PRMConnector,
    Kind.LMS: LMSConnector,
    Kind.INCENTIVES: IncentiveConnector,
    Kind.TCMA: TCMAConnector,
}
