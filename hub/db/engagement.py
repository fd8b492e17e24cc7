"""Tables of the engagement engine: ledger, badges, streak progress, recognition, actions, surveys.

They live on the hub's one ``Base`` so Alembic sees them; revision ``0004_engagement`` creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class PointsAccount(Base):
    """One account of the points ledger: a user, a partner org, a giving budget, the program.

    ``balance`` is the sum of the account's entries, kept in step under a row lock; only the
    program account (the source of all points) may go below zero.
    """

    __tablename__ = "points_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), default=None, index=True
    )
    partner_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_orgs.id", ondelete="RESTRICT"), default=None
    )
    period_key: Mapped[str | None] = mapped_column(String(20), default=None)
    closes_at: Mapped[datetime | None] = mapped_column(default=None)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    may_go_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointsTransfer(Base):
    """One movement of points: a set of entries that sum to zero. Never updated or deleted."""

    __tablename__ = "points_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(String(60))
    memo: Mapped[str] = mapped_column(Text, default="")
    source_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity_events.id", ondelete="SET NULL"), default=None
    )
    # SET NULL only so that test fixtures can empty the table; the hub never deletes transfers.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("points_transfers.id", ondelete="SET NULL"), default=None, unique=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointsEntry(Base):
    """One leg of a transfer: ``amount`` added to (or, negative, taken from) one account."""

    __tablename__ = "points_entries"
    __table_args__ = (Index("ix_points_entries_account_transfer", "account_id", "transfer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(
        ForeignKey("points_transfers.id", ondelete="RESTRICT"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("points_accounts.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)


class ProcessedEvent(Base):
    """Marks an activity event as evaluated for points, badges and streaks: exactly once."""

    __tablename__ = "engagement_processed_events"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("activity_events.id", ondelete="CASCADE"), primary_key=True
    )
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointRule(Base):
    """Points a kind of activity earns; administrators edit these rows."""

    __tablename__ = "point_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_kind: Mapped[str] = mapped_column(String(60), unique=True)
    points: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BadgeRule(Base):
    """A badge and the criteria that earn it; ``definition`` is validated by ``rules.BadgeCriteria``."""

    __tablename__ = "badge_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[str] = mapped_column(String(300), default="")
    # Name and description in other languages: {"de": {"name": …, "description": …}}.
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    points: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BadgeAward(Base):
    """A badge a user earned: once, with its date and the event that earned it."""

    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("user_id", "rule_id", name="uq_badge_awards_user_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("badge_rules.id", ondelete="RESTRICT"))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity_events.id", ondelete="SET NULL"), default=None
    )
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)


class BadgeProgress(Base):
    """How far one user is towards one badge: a count, a best value, the active days."""

    __tablename__ = "badge_progress"
    __table_args__ = (UniqueConstraint("user_id", "rule_id", name="uq_badge_progress_user_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("badge_rules.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    best: Mapped[float | None] = mapped_column(Float, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EngagementPreference(Base):
    """A user's engagement choices: whether they appear on leaderboards."""

    __tablename__ = "engagement_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)


class ProgramSetting(Base):
    """An administrator's setting for the engagement program (approval threshold, limits)."""

    __tablename__ = "program_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Recognition(Base):
    """Kudos from one person to another: a message, a value tag and optional points."""

    __tablename__ = "recognitions"
    __table_args__ = (Index("ix_recognitions_pair_time", "giver_id", "recipient_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(Text)
    value_tag: Mapped[str] = mapped_column(String(60), default="")
    points: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="approved")
    budget_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("points_accounts.id", ondelete="RESTRICT"), default=None
    )
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Notification(Base):
    """Something to tell a user; unread until they open it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class ActionRule(Base):
    """A next-best-action rule; ``definition`` is validated by ``nba.ActionDefinition``."""

    __tablename__ = "action_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Title and reason in other languages: {"de": {"title": …, "reason": …}}.
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionState(Base):
    """Where one user stands with one action: done, dismissed or snoozed until a time."""

    __tablename__ = "action_states"
    __table_args__ = (UniqueConstraint("user_id", "rule_id", name="uq_action_states_user_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("action_rules.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionFunnelStep(Base):
    """The first time a user was shown, clicked or completed an action: the rule's funnel."""

    __tablename__ = "action_funnel"
    __table_args__ = (
        UniqueConstraint("rule_id", "user_id", "step", name="uq_action_funnel_rule_user_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("action_rules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class PulseSurvey(Base):
    """A short survey: 1–3 questions, a target audience, an open window."""

    __tablename__ = "pulse_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Title, prompts and choices in other languages:
    # {"de": {"title": …, "<question id>.prompt": …, "<question id>.choice.<n>": …}}.
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opens_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime | None] = mapped_column(default=None)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyResponse(Base):
    """One user's answers to one survey, with the segment they were in when they answered."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id", name="uq_survey_responses_survey_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    persona: Mapped[str] = mapped_column(String(40), default="")
    segment: Mapped[str] = mapped_column(String(80), default="")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
