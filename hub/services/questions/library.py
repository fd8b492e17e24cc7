"""Published answers as plain records, for the content library's search index.

:func:`public_questions` lists every answered question an expert published, each with
whom it is targeted to, so the library can index it next to its other items and show it
only to the partners it is meant for (:meth:`PublicQuestion.reaches`). The record names
neither the org nor the person who asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import PartnerOrg
from hub.db.questions import Question, QuestionTopic
from hub.personas.audience import Segment
from hub.services.questions.records import audience_of
from hub.services.questions.topics import Audience, topic_of


@dataclass(frozen=True)
class PublicQuestion:
    """One published question: what the library indexes and whom it shows it to.

    ``topic`` is the topic's name as written (a seeded topic's name is a catalogue
    message: ``translate_data`` shows it in the reader's language); ``url`` is the
    question's page in the hub, which a partner in ``audience`` may open.
    """

    id: int
    title: str
    summary: str
    language: str
    topic: str
    topic_slug: str
    published_at: datetime
    updated_at: datetime
    url: str
    audience: Audience

    def reaches(self, segment: Segment) -> bool:
        """Whether a partner of ``segment`` may find and open this question."""
        return self.audience.reaches(segment)


async def public_questions(
    session: AsyncSession, *, updated_since: datetime | None = None
) -> list[PublicQuestion]:
    """Every published answered question (changed since ``updated_since``, if given),
    newest first; a withdrawn one is simply no longer listed."""
    query = (
        select(Question, QuestionTopic, PartnerOrg)
        .join(QuestionTopic, QuestionTopic.id == Question.topic_id)
        .join(PartnerOrg, PartnerOrg.id == Question.partner_org_id)
        .where(Question.public_scope != "", Question.status == "answered")
        .order_by(Question.published_at.desc(), Question.id.desc())
    )
    if updated_since is not None:
        query = query.where(Question.updated_at >= updated_since)
    found = []
    for question, topic_row, org in (await session.execute(query)).all():
        topic = topic_of(topic_row)
        audience = audience_of(question, topic, org)
        if audience is None or question.published_at is None:
            continue
        found.append(
            PublicQuestion(
                question.id,
                question.title,
                question.summary,
                question.language,
                topic.name,
                topic.slug,
                question.published_at,
                question.updated_at,
                f"/questions/{question.id}",
                audience,
            )
        )
    return found
