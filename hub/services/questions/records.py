"""Questions as pages show them, and who may read one.

A partner reads its own org's questions, and answered questions an expert published
to an audience the partner is in: the asker org's segment (``segment``) or the topic's
audience (``topic``). A published question never names the org or person who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import PartnerOrg, User
from hub.db.questions import Question, QuestionAnswer, QuestionTopic
from hub.personas.audience import Segment
from hub.services.questions.topics import Audience, Topic, topic_of

TITLE_MIN, TITLE_MAX = 5, 200
BODY_MAX = 5_000
ANSWER_MAX = 10_000
SUMMARY_MAX = 500
SCOPES = ("segment", "topic")


class QuestionError(ValueError):
    """What was wrong with a question, an answer or a publication; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(LookupError):
    """No such question for the caller: the same answer for another org's and for none."""


@dataclass(frozen=True)
class AnswerView:
    id: int
    expert_name: str
    body: str
    answered_at: datetime


@dataclass(frozen=True)
class QuestionView:
    """One question with its topic and answers; ``asker`` and ``org_name`` are empty
    when the reader is not of the asking org (a published answer names nobody)."""

    id: int
    topic: Topic
    title: str
    body: str
    language: str
    status: str
    asked_at: datetime
    first_answered_at: datetime | None
    updated_at: datetime
    public_scope: str
    summary: str
    published_at: datetime | None
    asker: str
    org_name: str
    answers: tuple[AnswerView, ...]
    own: bool

    @property
    def waited(self) -> float | None:
        """Hours from asking to the first answer."""
        if self.first_answered_at is None:
            return None
        return (self.first_answered_at - self.asked_at).total_seconds() / 3600


def audience_of(question: Question, topic: Topic, asker_org: PartnerOrg) -> Audience | None:
    """Whom a question is published to, or ``None`` while it is not public."""
    if question.status != "answered" or question.public_scope not in SCOPES:
        return None
    if question.public_scope == "topic":
        return topic.audience
    return Audience.of_segment(Segment(asker_org.partner_type, asker_org.tier, asker_org.region))


def readable(
    question: Question, topic: Topic, asker_org: PartnerOrg, org_id: int, segment: Segment
) -> bool:
    """Whether a user of org ``org_id`` in ``segment`` may read ``question``."""
    if question.partner_org_id == org_id:
        return True
    audience = audience_of(question, topic, asker_org)
    return audience is not None and audience.reaches(segment)


async def views_of(
    session: AsyncSession, rows: Sequence[Question], *, reader_org_id: int | None
) -> list[QuestionView]:
    """Views of ``rows`` with their answers; ``reader_org_id`` None: a vendor reader,
    who sees who asked."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    topics = {
        t.id: topic_of(t)
        for t in (
            await session.scalars(
                select(QuestionTopic).where(QuestionTopic.id.in_({r.topic_id for r in rows}))
            )
        ).all()
    }
    orgs = dict(
        (
            await session.execute(
                select(PartnerOrg.id, PartnerOrg.name).where(
                    PartnerOrg.id.in_({r.partner_org_id for r in rows})
                )
            )
        ).all()
    )
    askers = dict(
        (
            await session.execute(
                select(User.id, User.name).where(
                    User.id.in_({r.asked_by for r in rows if r.asked_by is not None})
                )
            )
        ).all()
    )
    answers: dict[int, list[AnswerView]] = {}
    for answer in (
        await session.scalars(
            select(QuestionAnswer)
            .where(QuestionAnswer.question_id.in_(ids))
            .order_by(QuestionAnswer.answered_at, QuestionAnswer.id)
        )
    ).all():
        answers.setdefault(answer.question_id, []).append(
            AnswerView(answer.id, answer.expert_name, answer.body, answer.answered_at)
        )
    views = []
    for row in rows:
        named = reader_org_id is None or reader_org_id == row.partner_org_id
        views.append(
            QuestionView(
                row.id,
                topics[row.topic_id],
                row.title,
                row.body,
                row.language,
                row.status,
                row.asked_at,
                row.first_answered_at,
                row.updated_at,
                row.public_scope,
                row.summary,
                row.published_at,
                str(askers.get(row.asked_by, "")) if named and row.asked_by else "",
                str(orgs.get(row.partner_org_id, "")) if named else "",
                tuple(answers.get(row.id, [])),
                reader_org_id == row.partner_org_id,
            )
        )
    return views
