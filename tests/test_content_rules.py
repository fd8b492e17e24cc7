"""Administrators' targeting rules at /admin/content: a rule narrows the library at once."""

from __future__ import annotations

import httpx
import pytest

from hub.resources import Hub
from tests.content_corpus import load_catalogue
from tests.helpers import csrf_from, demo_sign_in

pytestmark = pytest.mark.anyio
ADMIN = "admin@vendor.example"
ACME_OWNER = "owner@acme.example"  # Gold
GLOBEX_OWNER = "owner@globex.example"  # Silver
RULE_FORM = 'action="/admin/content/rules/'


def rule_count(page: str) -> int:
    return page.count(RULE_FORM)


async def _rule(client: httpx.AsyncClient, **fields: object) -> httpx.Response:
    page = await client.get("/admin/content")
    data = {"scope": "item", "source": "files", "csrf_token": csrf_from(page.text), **fields}
    return await client.post("/admin/content/rules", data=data)


async def test_an_item_rule_narrows_the_library_at_once_and_removing_it_widens_it(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    await load_catalogue(seeded.db)
    await demo_sign_in(client, ADMIN)
    saved = await _rule(client, external_id="everyone", tiers="Gold", language=["en"])
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "The rule is saved" in page.text
    assert "<title>Content library · Administration · Partner Hub</title>" in page.text
    assert page.text.count('id="rules-title"') == 1, "the rules are on the page once"
    assert "Gold" in page.text

    client.cookies.clear()
    await demo_sign_in(client, GLOBEX_OWNER)
    assert "Price list for everyone" not in (await client.get("/content")).text
    client.cookies.clear()
    await demo_sign_in(client, ACME_OWNER)
    assert "Price list for everyone" in (await client.get("/content")).text

    client.cookies.clear()
    await demo_sign_in(client, ADMIN)
    page = await client.get("/admin/content")
    # The catalogue comes with one rule (its old kit superseded); ours is the newer row.
    rule_id = max(int(part.split("/")[0]) for part in page.text.split(RULE_FORM)[1:])
    removed = await client.post(
        f"/admin/content/rules/{rule_id}/delete", data={"csrf_token": csrf_from(page.text)}
    )
    assert removed.status_code == 303
    again = await client.post(
        f"/admin/content/rules/{rule_id}/delete", data={"csrf_token": csrf_from(page.text)}
    )
    assert again.status_code == 404
    client.cookies.clear()
    await demo_sign_in(client, GLOBEX_OWNER)
    assert "Price list for everyone" in (await client.get("/content")).text


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"source": "nowhere", "scope": "source"}, "no such source"),
        ({"external_id": "no-such-item"}, "no such source"),
        ({"scope": "everything"}, "source, a collection or an item"),
        ({"scope": "source", "pin_days": "3"}, "Only a rule for one item"),
        ({"external_id": "gold", "persona": ["emperor"]}, "no role"),
        ({"external_id": "gold", "language": ["xx"]}, "no language"),
        ({"external_id": "gold", "pin_days": "365"}, "between 0 and 90 days"),
        ({"external_id": "gold", "superseded_by": "gold"}, "another item"),
        ({"external_id": "gold", "tiers": ",".join(["t"] * 30)}, "at most 20 values"),
    ],
)
async def test_a_rule_that_cannot_work_is_a_clear_422_and_nothing_changes(
    seeded: Hub, client: httpx.AsyncClient, fields: dict[str, object], said: str
) -> None:
    await load_catalogue(seeded.db)
    await demo_sign_in(client, ADMIN)
    before = rule_count((await client.get("/admin/content")).text)
    refused = await _rule(client, **fields)
    assert refused.status_code == 422
    assert said in refused.text
    assert rule_count((await client.get("/admin/content")).text) == before


async def test_only_administrators_with_a_token_write_rules(
    seeded: Hub, client: httpx.AsyncClient
) -> None:
    await load_catalogue(seeded.db)
    token = await demo_sign_in(client, ACME_OWNER)
    denied = await client.post(
        "/admin/content/rules",
        data={"scope": "item", "source": "files", "external_id": "gold", "csrf_token": token},
    )
    assert denied.status_code == 403
    client.cookies.clear()
    await demo_sign_in(client, ADMIN)
    forged = await client.post(
        "/admin/content/rules", data={"scope": "item", "source": "files", "external_id": "gold"}
    )
    assert forged.status_code == 403
