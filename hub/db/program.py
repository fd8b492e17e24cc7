"""Program insight's summary table: one row per partner org, kept by the worker.

Each row holds what the pages need about one partner as of ``computed_at`` (metric
values now and a period ago, journey dates, activation, dormancy evidence, money), as one
JSON document that :mod:`hub.services.program.summaries` writes and reads. ``digest``
names the settings it was computed under, so a change of weights or stages shows which
rows a recompute has not reached yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
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
