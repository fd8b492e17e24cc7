"""A partner user asks; what the partner's people see of their own and published questions.

Asking checks the text (title 5–200 characters, details at most 5,000) and that the
topic is one the asker's org may ask about; the topic's experts are told at once. The
text is kept exactly as typed: pages escape it when they show it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, PartnerOrg, User
from hub.db.questions import Question, QuestionTopic, TopicExpert
from hub.i18n import N_, translate, translate_data
from hub.personas.audience import Segment
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement.notifications import notify
from hub.services.questions.records import (
    BODY_MAX,
    TITLE_MAX,
    TITLE_MIN,
    NotFound,
    QuestionError,
    QuestionView,
    readable,
    views_of,
)
from hub.services.questions.topics import topic_of

PUBLIC_LIMIT = 50


def _clean(text: str) -> str:
    # Control characters other than line breaks and tabs have no place in a question.
    return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()


async def ask(
    db: Database,
    *,
    user_id: int,
    org_id: int,
    segment: Segment,
    topic_id: int,
    title: str,
    body: str,
    language: str,
    now: datetime,
) -> int:
    """Record a question of ``user_id`` (of org ``org_id``); its id. Raises
    :class:`QuestionError` naming the field at fault."""
    title, body = _clean(title), _clean(body)
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise QuestionError("title", "title")
    if len(body) > BODY_MAX:
        raise QuestionError("body", "body")
    async with db.transaction() as session:
        topic = await session.get(QuestionTopic, topic_id)
        if topic is None or not topic.active or not topic_of(topic).audience.reaches(segment):
            raise QuestionError("topic", "topic")
        question = Question(
            topic_id=topic.id,
            partner_org_id=org_id,
            asked_by=user_id,
            title=title,
            body=body,
            language=language[:8],
            asked_at=now,
            updated_at=now,
        )
        session.add(question)
        await session.flush()
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"question:{question.id}:asked",
                    kind="question_asked",
                    occurred_at=now,
                    user_id=user_id,
                    partner_org_id=org_id,
                    object=f"question:{question.id}",
                )
            ],
        )
        await _tell_experts(session, question, topic, now)
        return question.id


async def _tell_experts(
    session: AsyncSession, question: Question, topic: QuestionTopic, now: datetime
) -> None:
    experts = (
        await session.scalars(
            select(User)
            .join(TopicExpert, TopicExpert.user_id == User.id)
            .where(TopicExpert.topic_id == topic.id)
        )
    ).all()
    for expert in experts:
        locale = expert.locale or "en"
        notify(
            session,
            expert.id,
            kind="question_asked",
            title=translate(
                locale,
                N_("A partner asks about %(topic)s: %(title)s"),
                topic=translate_data(topic.name, locale),
                title=question.title,
            ),
            link=f"/experts/questions/{question.id}",
            at=now,
        )


async def org_questions(db: Database, org_id: int) -> list[QuestionView]:
    """The questions of org ``org_id``, newest first."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Question)
                .where(Question.partner_org_id == org_id)
                .order_by(Question.asked_at.desc(), Question.id.desc())
            )
        ).all()
        return await views_of(session, rows, reader_org_id=org_id)


async def public_for(db: Database, org_id: int, segment: Segment) -> list[QuestionView]:
    """Answers other partners' questions got that experts published to ``segment``'s
    partners, newest first."""
    async with db.session() as session:
        found = (
            await session.execute(
                select(Question, QuestionTopic, PartnerOrg)
                .join(QuestionTopic, QuestionTopic.id == Question.topic_id)
                .join(PartnerOrg, PartnerOrg.id == Question.partner_org_id)
                .where(
                    Question.public_scope != "",
                    Question.status == "answered",
                    Question.partner_org_id != org_id,
                )
                .order_by(Question.published_at.desc(), Question.id.desc())
            )
        ).all()
        rows = [q for q, t, o in found if readable(q, topic_of(t), o, org_id, segment)]
        return await views_of(session, rows[:PUBLIC_LIMIT], reader_org_id=org_id)


async def question_for_partner(
    db: Database, question_id: int, org_id: int, segment: Segment
) -> QuestionView:
    """One question a user of ``org_id`` may read; :class:`NotFound` otherwise."""
    async with db.session() as session:
        found = (
            await session.execute(
                select(Question, QuestionTopic, PartnerOrg)
                .join(QuestionTopic, QuestionTopic.id == Question.topic_id)
                .join(PartnerOrg, PartnerOrg.id == Question.partner_org_id)
                .where(Question.id == question_id)
            )
        ).first()
        if found is None:
            raise NotFound(question_id)
        question, topic, org = found
        if not readable(question, topic_of(topic), org, org_id, segment):
            raise NotFound(question_id)
        return (await views_of(session, [question], reader_org_id=org_id))[0]
