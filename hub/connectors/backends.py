"""All configured connectors behind one door: what widgets and services call.

Each backend kind has a typed facade: ``backends.prm.deals(partner)`` answers
``Fetched[list[Deal]]``. A read asks every connector of its kind for the same
operation at once and merges their answers: lists are concatenated, single
values take the first connector that has one. A connector that fails is
reported in ``Fetched.errors`` and the others still count, so one broken LMS
degrades, not breaks, a widget that reads two. The operations themselves are
listed once, in :mod:`hub.connectors.operations`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from hub.connectors import operations as ops
from hub.connectors.base import BackendError, Connector, NotConfigured, PRMConnector
from hub.connectors.operations import Operation
from hub.connectors.records import (
    Deal,
    DealRegistration,
    Fetched,
    Kind,
    PartnerRef,
    PersonRef,
    only_refreshing,
)
from hub.connectors.writes import CreatedSpiff, EmailSend, EmailSender, SpiffOffer, SpiffWriter
from hub.per_page import NotWarm

log = logging.getLogger("hub.connectors")

S = TypeVar("S", PartnerRef, PersonRef)
T = TypeVar("T")

Subject = PartnerRef | PersonRef
# How one connector's call is made; the resilience layer wraps it with cache,
# coalescing, retries and a breaker. Arguments: connector, operation, subject.
CallConnector = Callable[[Connector, str, Subject], Awaitable["Fetched[Any]"]]


@dataclass(frozen=True)
class Portal:
    """A backend's own portal, for quick links and "open in …" deep links.

    ``product`` is the name people know it by (pass it through ``_()`` to show it);
    ``connector`` is the configuration's id, never shown as a name."""

    connector: str
    kind: Kind
    url: str
    product: str = ""


class AllBackendsFailed(BackendError):
    """Every connector of the kind failed and none had a last good value."""


async def call_directly(connector: Connector, operation: str, subject: Subject) -> Fetched[Any]:
    """Ask the backend now, within the connector's timeout; no cache."""
    # The protocol method of that name: tests/test_operations.py checks every one exists.
    method = getattr(connector, operation)
    try:
        value = await asyncio.wait_for(method(subject), connector.config.timeout)
    except TimeoutError:
        raise BackendError(f"{connector.config.name}: no answer within the timeout") from None
    return Fetched(value=value, fetched_at=datetime.now(UTC), sources=(connector.config.name,))


class Backends:
    """The configured connectors, grouped by kind."""

    def __init__(self, connectors: Sequence[Connector], call: CallConnector = call_directly):
        names = [connector.config.name for connector in connectors]
        if len(names) != len(set(names)):
            raise ValueError("connector names must be unique")
        self._connectors = list(connectors)
        self._call = call
        self.prm = PRMReads(self)
        self.lms = LMSReads(self)
        self.incentives = IncentiveReads(self)
        self.tcma = TCMAReads(self)

    @property
    def keeps_answers(self) -> bool:
        """Whether reads go through a cache that a rendering can ask without calling out."""
        return bool(getattr(self._call, "keeps_answers", False))

    @property
    def call(self) -> CallConnector:
        """How each connector call is made (a :class:`~hub.connectors.resilience.Resilience` in the app)."""
        return self._call

    async def close(self) -> None:
        """Let the call layer stop its background work (it may define an async ``close``)."""
        close = getattr(self._call, "close", None)
        if close is not None:
            await close()

    async def register_deal(
        self, partner: PartnerRef, person: PersonRef, registration: DealRegistration
    ) -> Deal:
        """Register a deal with the first PRM connector (the one write path).

        Goes through the call layer's ``write`` when it has one (the resilience
        layer: breaker, metrics, no retry, the partner's cached deals dropped).
        """
        prm = self.of_kind(Kind.PRM)
        if not prm:
            raise AllBackendsFailed("no prm connector is configured")
        write = getattr(self._call, "write", None)
        if write is not None:
            deal: Deal = await write(
                prm[0], "register_deal", partner, person, registration, invalidates=("deals",)
            )
            return deal
        connector = prm[0]
        if not isinstance(connector, PRMConnector):
            raise BackendError(f"{connector.config.name}: not a PRM connector")
        return await connector.register_deal(partner, person, registration)

    async def decide_registration(
        self, connector_name: str, partner: PartnerRef, deal_id: str, decision: str
    ) -> None:
        """Write a registration's status back to the PRM connector it came from.

        Like :meth:`register_deal`: through the call layer's ``write`` (breaker, no retry),
        and the partner's cached deals are dropped, so the next read shows the new status.
        """
        connector = self.named(connector_name)
        if connector is None or connector.config.kind != Kind.PRM:
            raise AllBackendsFailed(f"no prm connector named {connector_name!r} is configured")
        write = getattr(self._call, "write", None)
        if write is not None:
            await write(
                connector, "decide_registration", partner, deal_id, decision, invalidates=("deals",)
            )
            return
        if not isinstance(connector, PRMConnector):
            raise BackendError(f"{connector.config.name}: not a PRM connector")
        await connector.decide_registration(partner, deal_id, decision)

    def writer(self, kind: Kind, protocol: type[Any]) -> Connector | None:
        """The first connector of ``kind`` that implements the write ``protocol``."""
        return next((c for c in self.of_kind(kind) if isinstance(c, protocol)), None)

    async def create_spiff(self, partner: PartnerRef, offer: SpiffOffer) -> CreatedSpiff:
        """Create a SPIF with the first incentive connector that can (see ``writes``)."""
        connector = self.writer(Kind.INCENTIVES, SpiffWriter)
        if connector is None:
            raise NotConfigured("no incentive connector here can create SPIFs")
        created: CreatedSpiff = await self._write(connector, "create_spiff", partner, offer)
        return created

    async def send_email(self, person: PersonRef, send: EmailSend) -> str:
        """Send a marketing email with the first TCMA connector that can."""
        connector = self.writer(Kind.TCMA, EmailSender)
        if connector is None:
            raise NotConfigured("no marketing connector here can send emails")
        contact: str = await self._write(connector, "send_email", person, send)
        return contact

    async def _write(
        self, connector: Connector, operation: str, subject: Subject, *args: Any
    ) -> Any:
        write = getattr(self._call, "write", None)
        if write is not None:
            return await write(connector, operation, subject, *args)
        try:
            return await asyncio.wait_for(
                getattr(connector, operation)(subject, *args), connector.config.timeout
            )
        except TimeoutError:
            raise BackendError(
                f"{connector.config.name}: no answer within the timeout; the {operation} may"
                " or may not have been recorded"
            ) from None

    def of_kind(self, kind: Kind) -> list[Connector]:
        return [c for c in self._connectors if c.config.kind == kind]

    def all(self) -> list[Connector]:
        return list(self._connectors)

    def named(self, name: str) -> Connector | None:
        return next((c for c in self._connectors if c.config.name == name), None)

    def portals(self) -> list[Portal]:
        return [
            Portal(c.config.name, c.config.kind, c.config.portal_url, c.config.product)
            for c in self._connectors
            if c.config.portal_url
        ]

    def has(self, kind: Kind) -> bool:
        return bool(self.of_kind(kind))

    async def fetch(self, operation: Operation[S, T], subject: S) -> Fetched[T]:
        """Merged answer of every connector of the operation's kind to ``operation(subject)``.

        Raises :class:`AllBackendsFailed` only when no connector produced
        anything, fresh or stale; partial failures are listed in ``errors``.
        """
        kind = operation.kind
        connectors = self.of_kind(kind)
        if not connectors:
            raise AllBackendsFailed(f"no {kind.value} connector is configured")
        outcomes = await asyncio.gather(
            *(self._call(c, operation.name, subject) for c in connectors),
            return_exceptions=True,
        )
        answers: list[Fetched[Any]] = []
        errors: list[str] = []
        for connector, outcome in zip(connectors, outcomes, strict=True):
            if isinstance(outcome, NotWarm):
                raise outcome  # the rendering leaves this widget to load on its own
            if isinstance(outcome, Fetched):
                answers.append(outcome)
                errors.extend(outcome.errors)
            elif isinstance(outcome, BackendError):
                errors.append(f"{connector.config.name}: {outcome}")
            elif isinstance(outcome, BaseException):
                log.error(
                    "connector crashed",
                    exc_info=outcome,
                    extra={"connector": connector.config.name, "operation": operation.name},
                )
                errors.append(f"{connector.config.name}: unexpected {type(outcome).__name__}")
        if not answers:
            raise AllBackendsFailed("; ".join(errors))
        return Fetched(
            value=_merge([answer.value for answer in answers]),
            fetched_at=min(answer.fetched_at for answer in answers),
            stale=any(answer.stale for answer in answers),
            sources=tuple(source for answer in answers for source in answer.sources),
            errors=tuple(errors),
            refreshing=only_refreshing(answers),
        )


def _merge(values: list[Any]) -> Any:
    if all(isinstance(value, list) for value in values):
        return [item for value in values for item in value]
    return next((value for value in values if value is not None), None)


class Read(Generic[S, T]):
    """One operation over the configured connectors of its kind."""

    def __init__(self, backends: Backends, operation: Operation[S, T]) -> None:
        self.backends = backends
        self.operation: Operation[S, T] = operation

    async def __call__(self, subject: S) -> Fetched[T]:
        """The merged answer; :class:`AllBackendsFailed` when nothing could answer."""
        return await self.backends.fetch(self.operation, subject)

    async def optional(self, subject: S) -> Fetched[T] | None:
        """A read a page can do without: ``None`` when no backend of the kind could answer."""
        if not self.backends.has(self.operation.kind):
            return None
        try:
            return await self(subject)
        except AllBackendsFailed:
            return None


class PRMReads:
    """``backends.prm``: the partner relationship management reads, about a partner."""

    def __init__(self, backends: Backends) -> None:
        self.partner_account = Read(backends, ops.PARTNER_ACCOUNT)
        self.deals = Read(backends, ops.DEALS)
        self.rebates = Read(backends, ops.REBATES)
        self.fund_allocations = Read(backends, ops.FUND_ALLOCATIONS)
        self.fund_requests = Read(backends, ops.FUND_REQUESTS)
        self.fund_claims = Read(backends, ops.FUND_CLAIMS)
        self.service_metrics = Read(backends, ops.SERVICE_METRICS)
        self.sales_activities = Read(backends, ops.SALES_ACTIVITIES)


class LMSReads:
    """``backends.lms``: the learning reads, about a person."""

    def __init__(self, backends: Backends) -> None:
        self.enrolments = Read(backends, ops.ENROLMENTS)
        self.completions = Read(backends, ops.COMPLETIONS)
        self.certifications = Read(backends, ops.CERTIFICATIONS)
        self.quiz_results = Read(backends, ops.QUIZ_RESULTS)


class IncentiveReads:
    """``backends.incentives``: the incentive reads, about a person."""

    def __init__(self, backends: Backends) -> None:
        self.goals = Read(backends, ops.GOALS)
        self.spiffs = Read(backends, ops.SPIFFS)
        self.claims = Read(backends, ops.CLAIMS)
        self.points = Read(backends, ops.POINTS)
        self.catalogue = Read(backends, ops.CATALOGUE)


class TCMAReads:
    """``backends.tcma``: the through-channel marketing reads, about a partner."""

    def __init__(self, backends: Backends) -> None:
        self.campaigns = Read(backends, ops.CAMPAIGNS)
        self.redistributions = Read(backends, ops.REDISTRIBUTIONS)
        self.leads = Read(backends, ops.LEADS)
        self.vendor_emails = Read(backends, ops.VENDOR_EMAILS)


def facade_reads(backends: Backends) -> list[Read[Any, Any]]:
    """Every read of every kind's facade (the test checks they are the operation table)."""
    kinds = (backends.prm, backends.lms, backends.incentives, backends.tcma)
    return [read for facade in kinds for read in vars(facade).values() if isinstance(read, Read)]
