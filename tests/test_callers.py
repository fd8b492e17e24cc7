"""The callers' access memo: trusted only while PostgreSQL reports changes, dropped at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select, text
from starlette.exceptions import HTTPException

from hub.auth.principal import Principal
from hub.db import Database, PartnerOrg, User
from hub.db.callers import CallerMemo, watch_callers
from hub.demo.seed import seed_demo
from hub.web.viewer import load_viewer

pytestmark = pytest.mark.anyio


def test_a_memo_that_is_not_listening_keeps_nothing() -> None:
    memo = CallerMemo()
    memo.keep(1, ("row",), memo.generation)
    assert memo.get(1) is None


def test_notices_drop_one_user_or_everyone() -> None:
    memo = CallerMemo()
    memo.listen(True)
    memo.keep(1, "one", memo.generation)
    memo.keep(2, "two", memo.generation)
    memo.told("1")
    assert (memo.get(1), memo.get(2)) == (None, "two")
    memo.told("*")
    assert memo.get(2) is None


def test_a_read_older_than_a_notice_is_not_kept() -> None:
    memo = CallerMemo()
    memo.listen(True)
    started = memo.generation
    memo.told("7")  # the change lands while the read is under way
    memo.keep(7, "before the change", started)
    assert memo.get(7) is None


def test_stopping_drops_everything() -> None:
    memo = CallerMemo()
    memo.listen(True)
    memo.keep(1, "one", memo.generation)
    memo.listen(False)
    memo.listen(True)
    assert memo.get(1) is None


async def test_sqlite_never_listens(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("the SQLite case")
    async with watch_callers(db.url, db.callers):
        await asyncio.sleep(0.05)
        assert not db.callers.listening


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def _principal(db: Database, email: str) -> Principal:
    async with db.session() as session:
        user = await session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Principal(
        id=user.id,
        email=user.email,
        name=user.name,
        roles=tuple(user.roles),
        partner_org="acme",
        partner_org_id=user.partner_org_id,
        partner_org_name="Acme",
        locale=None,
        persona=user.roles[0],
    )


async def test_postgresql_tells_a_listening_process_of_a_revoked_role(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("needs PostgreSQL (HUB_TEST_DATABASE_URL)")
    await seed_demo(db)
    owner = await _principal(db, "owner@acme.example")
    async with watch_callers(db.url, db.callers):
        await _until(lambda: db.callers.listening)
        viewer = await load_viewer(db, owner)
        assert viewer.org is not None
        assert viewer.org.tier
        assert db.callers.get(owner.id) is not None, "kept while listening"

        before = db.callers.generation
        async with db.transaction() as session:
            org = await session.scalar(select(PartnerOrg).where(PartnerOrg.slug == "acme"))
            assert org is not None
            org.tier = "Platinum"
        await _until(lambda: db.callers.generation > before)
        assert (await load_viewer(db, owner)).org.tier == "Platinum"  # type: ignore[union-attr]

        before = db.callers.generation
        async with db.transaction() as session:
            user = await session.scalar(select(User).where(User.id == owner.id))
            assert user is not None
            user.roles = ["support"]
        await _until(lambda: db.callers.generation > before)
        with pytest.raises(HTTPException) as refused:
            await load_viewer(db, owner)
        assert refused.value.status_code == 403
    assert not db.callers.listening


async def test_a_lost_listener_falls_back_to_the_database_and_comes_back(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("needs PostgreSQL (HUB_TEST_DATABASE_URL)")
    await seed_demo(db)
    owner = await _principal(db, "owner@acme.example")
    async with watch_callers(db.url, db.callers):
        await _until(lambda: db.callers.listening)
        await load_viewer(db, owner)
        assert db.callers.get(owner.id) is not None
        before = db.callers.generation
        async with db.transaction() as session:  # as a failover or an operator would
            await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
        # Stopped (dropping what it kept), then listening again on a new connection.
        await _until(lambda: db.callers.generation >= before + 2 and db.callers.listening)
        assert db.callers.get(owner.id) is None, "nothing kept from before the loss"
        await load_viewer(db, owner)
        assert db.callers.get(owner.id) is not None
