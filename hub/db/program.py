"""Program insight's tables: one summary row per partner org, and the running rollups the
worker folds new events into and derives the summaries from.

Each row holds what the pages need about one partner as of ``computed_at`` (metric
values now and a period ago, journey dates, activation, dormancy evidence, money), as one
JSON document that :mod:`hub.services.program.summaries` writes and reads. ``digest``
names the settings it was computed under, so a change of weights or stages shows which
rows a recompute has not reached yet.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base


class ProgramSummary(Base):
    __tablename__ = "program_summaries"

    partner_org_id: Mapped[int] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column()
    digest: Mapped[str] = mapped_column(String(64))
    doc: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProgramRollup(Base):
    """One partner org's events of one kind on one day: how many, and their decay weight.

    ``weight`` sums ``2 ** ((occurred_at - epoch) / half_life)`` over the day's events, the
    epoch and half-life being the ones the rollups were built under (kept with the worker's
    state), so a decayed count over any run of whole days is one sum times one factor.
    """

    __tablename__ = "program_rollups"
    # Moving window sums on reads a few days of many partners: by day first.
    __table_args__ = (Index("ix_program_rollups_day_org", "day", "partner_org_id"),)

    partner_org_id: Mapped[int] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    events: Mapped[int] = mapped_column(default=0)
    weight: Mapped[float] = mapped_column(Float, default=0.0)


class ProgramRollupKind(Base):
    """One partner org's events of one kind, ever: the first and last, and the first few
    moments (enough for the nth event a journey stage or the activation KPI counts)."""

    __tablename__ = "program_rollup_kinds"

    partner_org_id: Mapped[int] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()
    firsts: Mapped[list[str]] = mapped_column(default=list)


class ProgramDeal(Base):
    """A deal registered or won, from the activity log: pipeline and revenue are sums of these.

    ``amount_e6`` is the amount in millionths, so sums are exact integers on every database;
    ``None`` when the event carried no amount that parses.
    """

    __tablename__ = "program_deals"
    __table_args__ = (
        Index("ix_program_deals_org_won_at", "partner_org_id", "won", "at"),
        Index("ix_program_deals_org_object", "partner_org_id", "object"),
    )

    event_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("partner_orgs.id", ondelete="CASCADE"))
    won: Mapped[bool] = mapped_column()
    object: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column()
    amount_e6: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str] = mapped_column(String(60), default="")


class ProgramRollupWindow(Base):
    """One partner org's events of one kind summed over each window a summary reads, as of
    the day ``as_of``: the decayed weight now and a period ago, the events of the history,
    of the unread-email days, and of the quiet and return days around a year ago.

    ``spec`` names the windows (days before ``as_of`` each starts and ends), so a change of
    windows shows which rows no longer answer. The worker adds new events in as it folds
    them and moves a row to a later day by the few days that enter and leave each window,
    so a summary reads one row per kind instead of every day of the history.
    """

    __tablename__ = "program_rollup_windows"

    partner_org_id: Mapped[int] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    spec: Mapped[str] = mapped_column(String(120))
    current: Mapped[float] = mapped_column(Float, default=0.0)
    earlier: Mapped[float] = mapped_column(Float, default=0.0)
    events: Mapped[int] = mapped_column(default=0)
    recent: Mapped[int] = mapped_column(default=0)
    quiet: Mapped[int] = mapped_column(default=0)
    back: Mapped[int] = mapped_column(default=0)
