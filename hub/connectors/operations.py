"""Every read a connector answers, once: its kind, whom it is about, and what it returns.

The connector protocols in :mod:`hub.connectors.base` declare the methods; this table
names each one as a typed :class:`Operation`, and everything else derives from it: the
typed facade on :class:`~hub.connectors.backends.Backends` (``backends.prm.deals``), the
cache's answer types, the REST mapping's operation list and the activity sync.
``tests/test_operations.py`` checks the table against the protocols, so neither can drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from hub.connectors import records
from hub.connectors.records import Kind, PartnerRef, PersonRef

S = TypeVar("S", PartnerRef, PersonRef)
T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Operation(Generic[S, T]):
    """One read: ``name`` is the protocol method; it answers ``list[record]`` when
    ``many``, else ``record | None``; ``subject`` is whom it is about."""

    name: str
    kind: Kind
    record: type[Any]
    many: bool
    subject: type[S]

    @property
    def answer_type(self) -> Any:
        """The protocol method's return type."""
        return list[self.record] if self.many else self.record | None  # type: ignore[name-defined]

    @cached_property
    def adapter(self) -> TypeAdapter[T]:
        """How the cache writes and reads this operation's answers."""
        return TypeAdapter(self.answer_type)

    def __repr__(self) -> str:
        return f"Operation({self.kind.value}.{self.name})"


def _partner(name: str, kind: Kind, record: type[Any], many: bool = True) -> Any:
    return Operation(name, kind, record, many, PartnerRef)


def _person(name: str, kind: Kind, record: type[Any], many: bool = True) -> Any:
    return Operation(name, kind, record, many, PersonRef)


PRM, LMS, INCENTIVES, TCMA = Kind.PRM, Kind.LMS, Kind.INCENTIVES, Kind.TCMA

PARTNER_ACCOUNT: Operation[PartnerRef, records.PartnerAccount | None] = _partner(
    "partner_account", PRM, records.PartnerAccount, many=False
)
DEALS: Operation[PartnerRef, list[records.Deal]] = _partner("deals", PRM, records.Deal)
REBATES: Operation[PartnerRef, list[records.Rebate]] = _partner("rebates", PRM, records.Rebate)
FUND_ALLOCATIONS: Operation[PartnerRef, list[records.FundAllocation]] = _partner(
    "fund_allocations", PRM, records.FundAllocation
)
FUND_REQUESTS: Operation[PartnerRef, list[records.FundRequest]] = _partner(
    "fund_requests", PRM, records.FundRequest
)
FUND_CLAIMS: Operation[PartnerRef, list[records.FundClaim]] = _partner(
    "fund_claims", PRM, records.FundClaim
)
SERVICE_METRICS: Operation[PartnerRef, records.ServiceMetrics | None] = _partner(
    "service_metrics", PRM, records.ServiceMetrics, many=False
)
SALES_ACTIVITIES: Operation[PartnerRef, list[records.SalesActivity]] = _partner(
    "sales_activities", PRM, records.SalesActivity
)
ENROLMENTS: Operation[PersonRef, list[records.Enrolment]] = _person(
    "enrolments", LMS, records.Enrolment
)
COMPLETIONS: Operation[PersonRef, list[records.Completion]] = _person(
    "completions", LMS, records.Completion
)
CERTIFICATIONS: Operation[PersonRef, list[records.Certification]] = _person(
    "certifications", LMS, records.Certification
)
QUIZ_RESULTS: Operation[PersonRef, list[records.QuizResult]] = _person(
    "quiz_results", LMS, records.QuizResult
)
GOALS: Operation[PersonRef, list[records.IncentiveGoal]] = _person(
    "goals", INCENTIVES, records.IncentiveGoal
)
SPIFFS: Operation[PersonRef, list[records.Spiff]] = _person("spiffs", INCENTIVES, records.Spiff)
CLAIMS: Operation[PersonRef, list[records.IncentiveClaim]] = _person(
    "claims", INCENTIVES, records.IncentiveClaim
)
POINTS: Operation[PersonRef, records.PointsBalance | None] = _person(
    "points", INCENTIVES, records.PointsBalance, many=False
)
# The reward catalogue is the program's, not a person's; it is read on a person's behalf.
CATALOGUE: Operation[PersonRef, list[records.CatalogueItem]] = _person(
    "catalogue", INCENTIVES, records.CatalogueItem
)
CAMPAIGNS: Operation[PartnerRef, list[records.Campaign]] = _partner(
    "campaigns", TCMA, records.Campaign
)
REDISTRIBUTIONS: Operation[PartnerRef, list[records.Redistribution]] = _partner(
    "redistributions", TCMA, records.Redistribution
)
LEADS: Operation[PartnerRef, list[records.Lead]] = _partner("leads", TCMA, records.Lead)
VENDOR_EMAILS: Operation[PersonRef, list[records.VendorEmail]] = _person(
    "vendor_emails", TCMA, records.VendorEmail
)

ALL: tuple[Operation[Any, Any], ...] = (
    PARTNER_ACCOUNT,
    DEALS,
    REBATES,
    FUND_ALLOCATIONS,
    FUND_REQUESTS,
    FUND_CLAIMS,
    SERVICE_METRICS,
    SALES_ACTIVITIES,
    ENROLMENTS,
    COMPLETIONS,
    CERTIFICATIONS,
    QUIZ_RESULTS,
    GOALS,
    SPIFFS,
    CLAIMS,
    POINTS,
    CATALOGUE,
    CAMPAIGNS,
    REDISTRIBUTIONS,
    LEADS,
    VENDOR_EMAILS,
)
BY_NAME: dict[str, Operation[Any, Any]] = {operation.name: operation for operation in ALL}


def named(kind: Kind, name: str) -> Operation[Any, Any]:
    """The operation ``name`` of a ``kind`` connector; ``ValueError`` if there is none."""
    operation = BY_NAME.get(name)
    if operation is None or operation.kind != kind:
        raise ValueError(f"{kind.value} connectors have no operation {name!r}")
    return operation
