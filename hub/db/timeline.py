"""Tables of the partner timeline, hand-over and the weekly digest (vendor-side only).

``partner_notes`` are what channel managers write about a partner; ``assignment_changes``
record every reassignment in the hub (the latest one per partner overrides the PRM's
default, and the sync never writes here); ``digest_sends`` claim one digest per manager
and week; ``dormancy_snapshots`` keep each partner's state as each week's digest saw it,
so the next one can say who went dormant and who came back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class PartnerNote(Base):
    __tablename__ = "partner_notes"
    __table_args__ = (Index("ix_partner_notes_org_time", "partner_org_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("partner_orgs.id", ondelete="CASCADE"))
    author_email: Mapped[str] = mapped_column(String(320))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssignmentChange(Base):
    """A partner handed to another channel manager in the hub, with the hand-over note.

    ``read_at`` is when the new manager first opened the partner (their briefing).
    """

    __tablename__ = "assignment_changes"
    __table_args__ = (
        Index("ix_assignment_changes_org_time", "partner_org_id", "changed_at"),
        Index("ix_assignment_changes_to", "to_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("partner_orgs.id", ondelete="CASCADE"))
    from_email: Mapped[str] = mapped_column(String(320), default="")
    to_email: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(320))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class DigestSend(Base):
    """One manager's digest for one week: claimed before sending, ``sent_at`` once sent."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("user_id", "week", name="uq_digest_sends_user_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))  # ISO week, "2026-W49"
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class DormancySnapshot(Base):
    """A partner's state and score as one week's digest saw them."""

    __tablename__ = "dormancy_snapshots"
    __table_args__ = (
        UniqueConstraint("week", "partner_org_id", name="uq_dormancy_snapshots_week_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(10))
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("partner_orgs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestOptOut(Base):
    """A user who turned the weekly digest off on their profile."""

    __tablename__ = "digest_opt_outs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
