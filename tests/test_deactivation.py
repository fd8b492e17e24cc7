"""A deactivated person is refused on their very next call, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.exceptions import HTTPException

from hub.db import Database, User
from hub.db.callers import watch_callers
from hub.demo.seed import seed_demo
from hub.web.viewer import load_viewer
from tests.test_callers import _principal, _until

pytestmark = pytest.mark.anyio


async def _deactivate(db: Database, email: str) -> None:
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.active = False


async def test_a_kept_caller_row_is_dropped_when_they_are_deactivated(db: Database) -> None:
    await seed_demo(db)
    owner = await _principal(db, "owner@acme.example")
    async with watch_callers(db.url, db.callers):
        if not db.is_sqlite:
            await _until(lambda: db.callers.listening)
        await load_viewer(db, owner)
        before = db.callers.generation
        await _deactivate(db, "owner@acme.example")
        if not db.is_sqlite:
            # The 0010 trigger tells every process; the memo must not answer from memory.
            await _until(lambda: db.callers.generation > before)
        with pytest.raises(HTTPException) as refused:
            await load_viewer(db, owner)
        assert refused.value.status_code == 403
