"""Reactivation playbooks: what an administrator defines, each run on a partner, its steps.

``playbooks.definition`` is validated by :mod:`hub.services.playbooks.definition`. A
partner is in at most one running playbook: the partial unique index on
``playbook_runs (partner_org_id) WHERE status = 'running'`` says so to every writer, so
two starts at the same moment cannot both succeed. Each step of a run has its own
idempotency key, and a step is claimed (``pending`` → ``sending``) by one executor before
anything is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class Playbook(Base):
    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlaybookRun(Base):
    """One playbook on one partner (or that partner held out of it, to compare)."""

    __tablename__ = "playbook_runs"
    __table_args__ = (
        Index(
            "uq_playbook_runs_running",
            "partner_org_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("ix_playbook_runs_playbook", "playbook_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"))
    partner_org_id: Mapped[int] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="CASCADE"), index=True
    )
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|finished|stopped
    started_by: Mapped[str] = mapped_column(String(320), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # The definition as it was when the run started: later edits change later runs only.
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PlaybookStep(Base):
    """One step of a run: pending, sending (claimed), done, failed (with why), or open (a
    task for the channel manager)."""

    __tablename__ = "playbook_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "position", name="uq_playbook_steps_run_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    # What the backends answered: the SPIF's id, who was emailed, the rule's slug.
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
