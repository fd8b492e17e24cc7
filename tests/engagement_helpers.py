"""Small steps the engagement tests share."""

from __future__ import annotations

from sqlalchemy import select

from hub.db import Database, User


async def user_id(db: Database, email: str) -> int:
    """The id of a seeded demo user."""
    async with db.session() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None, email
    return found
