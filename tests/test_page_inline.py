"""A rendered homepage in one request: warm widgets go into the page, shared reads are made once."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from hub.connectors.records import Kind
from hub.db import Database, User
from hub.settings import Settings
from hub.store import KeyValueStore
from hub.web.page_cache import EVERYONE
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

OWNER = "owner@acme.example"
MANAGER = "cam@vendor.example"
LEFT_TO_LOAD = re.compile(r'<section id="widget-(\w+)"[^>]*aria-busy="true"')
ON_PAGE = re.compile(r'<section id="widget-(\w+)"')
PRM_WIDGETS = {"program_status", "dollars_spent"}


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store, resilient=True, cache_ttl=300.0) as made:
        yield made


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement sent while inside, in order."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def backend_calls(rig: HomeRig) -> int:
    return sum(len(fake.calls) for fake in rig.connectors.values())


async def warm(rig: HomeRig, email: str, store: KeyValueStore) -> str:
    """Sign in, let every widget load once (the backends' answers are cached), retire kept copies."""
    await rig.sign_in(email)
    page = (await rig.client.get("/")).text
    for name in LEFT_TO_LOAD.findall(page):
        assert (await rig.widget(name)).status_code == 200
    await store.incr(EVERYONE)  # as an administrator's change does: nothing kept is shown
    return page


async def test_a_page_whose_backend_answers_are_cached_comes_complete_in_one_request(
    rig: HomeRig, store: KeyValueStore
) -> None:
    await warm(rig, OWNER, store)
    asked = backend_calls(rig)

    page = (await rig.client.get("/")).text

    assert LEFT_TO_LOAD.findall(page) == []
    assert set(ON_PAGE.findall(page)) >= PRM_WIDGETS | {"points_badges", "recognition_feed"}
    assert "$60,000" in page, "Dollars Spent is in the page itself"
    assert backend_calls(rig) == asked, "nothing was asked of a backend"
    forms = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert forms, "the widgets' forms are in the page"
    assert "csrf-slot-" not in page, "they carry the session's token"


async def test_widgets_whose_reads_are_not_cached_load_on_their_own_and_the_page_does_not_wait(
    rig: HomeRig, store: KeyValueStore
) -> None:
    await rig.sign_in(OWNER)
    prm = rig.connectors[Kind.PRM]
    prm.delay = 3.0  # a slow PRM with nothing cached yet
    started = time.monotonic()

    page = (await rig.client.get("/")).text

    assert time.monotonic() - started < 2.0, "the page did not wait for the PRM"
    left = set(LEFT_TO_LOAD.findall(page))
    assert left >= PRM_WIDGETS
    assert "points_badges" not in left, "a widget that needs no backend is in the page"
    assert prm.calls == [], "a page rendering never calls out; the widgets do on their own"
    prm.delay = 0.0
    assert "$60,000" in (await rig.widget("dollars_spent")).text


async def test_a_channel_managers_page_reads_the_program_once_for_all_its_widgets(
    rig: HomeRig, db: Database, store: KeyValueStore
) -> None:
    first = await warm(rig, MANAGER, store)
    widgets = set(ON_PAGE.findall(first))
    assert {"my_partners", "quiet_partners", "next_best_action"} <= widgets

    with statements(db) as sent:
        page = (await rig.client.get("/")).text

    assert LEFT_TO_LOAD.findall(page) == []
    program_reads = [s for s in sent if "FROM program_summaries" in s and "count(" in s]
    assert len(program_reads) == 1, (
        "My Partners, Dormant Partners and the next best action share it"
    )


async def test_the_page_is_kept_whole_after_it_rendered_its_widgets_itself(
    rig: HomeRig, db: Database, store: KeyValueStore
) -> None:
    await warm(rig, OWNER, store)
    rendered = (await rig.client.get("/")).text
    asked = backend_calls(rig)

    with statements(db) as sent:
        kept = (await rig.client.get("/")).text

    assert ON_PAGE.findall(kept) == ON_PAGE.findall(rendered)
    assert LEFT_TO_LOAD.findall(kept) == []
    assert backend_calls(rig) == asked
    assert len(sent) <= 1, "a kept page costs at most the caller's access check"


async def test_a_page_rendered_whole_keeps_its_widgets_last_good_bodies(
    rig: HomeRig, db: Database, store: KeyValueStore
) -> None:
    await warm(rig, OWNER, store)
    async with db.session() as session:
        owner = await session.scalar(select(User).where(User.email == OWNER))
    assert owner is not None
    key = f"widget-last:{owner.id}:{owner.partner_org_id}:points_badges:en"
    await store.delete(key)

    page = (await rig.client.get("/")).text

    assert "points_badges" in ON_PAGE.findall(page)
    kept = await store.get(key)
    assert kept is not None, "the body shown stands in when the widget later fails"
    assert "Points and Badges" not in json.loads(kept)["html"]  # the body, not its frame
