"""Topics partners ask about, whom each is for, and the vendor experts who answer it.

A topic is data an administrator keeps at ``/admin/questions``. Its audience (partner
types, tiers, regions; empty: any) decides which partners may ask about it and, for an
answer published to the topic's audience, who may read that answer. Experts are vendor
users (no partner org); assigning a partner user is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import User
from hub.db.questions import QuestionTopic, TopicExpert
from hub.personas.audience import Segment

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
NAME_MAX = 120
DESCRIPTION_MAX = 500
SEGMENT_VALUE_MAX = 40


class InvalidTopic(ValueError):
    """A topic an administrator wrote that cannot be kept; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Audience:
    """Partners a topic (or a published answer) is for; an empty list matches anyone."""

    partner_types: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def reaches(self, segment: Segment) -> bool:
        """Whether a partner of ``segment`` is in this audience."""
        return all(
            not allowed or value in allowed
            for allowed, value in (
                (self.partner_types, segment.partner_type),
                (self.tiers, segment.tier),
                (self.regions, segment.region),
            )
        )

    @classmethod
    def of_segment(cls, segment: Segment) -> Audience:
        """Exactly the partners of ``segment`` (its empty fields match anyone)."""
        return cls(
            *(
                (value,) if value else ()
                for value in (segment.partner_type, segment.tier, segment.region)
            )
        )


@dataclass(frozen=True)
class Topic:
    """A topic as pages show it; ``name`` as written (a seeded one is translated on show)."""

    id: int
    slug: str
    name: str
    description: str
    audience: Audience
    active: bool
    expert_ids: tuple[int, ...]


def topic_of(row: QuestionTopic, expert_ids: Sequence[int] = ()) -> Topic:
    return Topic(
        row.id,
        row.slug,
        row.name,
        row.description,
        Audience(tuple(row.partner_types), tuple(row.tiers), tuple(row.regions)),
        row.active,
        tuple(expert_ids),
    )


async def all_topics(session: AsyncSession) -> list[Topic]:
    """Every topic with its experts, by name."""
    rows = (await session.scalars(select(QuestionTopic).order_by(QuestionTopic.name))).all()
    experts: dict[int, list[int]] = {}
    for topic_id, user_id in (
        await session.execute(select(TopicExpert.topic_id, TopicExpert.user_id))
    ).all():
        experts.setdefault(topic_id, []).append(user_id)
    return [topic_of(row, sorted(experts.get(row.id, []))) for row in rows]


async def topics_for_partner(session: AsyncSession, segment: Segment) -> list[Topic]:
    """The active topics a partner of ``segment`` may ask about."""
    return [t for t in await all_topics(session) if t.active and t.audience.reaches(segment)]


async def expert_topic_ids(session: AsyncSession, user_id: int) -> frozenset[int]:
    """The topics ``user_id`` answers."""
    found = await session.scalars(
        select(TopicExpert.topic_id).where(TopicExpert.user_id == user_id)
    )
    return frozenset(found.all())


async def vendor_users(session: AsyncSession) -> list[User]:
    """The users an administrator may name as experts: the vendor's own staff."""
    return list(
        (
            await session.scalars(
                select(User).where(User.partner_org_id.is_(None)).order_by(User.name, User.email)
            )
        ).all()
    )


def _values(raw: str, field: str) -> list[str]:
    values = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if any(len(value) > SEGMENT_VALUE_MAX for value in values):
        raise InvalidTopic(field, f"{field}: each value at most {SEGMENT_VALUE_MAX} characters")
    return values


async def save_topic(
    session: AsyncSession,
    *,
    slug: str,
    name: str,
    description: str = "",
    partner_types: str = "",
    tiers: str = "",
    regions: str = "",
    active: bool = True,
    expert_ids: Sequence[int] = (),
    by: str,
    now: datetime,
) -> QuestionTopic:
    """Create or change the topic ``slug`` and set its experts; segment values are
    comma-separated. Raises :class:`InvalidTopic`."""
    slug, name, description = slug.strip(), name.strip(), description.strip()
    if not SLUG.match(slug):
        raise InvalidTopic("slug", "key: lower-case letters, digits and hyphens, 1–64")
    if not 1 <= len(name) <= NAME_MAX:
        raise InvalidTopic("name", f"name: 1–{NAME_MAX} characters")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidTopic("description", f"description: at most {DESCRIPTION_MAX} characters")
    audience = {
        "partner_types": _values(partner_types, "partner_types"),
        "tiers": _values(tiers, "tiers"),
        "regions": _values(regions, "regions"),
    }
    wanted = set(expert_ids)
    vendor = {user.id for user in await vendor_users(session)}
    if wanted - vendor:
        raise InvalidTopic("experts", "experts: only the vendor's own staff answer questions")
    row = await session.scalar(select(QuestionTopic).where(QuestionTopic.slug == slug))
    if row is None:
        row = QuestionTopic(slug=slug)
        session.add(row)
    row.name, row.description, row.active = name, description, active
    row.partner_types, row.tiers, row.regions = (
        audience["partner_types"],
        audience["tiers"],
        audience["regions"],
    )
    row.updated_by, row.updated_at = by[:320], now
    await session.flush()
    await session.execute(delete(TopicExpert).where(TopicExpert.topic_id == row.id))
    session.add_all(TopicExpert(topic_id=row.id, user_id=user_id) for user_id in sorted(wanted))
    await session.flush()
    return row
