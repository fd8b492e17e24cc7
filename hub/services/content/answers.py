"""Answered questions an expert published, as library items: the hub's second own source.

Each refresh of the index hands :func:`~hub.services.questions.public_questions` over
(:func:`answer_records`)
under the source ``questions``, all at once, so an answer withdrawn since drops out.
A question's audience (the asking org's segment or its topic's partners) becomes the
item's partner type, tier and region tags; the item opens the question's page, which
checks the same audience again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub.connectors.content import ContentKind, ContentRecord
from hub.services.questions import PublicQuestion, public_questions

SOURCE = "questions"


def record_of(question: PublicQuestion) -> ContentRecord:
    audience = question.audience
    tags = (
        *(f"type:{value}" for value in audience.partner_types),
        *(f"tier:{value}" for value in audience.tiers),
        *(f"region:{value}" for value in audience.regions),
    )
    return ContentRecord(
        external_id=str(question.id),
        title=question.title,
        summary=question.summary,
        kind=ContentKind.ANSWER,
        language=question.language,
        url=question.url,
        published_at=question.published_at,
        updated_at=question.updated_at,
        collection=question.topic_slug,
        tags=tags,
    )


async def answer_records(session: AsyncSession) -> list[ContentRecord]:
    """Every published answer as a library record."""
    return [record_of(question) for question in await public_questions(session)]
