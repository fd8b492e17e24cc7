"""Warm homepages in one request: what is kept, for whom, and what retires it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from hub.connectors.records import Kind
from hub.db import Database, User
from hub.settings import Settings
from hub.store import KeyValueStore
from hub.store.memory import MemoryStore
from hub.web import page_cache
from tests.fakes.home import HomeRig, home_rig
from tests.helpers import csrf_from

pytestmark = pytest.mark.anyio

OWNER = "owner@acme.example"
LEFT_TO_LOAD = re.compile(r'hx-get="/widgets/(\w+)"\s+hx-trigger="load')
ON_PAGE = re.compile(r'<section id="widget-(\w+)"')


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


async def load_page(rig: HomeRig) -> str:
    """``GET /`` and every widget it left to load, as htmx would; the page's HTML."""
    page = await rig.client.get("/")
    assert page.status_code == 200
    for name in LEFT_TO_LOAD.findall(page.text):
        assert (await rig.widget(name)).status_code == 200
    return page.text


def backend_calls(rig: HomeRig) -> int:
    return sum(len(fake.calls) for fake in rig.connectors.values())


async def test_a_page_whose_widgets_just_loaded_comes_whole_without_asking_backends(
    rig: HomeRig,
) -> None:
    await rig.sign_in(OWNER)
    first = await load_page(rig)
    assert LEFT_TO_LOAD.findall(first) == ON_PAGE.findall(first), "a first visit loads them all"
    asked = backend_calls(rig)

    assembled = (await rig.client.get("/")).text
    kept = (await rig.client.get("/")).text
    for page in (assembled, kept):
        assert LEFT_TO_LOAD.findall(page) == []
        assert ON_PAGE.findall(page) == ON_PAGE.findall(first)
        assert "$60,000" in page, "Dollars Spent is in the page itself"
        assert 'aria-busy="true"' not in page
    assert kept == assembled
    assert backend_calls(rig) == asked


async def test_kept_copies_never_hold_a_session_token(rig: HomeRig, store: KeyValueStore) -> None:
    token = await rig.sign_in(OWNER)
    await load_page(rig)
    page = (await rig.client.get("/")).text
    page = (await rig.client.get("/")).text
    forms = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert forms
    assert set(forms) == {token}, "every form carries this session's token"
    assert "csrf-slot-" not in page
    if isinstance(store, MemoryStore):
        kept = [
            await store.get(key)
            for key in list(store._entries)
            if key.startswith(("home-page:", "home-frame:", "widget-last:"))
        ]
        assert kept
        assert not any(token in (value or "") for value in kept)


async def test_one_kept_page_serves_each_session_with_its_own_token(rig: HomeRig) -> None:
    first = await rig.sign_in(OWNER)
    first_device = dict(rig.client.cookies)
    second = await rig.sign_in(OWNER)  # a second device: new session, new token
    await load_page(rig)
    assert csrf_from((await rig.client.get("/")).text) == second
    rig.client.cookies.clear()
    rig.client.cookies.update(first_device)
    page = (await rig.client.get("/")).text
    assert LEFT_TO_LOAD.findall(page) == [], "the page kept for the user"
    assert csrf_from(page) == first
    assert second not in page


async def test_another_person_never_gets_a_kept_page(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    await load_page(rig)
    owners = (await rig.client.get("/")).text
    assert "Program Status" in owners
    await rig.sign_in("rep@acme.example")  # same org, another person and persona
    page = (await rig.client.get("/")).text
    assert "program_status" not in ON_PAGE.findall(page)
    assert "progress_to_goal" in ON_PAGE.findall(page)
    assert LEFT_TO_LOAD.findall(page), "the rep's widgets were never loaded"


async def test_the_callers_own_change_shows_at_once(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    await load_page(rig)
    before = ON_PAGE.findall((await rig.client.get("/")).text)
    assert "coop_earned" in before
    removed = await rig.client.post(
        "/home/layout", data={"action": "remove", "widget": "coop_earned", "csrf_token": token}
    )
    assert removed.status_code == 303
    after = ON_PAGE.findall((await rig.client.get("/")).text)
    assert after == [name for name in before if name != "coop_earned"]


async def test_an_administrators_change_retires_everyones_kept_pages(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    await load_page(rig)
    assert LEFT_TO_LOAD.findall((await rig.client.get("/")).text) == []
    owner_cookies = dict(rig.client.cookies)

    token = await rig.sign_in("admin@vendor.example")
    saved = await rig.client.post(
        "/admin/layouts",
        data={
            "persona": "partner_owner",
            "widgets": "quick_links\nfield_team",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303

    rig.client.cookies.clear()
    rig.client.cookies.update(owner_cookies)
    page = (await rig.client.get("/")).text
    assert ON_PAGE.findall(page) == ["quick_links", "field_team"]
    assert LEFT_TO_LOAD.findall(page) == ["quick_links", "field_team"]


async def test_a_widget_in_its_error_state_is_not_kept(rig: HomeRig) -> None:
    rig.connectors[Kind.PRM].fail = True
    await rig.sign_in(OWNER)
    await load_page(rig)
    page = (await rig.client.get("/")).text
    waiting = LEFT_TO_LOAD.findall(page)
    assert "dollars_spent" in waiting, "a failed PRM widget asks again"
    assert "field_team" not in waiting, "a widget that worked is in the page"


async def test_a_widget_asked_with_settings_is_not_kept(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    await rig.client.get("/")
    assert (await rig.widget("leaderboard", period="quarter")).status_code == 200
    assert "leaderboard" in LEFT_TO_LOAD.findall((await rig.client.get("/")).text)


async def test_kept_copies_run_out(rig: HomeRig, monkeypatch: pytest.MonkeyPatch) -> None:
    await rig.sign_in(OWNER)
    await load_page(rig)
    assert LEFT_TO_LOAD.findall((await rig.client.get("/")).text) == []
    later = page_cache.now() + 61  # past every widget's reuse (60 s at most)
    monkeypatch.setattr(page_cache, "now", lambda: later)
    page = (await rig.client.get("/")).text
    assert LEFT_TO_LOAD.findall(page) == ON_PAGE.findall(page)


async def test_a_kept_page_still_checks_the_caller_against_the_database(
    rig: HomeRig, db: Database
) -> None:
    await rig.sign_in(OWNER)
    await load_page(rig)
    assert (await rig.client.get("/")).status_code == 200
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.email == OWNER))
        assert user is not None
        user.roles = ["support"]
    assert (await rig.client.get("/")).status_code == 403
