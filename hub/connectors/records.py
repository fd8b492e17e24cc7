"""The connectors' common language: normalised records every adapter returns.

Money is :class:`Money` (a ``Decimal`` with its ISO 4217 currency); every
datetime is timezone-aware. Records are frozen dataclasses so they can be
cached (see ``codec``) and shared between widgets without copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Kind(StrEnum):
    """The four kinds of backend a channel program runs on."""

    PRM = "prm"
    LMS = "lms"
    INCENTIVES = "incentives"
    TCMA = "tcma"


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")


@dataclass(frozen=True, slots=True)
class PartnerRef:
    """Which partner org to ask about: its slug and, per connector, the id it has there."""

    slug: str
    name: str = ""
    domain: str | None = None
    external_ids: tuple[tuple[str, str], ...] = ()

    def external_id(self, connector: str) -> str | None:
        return dict(self.external_ids).get(connector)


@dataclass(frozen=True, slots=True)
class PersonRef:
    """Which person to ask about; people are matched across systems by email."""

    email: str
    partner: PartnerRef | None = None


# --- PRM ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerAccount:
    id: str
    name: str
    tier: str
    status: str
    agreement_status: str
    agreement_start: date | None
    agreement_end: date | None
    partner_type: str = ""
    region: str = ""
    # The vendor's person who owns the partner account in the PRM: its channel manager.
    owner_email: str = ""
    owner_name: str = ""


@dataclass(frozen=True, slots=True)
class Deal:
    id: str
    name: str
    customer: str
    amount: Money
    stage: str
    is_closed: bool
    is_won: bool
    registered_at: datetime
    closed_at: datetime | None
    partner_account_id: str
    owner_email: str | None = None
    # The customer as the PRM knows it, for finding two partners' registrations of one
    # customer: its account id there, its website's domain, and the registration's status
    # ("pending", "approved", "rejected", "expired"; "" where the PRM keeps none).
    customer_account_id: str | None = None
    customer_domain: str | None = None
    registration_status: str = ""


@dataclass(frozen=True, slots=True)
class DealRegistration:
    """What a partner submits to register a deal."""

    name: str
    customer: str
    amount: Money
    expected_close: date
    contact_email: str
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Rebate:
    id: str
    name: str
    amount: Money
    status: str  # accrued | earned | invoiced | paid
    period_end: date
    invoice_submitted: bool = False


class FundType(StrEnum):
    MDF = "mdf"
    COOP = "coop"


@dataclass(frozen=True, slots=True)
class FundAllocation:
    id: str
    fund_type: FundType
    amount: Money
    start: date
    end: date
    status: str


@dataclass(frozen=True, slots=True)
class FundRequest:
    id: str
    fund_type: FundType
    title: str
    amount: Money
    status: str  # draft | submitted | approved | rejected
    requested_at: datetime
    allocation_id: str | None = None


@dataclass(frozen=True, slots=True)
class FundClaim:
    id: str
    fund_type: FundType
    title: str
    amount: Money
    status: str  # draft | submitted | approved | paid | rejected
    submitted_at: datetime | None
    claim_deadline: date | None
    request_id: str | None = None


class ActivityKind(StrEnum):
    """What a logged sales activity was."""

    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    TASK = "task"


@dataclass(frozen=True, slots=True)
class SalesActivity:
    """A call, email, meeting or task the partner's people logged in the PRM.

    ``with_vendor`` is true when it was with the vendor's field team, false when it
    was with a prospect or customer.
    """

    id: str
    kind: ActivityKind
    subject: str
    occurred_at: datetime
    owner_email: str | None = None
    with_vendor: bool = False


@dataclass(frozen=True, slots=True)
class ServiceMetrics:
    """Support figures for a partner over a period (the support persona's widgets)."""

    period_start: date
    period_end: date
    satisfaction: Decimal  # 0..1, share of satisfied survey answers
    responses: int
    median_resolution_hours: Decimal  # velocity
    retention: Decimal  # 0..1, share of renewals due that renewed
    cases_closed: int
    # What the retention share is of: renewals due (closed) in the period, and renewed.
    # ``None`` where a backend reports only the share.
    renewals_due: int | None = None
    renewals_won: int | None = None


# --- LMS ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Course:
    id: str
    name: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Enrolment:
    course: Course
    email: str
    progress: Decimal  # 0..1
    enrolled_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    course: Course
    email: str
    completed_at: datetime
    source: str = ""


@dataclass(frozen=True, slots=True)
class Certification:
    id: str
    name: str
    level: str
    email: str
    issued_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class QuizResult:
    activity_id: str
    name: str
    email: str
    score: Decimal  # scaled 0..1
    passed: bool
    attempted_at: datetime


# --- Incentives --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoalPoint:
    """What a goal stood at by the end of ``day``: one point of its way through the period."""

    day: date
    achieved: Decimal


@dataclass(frozen=True, slots=True)
class IncentiveGoal:
    """A person's goal for a period, and, where the platform reports it, how it got there.

    ``progress`` is in order of its days, each within the period (one point per day); empty
    when the platform gives only the totals. Its last point need not equal ``achieved`` (a
    platform may total more often than it reports the series): who draws it checks."""

    id: str
    name: str
    email: str
    period_start: date
    period_end: date
    target: Decimal
    achieved: Decimal
    unit: str  # a currency code, or "points", "units"
    progress: tuple[GoalPoint, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.progress, key=lambda point: point.day))
        if len({point.day for point in ordered}) != len(ordered):
            raise ValueError("goal progress: more than one point for a day")
        if (
            ordered
            and not self.period_start <= ordered[0].day <= ordered[-1].day <= self.period_end
        ):
            raise ValueError("goal progress: a point outside the goal's period")
        object.__setattr__(self, "progress", ordered)


@dataclass(frozen=True, slots=True)
class Spiff:
    """A SPIF or promotion: eligibility, what it pays and what it takes to earn it."""

    id: str
    name: str
    description: str
    eligible: bool
    reward: Money
    requirements: tuple[str, ...]
    starts: date
    ends: date
    progress: Decimal = Decimal(0)  # 0..1 towards the requirements


@dataclass(frozen=True, slots=True)
class IncentiveClaim:
    id: str
    program: str
    amount: Money
    status: str  # submitted | in_review | approved | paid | rejected
    submitted_at: datetime
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PointsBalance:
    email: str
    points: int
    as_of: datetime


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    id: str
    name: str
    points: int


# --- TCMA --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    description: str
    published_at: datetime | None
    is_published: bool
    category: str = ""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Redistribution:
    campaign_id: str
    email: str
    channel: str  # email | social | web
    shared_at: datetime
    reach: int = 0


@dataclass(frozen=True, slots=True)
class VendorEmail:
    """One of the vendor's emails as sent to one partner person, and whether they read it."""

    id: str  # the send's own id (Mautic's email stat)
    email_id: str
    email: str  # the recipient
    sent_at: datetime
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Lead:
    id: str
    name: str
    company: str
    created_at: datetime
    campaign_id: str | None
    points: int = 0
    stage: str = ""


# --- Results -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A value from a backend with how fresh it is; ``stale`` when served past its time to
    live or after a failure, ``refreshing`` when stale only because a fresh copy is on
    its way from a backend that is answering."""

    value: T
    fetched_at: datetime
    stale: bool = False
    sources: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default=())
    refreshing: bool = False


def only_refreshing(reads: Sequence[Fetched[Any]]) -> bool:
    """Whether some reads are stale and every stale one is only waiting for its refresh."""
    stale = [read for read in reads if read.stale]
    return bool(stale) and all(read.refreshing for read in stale)
