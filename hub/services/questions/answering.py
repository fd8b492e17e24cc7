"""The experts' side: their queue, answering, and publishing an answer to other partners.

An expert sees the questions of the topics they answer and no others; a question of
another topic is :class:`NotFound`, as is one that does not exist. The first answer
stops the response clock (``first_answered_at``) and the asker is notified of every
answer, in their own language, with a link to the question's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database, User
from hub.db.questions import Question, QuestionAnswer
from hub.i18n import N_, translate
from hub.services import activity
from hub.services.activity import Activity
from hub.services.engagement.notifications import notify
from hub.services.questions.records import (
    ANSWER_MAX,
    SCOPES,
    SUMMARY_MAX,
    NotFound,
    QuestionError,
    QuestionView,
    views_of,
)
from hub.services.questions.topics import expert_topic_ids

ANSWERED_SHOWN = 20


@dataclass(frozen=True)
class ExpertQueue:
    """What waits for one expert: open questions oldest first, and the latest answered."""

    topics: int
    waiting: list[QuestionView]
    answered: list[QuestionView]


async def expert_queue(db: Database, user_id: int) -> ExpertQueue:
    """The queue of ``user_id`` over the topics they answer."""
    async with db.session() as session:
        topics = await expert_topic_ids(session, user_id)
        if not topics:
            return ExpertQueue(0, [], [])
        waiting = (
            await session.scalars(
                select(Question)
                .where(Question.topic_id.in_(topics), Question.status == "open")
                .order_by(Question.asked_at, Question.id)
            )
        ).all()
        answered = (
            await session.scalars(
                select(Question)
                .where(Question.topic_id.in_(topics), Question.status == "answered")
                .order_by(Question.updated_at.desc(), Question.id.desc())
                .limit(ANSWERED_SHOWN)
            )
        ).all()
        return ExpertQueue(
            len(topics),
            await views_of(session, waiting, reader_org_id=None),
            await views_of(session, answered, reader_org_id=None),
        )


async def _own_question(session: AsyncSession, question_id: int, user_id: int) -> Question:
    question = await session.get(Question, question_id)
    if question is None or question.topic_id not in await expert_topic_ids(session, user_id):
        raise NotFound(question_id)
    return question


async def question_for_expert(db: Database, question_id: int, user_id: int) -> QuestionView:
    """One question of the expert's topics; :class:`NotFound` otherwise."""
    async with db.session() as session:
        question = await _own_question(session, question_id, user_id)
        return (await views_of(session, [question], reader_org_id=None))[0]


async def answer(
    db: Database, question_id: int, *, expert_id: int, body: str, now: datetime
) -> None:
    """Add the expert's answer and tell the asker. Raises :class:`NotFound` or
    :class:`QuestionError` (``body``: empty or over 10,000 characters)."""
    body = "".join(ch for ch in body if ch in "\n\t" or ch.isprintable()).strip()
    if not 1 <= len(body) <= ANSWER_MAX:
        raise QuestionError("answer", "answer")
    async with db.transaction() as session:
        question = await _own_question(session, question_id, expert_id)
        expert = await session.get(User, expert_id)
        name = (expert.name or expert.email) if expert else ""
        session.add(
            QuestionAnswer(
                question_id=question.id,
                expert_id=expert_id,
                expert_name=name[:200],
                body=body,
                answered_at=now,
            )
        )
        first = question.first_answered_at is None
        if first:
            question.first_answered_at = now
        question.status, question.updated_at = "answered", now
        await activity.record_all(
            session,
            [
                Activity(
                    key=f"question:{question.id}:answered:{now.isoformat()}",
                    kind="question_answered",
                    occurred_at=now,
                    user_id=question.asked_by,
                    partner_org_id=question.partner_org_id,
                    object=f"question:{question.id}",
                    payload={"first": first},
                )
            ],
        )
        asker = await session.get(User, question.asked_by) if question.asked_by else None
        if asker is not None:
            locale = asker.locale or question.language or "en"
            notify(
                session,
                asker.id,
                kind="question_answered",
                title=translate(
                    locale, N_("An expert answered your question: %(title)s"), title=question.title
                ),
                body=translate(
                    locale, N_("%(name)s answered. Open the question to read it."), name=name
                ),
                link=f"/questions/{question.id}",
                at=now,
            )


async def publish(
    db: Database, question_id: int, *, expert_id: int, scope: str, summary: str, by: str,
    now: datetime,
) -> None:  # fmt: skip
    """Publish an answered question to ``scope`` (``segment`` or ``topic``) with a short
    summary, or withdraw it (``scope=""``). Raises :class:`NotFound` or :class:`QuestionError`."""
    summary = " ".join(summary.split())
    if scope and scope not in SCOPES:
        raise QuestionError("scope", "scope")
    if scope and not 1 <= len(summary) <= SUMMARY_MAX:
        raise QuestionError("summary", "summary")
    async with db.transaction() as session:
        question = await _own_question(session, question_id, expert_id)
        if scope and question.status != "answered":
            raise QuestionError("scope", "unanswered")
        question.public_scope = scope
        if scope:
            question.summary = summary
            question.published_at = question.published_at or now
            question.published_by = by[:320]
        else:
            question.published_at, question.published_by = None, ""
        question.updated_at = now
