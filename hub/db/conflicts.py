"""Deal-registration conflicts: every registration the PRM reported, and the conflicts found.

``deal_registrations`` keeps each registration with the keys the matcher looks it up by
(normalised customer name and its blocking key, customer domain, customer account id),
each indexed with the registration date, so finding the few candidates for a new
registration costs the same at a thousand rows and at a million. ``deal_conflicts`` pairs
two registrations of different partners for one customer, and holds the decision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class DealRegistrationRow(Base):
    """One registration as the PRM reported it, with its matching keys."""

    __tablename__ = "deal_registrations"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_deal_registrations_source_external"),
        Index("ix_deal_registrations_block_registered", "block_key", "registered_at"),
        Index("ix_deal_registrations_domain_registered", "domain", "registered_at"),
        Index("ix_deal_registrations_account_registered", "customer_account_id", "registered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("partner_orgs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(60))  # the connector's name
    external_id: Mapped[str] = mapped_column(String(100))  # the deal's id in the PRM
    deal_name: Mapped[str] = mapped_column(String(300), default="")
    customer: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))
    block_key: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str | None] = mapped_column(String(200), default=None)
    customer_account_id: Mapped[str | None] = mapped_column(String(100), default=None)
    amount: Mapped[str] = mapped_column(String(40), default="0")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    registered_at: Mapped[datetime] = mapped_column()
    # open | lost | expired | rejected | approved: only open and approved ones can conflict.
    state: Mapped[str] = mapped_column(String(20), default="open")
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealConflict(Base):
    """Two partners' registrations of one customer, and what the vendor decided."""

    __tablename__ = "deal_conflicts"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id", name="uq_deal_conflicts_pair"),
        Index("ix_deal_conflicts_status", "status"),
        Index("ix_deal_conflicts_first_org", "first_org_id"),
        Index("ix_deal_conflicts_second_org", "second_org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # ``first`` registered earlier than ``second``.
    first_id: Mapped[int] = mapped_column(ForeignKey("deal_registrations.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(ForeignKey("deal_registrations.id", ondelete="CASCADE"))
    first_org_id: Mapped[int] = mapped_column(Integer)
    second_org_id: Mapped[int] = mapped_column(Integer)
    matched_by: Mapped[str] = mapped_column(String(20))  # account | domain | name
    score: Mapped[float] = mapped_column(Float, default=100.0)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    # open | resolving (a manager's decision is being written back) | resolved
    status: Mapped[str] = mapped_column(String(20), default="open")
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    decision: Mapped[str] = mapped_column(String(20), default="")  # first | second | both
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    # The last write-back that failed, shown until a retry succeeds.
    failure: Mapped[str] = mapped_column(Text, default="")
