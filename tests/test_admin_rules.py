"""/admin/rules: administrators edit suggestions, badges and points as data; bad rules change nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from hub.app import create_app
from hub.db.types import utcnow
from hub.personas.audience import Requester
from hub.resources import Hub
from hub.services.engagement import admin_rules, nba
from hub.services.engagement.seed_facts import DEMO_FACTS
from tests.conftest import BASE_URL
from tests.engagement_helpers import user_id
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio

NEW_RULE = {
    "title": "Book your quarterly business review",
    "reason": "because {spiffs_to_finish} SPIFs close this quarter",
    "link": "/go/prm/qbr",
    "points_bonus": 25,
    "value": 90,
    "priority": 3,
    "personas": ["sales_rep"],
    "when": {"fact": "spiffs_to_finish", "op": "gt", "value": 0},
}


async def definitions(hub: Hub) -> dict[str, str]:
    rules = await admin_rules.overview(hub.db)
    found = {rule.slug: rule.definition for rule in rules.actions}
    found.update({f"badge:{rule.slug}": rule.definition for rule in rules.badges})
    return found


async def test_only_administrators_edit_rules(seeded: Hub) -> None:
    transport = httpx.ASGITransport(app=create_app(seeded.settings, seeded))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        assert (await http.get("/admin/rules")).status_code == 401
        token = await demo_sign_in(http, "cam@vendor.example")
        assert (await http.get("/admin/rules")).status_code == 403
        refused = await http.post(
            "/admin/rules/points",
            data={"csrf_token": token, "event_kind": "sign_in", "points": "999"},
        )
        assert refused.status_code == 403


async def test_the_page_shows_each_rule_and_its_funnel(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, _ = admin
    rep = await user_id(seeded.db, "rep@acme.example")
    await nba.act_on_action(
        seeded.db,
        seeded.store,
        Requester(rep, "sales_rep"),
        slug="earn-spiff",
        step="clicked",
        now=utcnow(),
    )
    funnel = {rule.slug: rule.funnel for rule in (await admin_rules.overview(seeded.db)).actions}
    assert (funnel["earn-spiff"].clicked, funnel["register-deal"].clicked) == (1, 0)
    page = await http.get("/admin/rules")
    assert page.status_code == 200
    for slug in ("register-deal", "earn-spiff", "call-dormant-partners"):
        assert f'id="action-{slug}"' in page.text
    assert "Go-getter" in page.text


async def test_a_new_suggestion_is_offered_at_once(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    saved = await http.post(
        "/admin/rules/actions",
        data={
            "csrf_token": token,
            "slug": "book-qbr",
            "definition": json.dumps(NEW_RULE),
            "active": "on",
        },
    )
    assert saved.status_code == 303
    rep = await user_id(seeded.db, "rep@acme.example")
    offered = await nba.next_best_actions(
        seeded.db, Requester(rep, "sales_rep"), dict(DEMO_FACTS), now=utcnow(), limit=3
    )
    assert offered[0].slug == "book-qbr"
    assert offered[0].reason == "because 2 SPIFs close this quarter"


@pytest.mark.parametrize(
    ("definition", "said"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({**NEW_RULE, "when": {"fact": "x", "op": "resembles"}}), "when"),
        (json.dumps({**NEW_RULE, "points_bonus": -5}), "points_bonus"),
    ],
)
async def test_a_rule_that_does_not_parse_changes_nothing(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub, definition: str, said: str
) -> None:
    http, token = admin
    before = await definitions(seeded)
    response = await http.post(
        "/admin/rules/actions",
        data={"csrf_token": token, "slug": "register-deal", "definition": definition},
    )
    assert response.status_code == 422
    assert said in response.text
    assert await definitions(seeded) == before


async def test_badges_and_points_are_edited_and_validated(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    rules = await admin_rules.overview(seeded.db)
    badge = rules.badges[0]
    changed = await http.post(
        "/admin/rules/badges",
        data={
            "csrf_token": token,
            "slug": badge.slug,
            "name": "Renamed badge",
            "description": badge.description,
            "points": "77",
            "definition": badge.definition,
            "active": "on",
        },
    )
    assert changed.status_code == 303
    after = {b.slug: b for b in (await admin_rules.overview(seeded.db)).badges}[badge.slug]
    assert (after.name, after.points) == ("Renamed badge", 77)
    bad = await http.post(
        "/admin/rules/badges",
        data={
            "csrf_token": token,
            "slug": badge.slug,
            "name": "x",
            "points": "1",
            "definition": json.dumps({"kind": "no-such-kind"}),
        },
    )
    assert bad.status_code == 422
    points = await http.post(
        "/admin/rules/points", data={"csrf_token": token, "event_kind": "sign_in", "points": "7"}
    )
    assert points.status_code == 303
    assert ("sign_in", 7, True) in (await admin_rules.overview(seeded.db)).points
    unknown = await http.post(
        "/admin/rules/points", data={"csrf_token": token, "event_kind": "teleported", "points": "7"}
    )
    assert unknown.status_code == 422
    assert "teleported" in unknown.text
