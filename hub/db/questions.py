"""Ask an expert: topics, who answers each, partners' questions and the experts' answers.

A topic is data an administrator keeps (a name, the segment of partners it is for);
``question_topic_experts`` names the vendor users who answer it. A question belongs to
the asker's partner org; ``first_answered_at`` is kept on the question so response
times are read without joining the answers. ``public_scope`` says whom an answered
question is published to: ``""`` (the asker's org only), ``segment`` (partners of the
asker org's partner type, tier and region) or ``topic`` (every partner the topic is for).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import utcnow


class QuestionTopic(Base):
    """What partners may ask about; empty audience lists match every partner."""

    __tablename__ = "question_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    partner_types: Mapped[list[str]] = mapped_column(default=list)
    tiers: Mapped[list[str]] = mapped_column(default=list)
    regions: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopicExpert(Base):
    """A vendor user who answers one topic's questions."""

    __tablename__ = "question_topic_experts"
    __table_args__ = (
        UniqueConstraint("topic_id", "user_id", name="uq_question_topic_experts_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("question_topics.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Question(Base):
    """A partner user's question, and what became of it."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_org_asked", "partner_org_id", "asked_at"),
        Index("ix_questions_topic_status", "topic_id", "status"),
        Index("ix_questions_public", "public_scope", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("question_topics.id", ondelete="RESTRICT"))
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("partner_orgs.id", ondelete="CASCADE"))
    asked_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | answered
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_answered_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    public_scope: Mapped[str] = mapped_column(String(20), default="")  # "" | segment | topic
    # A short answer for lists and the library's index, written when it is made public.
    summary: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by: Mapped[str] = mapped_column(String(320), default="")


class QuestionAnswer(Base):
    """One expert's answer to a question; the first one stops the response clock."""

    __tablename__ = "question_answers"
    __table_args__ = (Index("ix_question_answers_question", "question_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    expert_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    expert_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
