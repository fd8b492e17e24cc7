"""The playbooks an administrator keeps: list, read, save (validated whole), the defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.playbooks import Playbook
from hub.db.types import utcnow
from hub.services.playbooks.definition import (
    DEFAULTS,
    InvalidPlaybook,
    PlaybookDefinition,
    parse_playbook,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class PlaybookView:
    """One playbook as pages show it."""

    id: int
    slug: str
    active: bool
    definition: PlaybookDefinition


def _view(row: Playbook) -> PlaybookView | None:
    try:
        return PlaybookView(row.id, row.slug, row.active, parse_playbook(row.definition))
    except InvalidPlaybook:
        return None  # stored before a stricter schema: not offered, still listed by slug


async def playbooks(session: AsyncSession, *, active_only: bool = False) -> list[PlaybookView]:
    query = select(Playbook).order_by(Playbook.slug)
    if active_only:
        query = query.where(Playbook.active)
    rows = (await session.scalars(query)).all()
    return [view for row in rows if (view := _view(row)) is not None]


async def playbook(session: AsyncSession, slug: str) -> PlaybookView | None:
    row = await session.scalar(select(Playbook).where(Playbook.slug == slug))
    return _view(row) if row is not None else None


async def save_playbook(
    session: AsyncSession,
    slug: str,
    values: Mapping[str, Any],
    *,
    active: bool,
    by: str,
    new: bool,
) -> PlaybookView:
    """Create (``new``) or change a playbook; :class:`InvalidPlaybook` for any mistake,
    with nothing stored."""
    if not SLUG.match(slug):
        raise InvalidPlaybook(
            "slug: lower-case letters, digits and dashes",
            {"slug": "lower-case letters, digits and dashes, at most 64"},
        )
    definition = parse_playbook(values)
    row = await session.scalar(select(Playbook).where(Playbook.slug == slug))
    if new and row is not None:
        raise InvalidPlaybook("slug: taken", {"slug": "another playbook has this key"})
    if row is None:
        if not new:
            raise LookupError(slug)
        row = Playbook(slug=slug)
        session.add(row)
    row.definition = definition.model_dump(mode="json")
    row.active, row.updated_by, row.updated_at = active, by, utcnow()
    await session.flush()
    return PlaybookView(row.id, row.slug, row.active, definition)


async def seed_playbooks(
    session: AsyncSession, *, email_id: str = "", by: str = "seed"
) -> list[str]:
    """Add the default playbooks that are missing (``email_id``: the marketing platform's
    email their messages are sent as); the slugs added."""
    added = []
    for slug, values in DEFAULTS.items():
        if await session.scalar(select(Playbook.id).where(Playbook.slug == slug)) is not None:
            continue
        steps = [
            {**step, "email_id": email_id} if step["kind"] == "message" else step
            for step in values["steps"]
        ]
        await save_playbook(session, slug, {**values, "steps": steps}, active=True, by=by, new=True)
        added.append(slug)
    return added
