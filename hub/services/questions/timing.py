"""How fast experts answer: response times per topic, and questions that wait too long.

Response time is from asking to the first answer. Per topic, over the questions asked in
a period, the median and the 90th percentile of those answered, with how many still
wait. How long a question may wait before its experts are reminded (a next best action)
is an administrator's setting in ``program_settings`` (key ``questions``).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import Database
from hub.db.engagement import ProgramSetting
from hub.db.questions import Question, QuestionTopic
from hub.services.engagement.rules import describe
from hub.services.questions.topics import expert_topic_ids

SETTING_KEY = "questions"
PERIOD_DAYS = (30, 90, 365)


class InvalidWaitPolicy(ValueError):
    """The setting does not validate; the message says why."""


class WaitPolicy(BaseModel):
    """How long a question may wait for its first answer before experts are reminded."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    wait_hours: int = Field(default=24, ge=1, le=720)


async def wait_policy(session: AsyncSession) -> WaitPolicy:
    row = await session.get(ProgramSetting, SETTING_KEY)
    return WaitPolicy() if row is None else WaitPolicy.model_validate(row.value)


async def save_wait_policy(session: AsyncSession, values: object) -> WaitPolicy:
    """Store the setting after validating it; nothing is stored if it fails."""
    try:
        policy = WaitPolicy.model_validate(values)
    except ValidationError as error:
        raise InvalidWaitPolicy(describe(error)) from None
    row = await session.get(ProgramSetting, SETTING_KEY)
    if row is None:
        session.add(ProgramSetting(key=SETTING_KEY, value=policy.model_dump()))
    else:
        row.value = policy.model_dump()
    return policy


@dataclass(frozen=True)
class TopicTimes:
    """One topic's response times over a period, in hours (``None`` without answers)."""

    topic: str
    asked: int
    answered: int
    waiting: int
    median_hours: float | None
    p90_hours: float | None
    longest_wait_hours: float | None  # of the questions still waiting, now


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with ``share`` of them at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def response_times(db: Database, *, since: datetime, now: datetime) -> list[TopicTimes]:
    """Per topic (every topic, by name), the questions asked from ``since`` to ``now``."""
    async with db.session() as session:
        topics = (await session.scalars(select(QuestionTopic).order_by(QuestionTopic.name))).all()
        rows = (
            await session.execute(
                select(Question.topic_id, Question.asked_at, Question.first_answered_at).where(
                    Question.asked_at >= since, Question.asked_at <= now
                )
            )
        ).all()
    by_topic: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for topic_id, asked_at, answered_at in rows:
        by_topic.setdefault(topic_id, []).append((asked_at, answered_at))
    found = []
    for topic in topics:
        asked = by_topic.get(topic.id, [])
        hours = [(a - q).total_seconds() / 3600 for q, a in asked if a is not None]
        waits = [(now - q).total_seconds() / 3600 for q, a in asked if a is None]
        found.append(
            TopicTimes(
                topic.name,
                len(asked),
                len(hours),
                len(waits),
                statistics.median(hours) if hours else None,
                percentile(hours, 0.9) if hours else None,
                max(waits) if waits else None,
            )
        )
    return found


async def overdue_for(db: Database, user_id: int, now: datetime) -> tuple[int, int]:
    """How many open questions of ``user_id``'s topics have waited past the setting, and
    the setting's hours: the facts of the experts' next best action."""
    async with db.session() as session:
        policy = await wait_policy(session)
        topics = await expert_topic_ids(session, user_id)
        if not topics:
            return 0, policy.wait_hours
        count = await session.scalar(
            select(func.count(Question.id)).where(
                Question.topic_id.in_(topics),
                Question.status == "open",
                Question.asked_at < now - timedelta(hours=policy.wait_hours),
            )
        )
    return int(count or 0), policy.wait_hours
