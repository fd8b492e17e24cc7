"""/admin/layouts as a picker: widgets by name, ordered with buttons that post the form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from hub.db import AuditEntry, Database
from hub.db.models import LayoutOverride
from hub.settings import Settings
from hub.store import KeyValueStore
from tests.fakes.home import HomeRig, home_rig

pytestmark = pytest.mark.anyio

ADMIN = "admin@vendor.example"


@pytest.fixture
async def rig(settings: Settings, db: Database, store: KeyValueStore) -> AsyncIterator[HomeRig]:
    async with home_rig(settings, db, store) as made:
        yield made


def listed(html: str) -> list[str]:
    """The widgets the form carries, in order."""
    return re.findall(r'<input type="hidden" name="widget" value="([^"]+)">', html)


async def post(rig: HomeRig, token: str, widgets: list[str], op: str, **fields: str) -> str:
    data = {"csrf_token": token, "persona": "partner_owner", "tier": "Gold", "op": op, **fields}
    response = await rig.client.post("/admin/layouts", data={**data, "widget": widgets})
    assert response.status_code == 200, response.text
    return response.text


async def overrides(db: Database) -> list[LayoutOverride]:
    async with db.session() as session:
        return list((await session.scalars(select(LayoutOverride))).all())


async def test_the_catalogue_names_widgets_and_the_personas_they_serve(rig: HomeRig) -> None:
    await rig.sign_in(ADMIN)
    page = await rig.client.get("/admin/layouts")
    assert page.status_code == 200
    assert "<textarea" not in page.text
    row = re.search(r"<tr><th scope=\"row\">Rebates Earned.*?</tr>", page.text, re.S)
    assert row is not None
    assert "Partner owner" in row.group(0) or "partner owner" in row.group(0).lower()
    assert 'value="add:rebates_earned"' in row.group(0)
    my_partners = re.search(r"<tr><th scope=\"row\">[^<]*<br>.*?add:my_partners", page.text)
    assert my_partners is None  # not for a partner owner: no add button


async def test_adding_and_moving_work_without_javascript_and_save_in_order(
    rig: HomeRig, db: Database
) -> None:
    token = await rig.sign_in(ADMIN)
    html = await post(rig, token, [], "add:program_status")
    html = await post(rig, token, listed(html), "add:rebates_earned")
    assert listed(html) == ["program_status", "rebates_earned"]
    assert "Move Rebates Earned up" in html
    html = await post(rig, token, listed(html), "up:rebates_earned")
    assert listed(html) == ["rebates_earned", "program_status"]
    html = await post(rig, token, listed(html), "add:quick_links")
    html = await post(rig, token, listed(html), "down:rebates_earned")
    assert listed(html) == ["program_status", "rebates_earned", "quick_links"]
    html = await post(rig, token, listed(html), "remove:quick_links")
    assert listed(html) == ["program_status", "rebates_earned"]
    assert await overrides(db) == []  # nothing saved until Save
    data: dict[str, str | list[str]] = {"csrf_token": token, "persona": "partner_owner"}
    data.update({"tier": "Gold", "op": "save"})
    data["widget"] = ["rebates_earned", "program_status"]
    saved = await rig.client.post("/admin/layouts", data=data)
    assert saved.status_code == 303
    (override,) = await overrides(db)
    assert override.widgets == ["rebates_earned", "program_status"]
    async with db.session() as session:
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "layout_override_saved")
        )
    assert audit is not None
    assert audit.target == "partner_owner//Gold/"
    edit = await rig.client.get(f"/admin/layouts?edit={override.id}")
    assert listed(edit.text) == ["rebates_earned", "program_status"]
    assert 'name="tier" maxlength="40" value="Gold"' in edit.text


async def test_an_unknown_or_forbidden_widget_is_refused_by_name(
    rig: HomeRig, db: Database
) -> None:
    token = await rig.sign_in(ADMIN)
    data: dict[str, str | list[str]] = {"csrf_token": token, "persona": "partner_owner"}
    data["op"] = "save"
    data["widget"] = ["program_status", "no_such_widget", "my_partners"]
    refused = await rig.client.post("/admin/layouts", data=data)
    assert refused.status_code == 422
    assert "There is no widget called “no_such_widget”." in refused.text
    assert "is not available to this persona" in refused.text
    assert 'aria-describedby="o-widgets-help o-widgets-error"' in refused.text
    assert listed(refused.text) == ["program_status", "no_such_widget", "my_partners"]
    assert await overrides(db) == []


async def test_only_administrators_and_only_with_the_token(rig: HomeRig, db: Database) -> None:
    token = await rig.sign_in(ADMIN)
    data = {"persona": "partner_owner", "widget": "program_status", "op": "save"}
    assert (await rig.client.post("/admin/layouts", data=data)).status_code == 403
    forged = {**data, "csrf_token": "forged"}
    assert (await rig.client.post("/admin/layouts", data=forged)).status_code == 403
    token = await rig.sign_in("owner@acme.example")
    assert (await rig.client.get("/admin/layouts")).status_code == 403
    mine = {**data, "csrf_token": token}
    assert (await rig.client.post("/admin/layouts", data=mine)).status_code == 403
    assert await overrides(db) == []
