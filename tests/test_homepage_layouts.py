"""The homepage shell, users' own layouts, segment overrides and the persona switcher."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from hub.db import Database, User
from hub.db.models import LayoutOverride, UserLayout
from hub.demo.cast import USERS
from hub.personas.catalogue import (
    InvalidPersonas,
    Persona,
    PersonaBook,
    default_personas,
)
from hub.settings import Settings
from hub.store import KeyValueStore
from hub.widgets.base import EVERYONE, Widget, nothing
from hub.widgets.catalogue import DuplicateWidget, build_registry, catalogue
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

OWNER = "owner@acme.example"
BOOK = PersonaBook(default_personas(), build_registry())


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


def shells(html: str) -> list[str]:
    return re.findall(r'hx-get="/widgets/(\w+)"', html)


async def page_widgets(rig: HomeRig) -> list[str]:
    page = await rig.client.get("/")
    assert page.status_code == 200
    return shells(page.text)


async def change(rig: HomeRig, token: str, action: str, widget: str = "", htmx: bool = True) -> int:
    response = await rig.client.post(
        "/home/layout",
        data={"action": action, "widget": widget, "csrf_token": token},
        headers={"HX-Request": "true"} if htmx else {},
    )
    return response.status_code


async def user_id(db: Database, email: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


@pytest.mark.parametrize("person", [p.email for p in USERS if p.org != "initech"])
async def test_each_persona_lands_on_its_default_layout(rig: HomeRig, person: str) -> None:
    await rig.sign_in(person)
    page = await rig.client.get("/")
    assert page.status_code == 200
    primary = next(p.roles[0] for p in USERS if p.email == person)
    assert shells(page.text) == list(BOOK[primary].widgets)
    assert page.text.count('aria-busy="true"') == len(BOOK[primary].widgets)
    assert 'hx-trigger="load' in page.text


async def test_the_shell_renders_even_with_every_backend_down(rig: HomeRig) -> None:
    for connector in rig.connectors.values():
        connector.fail = True
    await rig.sign_in(OWNER)
    page = await rig.client.get("/")
    assert page.status_code == 200
    assert all(connector.calls == [] for connector in rig.connectors.values())


async def test_moving_adding_removing_and_resetting(rig: HomeRig, db: Database) -> None:
    token = await rig.sign_in(OWNER)
    default = list(BOOK["partner_owner"].widgets)
    assert await change(rig, token, "down", "next_best_action") == 200
    assert (await page_widgets(rig))[:2] == ["program_status", "next_best_action"]
    assert await change(rig, token, "up", "dollars_spent") == 200
    assert (await page_widgets(rig))[:3] == ["program_status", "dollars_spent", "next_best_action"]
    assert await change(rig, token, "remove", "pulse_survey") == 200
    assert "pulse_survey" not in await page_widgets(rig)
    assert await change(rig, token, "add", "mdf_available") == 200
    assert (await page_widgets(rig))[-1] == "mdf_available"
    async with db.session() as session:
        saved = await session.scalar(select(UserLayout))
    assert saved is not None
    assert saved.revision == 4
    assert saved.version == 1
    assert await change(rig, token, "reset") == 200
    assert await page_widgets(rig) == default


async def test_a_reset_can_be_undone_and_undo_takes_only_a_valid_layout(
    rig: HomeRig, db: Database
) -> None:
    token = await rig.sign_in(OWNER)
    default = list(BOOK["partner_owner"].widgets)
    assert await change(rig, token, "remove", "pulse_survey") == 200
    assert await change(rig, token, "down", "next_best_action") == 200
    own = await page_widgets(rig)
    reset = await rig.client.post(
        "/home/layout",
        data={"action": "reset", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert await page_widgets(rig) == default
    undo = re.search(r'<form[^>]*class="layout-undo.*?</form>', reset.text, re.S)
    assert undo is not None
    assert re.findall(r'name="widgets" value="(\w+)"', undo.group(0)) == own
    assert re.search(r'value="restore"[^>]*data-autofocus', undo.group(0))

    def restore(names: list[str], csrf: str = token) -> Any:
        return rig.client.post(
            "/home/layout",
            data={"action": "restore", "widgets": names, "csrf_token": csrf},
            headers={"HX-Request": "true"},
        )

    # What an attacker or a stale tab might post back: refused, nothing changes.
    for bad in (
        [],
        ["program_status", "program_status"],
        ["program_status", "my_partners"],  # a channel manager's widget
        ["<script>"],
        ["quick_links"] * 31,
    ):
        refused = await restore(bad)
        assert refused.status_code == 422, bad
        assert "<script>" not in refused.text
        assert await page_widgets(rig) == default
    assert (await restore(own, csrf="forged")).status_code == 403
    back = await restore(own)
    assert back.status_code == 200
    assert "Your own layout is back." in back.text
    assert await page_widgets(rig) == own
    # Resetting the default itself offers nothing to undo.
    await rig.client.post(
        "/home/layout",
        data={"action": "reset", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    again = await rig.client.post(
        "/home/layout",
        data={"action": "reset", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert 'class="layout-undo' not in again.text


async def test_a_layout_change_without_javascript_redirects_home(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    assert await change(rig, token, "remove", "quick_links", htmx=False) == 303
    assert "quick_links" not in await page_widgets(rig)


async def test_the_htmx_answer_is_the_layout_block_with_focus_kept(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    response = await rig.client.post(
        "/home/layout",
        data={"action": "down", "widget": "program_status", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.text.lstrip().startswith('<div id="layout"')
    assert "<html" not in response.text
    focused = re.search(r"<button[^>]*data-autofocus[^>]*>", response.text)
    assert focused
    assert 'value="down"' in focused.group(0)
    assert "Move Program Status down" in focused.group(0)
    assert "Program Status moved down." in response.text


@pytest.mark.parametrize(
    ("action", "widget", "status"),
    [
        ("add", "no_such_widget", 400),
        ("add", "my_partners", 403),  # a channel manager's widget
        ("add", "program_status", 409),  # already there
        ("remove", "mdf_available", 409),  # not there
        ("up", "<script>", 400),
        ("explode", "program_status", 400),
        ("", "", 400),
    ],
)
async def test_bad_layout_input_is_a_clear_4xx_and_changes_nothing(
    rig: HomeRig, db: Database, action: str, widget: str, status: int
) -> None:
    token = await rig.sign_in(OWNER)
    before = await page_widgets(rig)
    response = await rig.client.post(
        "/home/layout",
        data={"action": action, "widget": widget, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text
    assert "<script>" not in response.text
    assert await page_widgets(rig) == before
    async with db.session() as session:
        assert await session.scalar(select(UserLayout)) is None


async def test_a_layout_change_needs_the_csrf_token(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    assert await change(rig, "forged", "remove", "quick_links") == 403
    assert "quick_links" in await page_widgets(rig)


@pytest.mark.parametrize(
    ("version", "widgets"),
    [
        (1, ["program_status", "no_such_widget"]),
        (1, ["my_partners"]),
        (1, {"not": "a list"}),
        (1, ["program_status", "program_status"]),
        (99, ["program_status"]),
        (1, "program_status"),
    ],
)
async def test_a_tampered_or_outdated_saved_layout_falls_back_to_the_default(
    rig: HomeRig, db: Database, version: int, widgets: object
) -> None:
    token = await rig.sign_in(OWNER)
    async with db.transaction() as session:
        session.add(
            UserLayout(
                user_id=await user_id(db, OWNER),
                persona="partner_owner",
                version=version,
                widgets=widgets,
            )
        )
    page = await rig.client.get("/")
    assert page.status_code == 200
    assert shells(page.text) == list(BOOK["partner_owner"].widgets)
    assert "Your saved layout could not be read" in page.text
    # The next change starts from the default and replaces the bad record.
    assert await change(rig, token, "remove", "quick_links") == 200
    expected = [w for w in BOOK["partner_owner"].widgets if w != "quick_links"]
    assert await page_widgets(rig) == expected


async def test_an_admin_override_applies_to_its_segment_only(rig: HomeRig, db: Database) -> None:
    async with db.transaction() as session:
        session.add(
            LayoutOverride(
                persona="partner_owner", tier="Gold", widgets=["program_status", "quick_links"]
            )
        )
        session.add(LayoutOverride(persona="partner_owner", region="EMEA", widgets=["bogus"]))
    await rig.sign_in(OWNER)  # Acme: Gold, North America
    assert await page_widgets(rig) == ["program_status", "quick_links"]
    await rig.sign_in("owner@globex.example")  # Globex: Silver, EMEA; its override is invalid
    assert await page_widgets(rig) == list(BOOK["partner_owner"].widgets)


async def test_layouts_are_per_user(rig: HomeRig) -> None:
    token = await rig.sign_in(OWNER)
    assert await change(rig, token, "remove", "quick_links") == 200
    await rig.sign_in("owner@globex.example")
    assert "quick_links" in await page_widgets(rig)


async def test_a_multi_role_user_lands_on_the_primary_role_and_can_switch(rig: HomeRig) -> None:
    token = await rig.sign_in("rep@globex.example")  # sales_rep first, then marketer
    page = await rig.client.get("/")
    assert shells(page.text) == list(BOOK["sales_rep"].widgets)
    assert 'name="persona"' in page.text
    response = await rig.client.post(
        "/home/persona", data={"persona": "marketer", "csrf_token": token}
    )
    assert response.status_code == 303
    assert (await rig.client.get("/api/me")).json()["persona"] == "marketer"
    assert await page_widgets(rig) == list(BOOK["marketer"].widgets)
    assert (await rig.widget("mdf_available")).status_code == 200
    assert (await rig.widget("progress_to_goal")).status_code == 200  # marketers may add it
    assert (await rig.widget("program_status")).status_code == 200


async def test_switching_to_a_role_one_does_not_hold_is_403(rig: HomeRig) -> None:
    token = await rig.sign_in("rep@globex.example")
    for persona in ("admin", "channel_manager", "nonsense"):
        response = await rig.client.post(
            "/home/persona", data={"persona": persona, "csrf_token": token}
        )
        assert response.status_code == 403
    assert (await rig.client.get("/api/me")).json()["persona"] == "sales_rep"
    no_token = await rig.client.post("/home/persona", data={"persona": "marketer"})
    assert no_token.status_code == 403


async def test_a_single_role_user_sees_no_switcher(rig: HomeRig) -> None:
    await rig.sign_in(OWNER)
    assert 'name="persona"' not in (await rig.client.get("/")).text


def test_a_duplicate_widget_name_fails_at_start_up() -> None:
    twin = Widget("program_status", "x", "x", EVERYONE, nothing, "x")
    with pytest.raises(DuplicateWidget):
        build_registry([*catalogue(), twin])


def test_a_persona_naming_an_unknown_or_forbidden_widget_fails_at_start_up() -> None:
    registry = build_registry()
    for widgets in (("no_such_widget",), ("my_partners",), ("quick_links", "quick_links")):
        with pytest.raises(InvalidPersonas):
            PersonaBook([Persona("sales_rep", "x", "x", None, widgets)], registry)


def test_every_persona_default_is_valid_and_every_role_has_one() -> None:
    from hub.personas.catalogue import roles

    assert sorted(BOOK) == sorted(roles().known)


async def test_an_admin_sets_a_segment_layout_that_partners_then_get(
    rig: HomeRig, db: Database
) -> None:
    token = await rig.sign_in("admin@vendor.example")
    page = await rig.client.get("/admin/layouts")
    assert page.status_code == 200
    saved = await rig.client.post(
        "/admin/layouts",
        data={
            "persona": "partner_owner",
            "tier": "Gold",
            "widgets": "rebates_earned\nprogram_status",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303
    await rig.sign_in(OWNER)
    assert await page_widgets(rig) == ["rebates_earned", "program_status"]
    token = await rig.sign_in("admin@vendor.example")
    async with db.session() as session:
        override = await session.scalar(select(LayoutOverride))
    assert override is not None
    removed = await rig.client.post(
        f"/admin/layouts/{override.id}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    await rig.sign_in(OWNER)
    assert await page_widgets(rig) == list(BOOK["partner_owner"].widgets)


@pytest.mark.parametrize(
    "fields",
    [
        {"persona": "partner_owner", "widgets": "program_status\nno_such_widget"},
        {"persona": "partner_owner", "widgets": "my_partners"},
        {"persona": "partner_owner", "widgets": ""},
        {"persona": "emperor", "widgets": "program_status"},
        {"persona": "partner_owner", "tier": "x" * 41, "widgets": "program_status"},
    ],
)
async def test_a_bad_segment_layout_is_422_and_nothing_is_saved(
    rig: HomeRig, db: Database, fields: dict[str, str]
) -> None:
    token = await rig.sign_in("admin@vendor.example")
    response = await rig.client.post("/admin/layouts", data={**fields, "csrf_token": token})
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    async with db.session() as session:
        assert await session.scalar(select(LayoutOverride)) is None


async def test_only_administrators_edit_segment_layouts(rig: HomeRig) -> None:
    token = await rig.sign_in("cam@vendor.example")
    assert (await rig.client.get("/admin/layouts")).status_code == 403
    response = await rig.client.post(
        "/admin/layouts",
        data={"persona": "sales_rep", "widgets": "quick_links", "csrf_token": token},
    )
    assert response.status_code == 403
    assert (
        await rig.client.post("/admin/layouts/1/remove", data={"csrf_token": token})
    ).status_code == 403


async def test_concurrent_first_saves_both_succeed(rig: HomeRig, db: Database) -> None:
    import asyncio

    from hub.services.layouts import save_layout

    owner = await user_id(db, OWNER)
    revisions = await asyncio.gather(
        save_layout(db, owner, "partner_owner", ("program_status",)),
        save_layout(db, owner, "partner_owner", ("quick_links",)),
    )
    assert sorted(revisions) == [1, 2]
    async with db.session() as session:
        rows = (await session.scalars(select(UserLayout))).all()
    assert len(rows) == 1
