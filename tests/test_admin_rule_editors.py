"""Rule editors: suggestions and badges in forms, with field errors, preview and delete."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from hub.app import create_app
from hub.db import AuditEntry
from hub.db.engagement import BadgeAward, BadgeRule
from hub.db.types import utcnow
from hub.personas.audience import Requester
from hub.resources import Hub
from hub.services.engagement import admin_rules, nba
from hub.services.engagement.nba import parse_action
from hub.services.engagement.seed import ACTIONS, seed_engagement
from hub.services.engagement.seed_facts import DEMO_FACTS
from hub.web.action_form import ActionForm
from tests.conftest import BASE_URL
from tests.engagement_helpers import user_id
from tests.helpers import demo_sign_in

pytestmark = pytest.mark.anyio

FORM = {
    "slug": "book-qbr",
    "new": "1",
    "title": "Book your quarterly business review",
    "reason": "because {spiffs_to_finish} SPIFs close this quarter",
    "link": "/go/prm/qbr",
    "points_bonus": "25",
    "value": "90",
    "priority": "3",
    "snooze_days": "7",
    "personas": "sales_rep",
    "match": "all",
    "when-0-fact": "spiffs_to_finish",
    "when-0-op": "gt",
    "when-0-value": "0",
    "when-1-fact": "",
    "when-1-op": "gt",
    "when-1-value": "",
    "active": "on",
}


async def audited(hub: Hub, action: str) -> list[str]:
    async with hub.db.session() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [row.target for row in rows]


async def offered_to_rep(hub: Hub) -> list[str]:
    rep = await user_id(hub.db, "rep@acme.example")
    offered = await nba.next_best_actions(
        hub.db, Requester(rep, "sales_rep"), dict(DEMO_FACTS), now=utcnow(), limit=3
    )
    return [action.slug for action in offered]


def field_tag(html: str, name: str) -> str:
    """The opening tag of the input or select called ``name``."""
    match = re.search(rf'<(?:input|select)[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match, f"no field {name}"
    return match.group(0)


async def test_the_list_is_compact_and_each_rule_has_a_form(
    admin: tuple[httpx.AsyncClient, str],
) -> None:
    http, _ = admin
    page = await http.get("/admin/rules")
    assert page.status_code == 200
    assert "<textarea" not in page.text
    assert 'href="/admin/rules/actions/earn-spiff"' in page.text
    editor = await http.get("/admin/rules/actions/earn-spiff")
    assert editor.status_code == 200
    assert 'value="spiffs_to_finish" selected' in editor.text
    assert 'name="points_bonus" type="number"' in editor.text
    assert 'value="sales_rep" checked' in editor.text
    assert (await http.get("/admin/rules/actions/no-such-rule")).status_code == 404


async def test_an_added_suggestion_is_offered_at_once_and_audited(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    saved = await http.post("/admin/rules/actions", data={**FORM, "csrf_token": token})
    assert saved.status_code == 303, saved.text
    stored = await admin_rules.action_rule(seeded.db, "book-qbr")
    assert stored is not None
    assert stored[0]["when"] == {"fact": "spiffs_to_finish", "op": "gt", "value": 0}
    assert stored[0]["points_bonus"] == 25
    assert (await offered_to_rep(seeded))[0] == "book-qbr"
    assert await audited(seeded, "action_rule_saved") == ["book-qbr"]
    again = await http.post("/admin/rules/actions", data={**FORM, "csrf_token": token})
    assert again.status_code == 422
    assert "already a rule with this key" in again.text


async def test_editing_a_rule_in_the_form_changes_what_people_are_offered(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    assert "earn-spiff" in await offered_to_rep(seeded)
    edit = {**FORM, "slug": "earn-spiff", "new": "", "title": "Finish that SPIF"}
    edit.update({"when-0-op": "gt", "when-0-value": "5", "match": "any"})
    edit["when-1-fact"], edit["when-1-op"] = "certification_complete", "falsy"
    saved = await http.post("/admin/rules/actions", data={**edit, "csrf_token": token})
    assert saved.status_code == 303, saved.text
    stored = await admin_rules.action_rule(seeded.db, "earn-spiff")
    assert stored is not None
    assert stored[0]["title"] == "Finish that SPIF"
    assert stored[0]["when"] == {
        "any": [
            {"fact": "spiffs_to_finish", "op": "gt", "value": 5},
            {"fact": "certification_complete", "op": "falsy"},
        ]
    }
    assert "earn-spiff" in await offered_to_rep(seeded)  # certification_complete is False
    edit["active"] = ""
    await http.post("/admin/rules/actions", data={**edit, "csrf_token": token})
    assert "earn-spiff" not in await offered_to_rep(seeded)


async def test_a_nested_condition_the_form_cannot_show_is_kept(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    nested = {"any": [{"all": [{"fact": "spiffs_to_finish", "op": "gt", "value": 0}]}]}
    await admin_rules.save_action_definition(
        seeded.db,
        "nested",
        {"title": "T", "reason": "R", "link": "/", "when": nested},
        active=True,
    )
    page = await http.get("/admin/rules/actions/nested")
    assert 'name="when_json"' in page.text
    form = {**FORM, "slug": "nested", "new": "", "title": "Renamed", "when-0-fact": ""}
    form["when_json"] = '{"any": [{"all": [{"fact": "spiffs_to_finish", "op": "gt", "value": 0}]}]}'
    saved = await http.post("/admin/rules/actions", data={**form, "csrf_token": token})
    assert saved.status_code == 303
    stored = await admin_rules.action_rule(seeded.db, "nested")
    assert stored is not None
    assert stored[0]["when"] == nested
    assert stored[0]["title"] == "Renamed"


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        ({"points_bonus": "-5"}, "points_bonus", "At least 0."),
        ({"points_bonus": "lots"}, "points_bonus", "Enter a number."),
        ({"link": "javascript:alert(1)"}, "link", "https:// address"),
        ({"reason": "because {x.y}"}, "reason", "plain fact names, not &#39;x.y&#39;"),
        ({"title": ""}, "title", "Required."),
        (
            {"when-0-fact": "spiffs_to_finish", "when-0-op": "resembles"},
            "when-0-op",
            "Choose one of the options",
        ),
        ({"slug": "Not A Key"}, "slug", "lowercase letters"),
    ],
)
async def test_a_mistake_is_shown_at_its_field_with_everything_kept(
    admin: tuple[httpx.AsyncClient, str],
    seeded: Hub,
    change: dict[str, str],
    field: str,
    said: str,
) -> None:
    http, token = admin
    typed = {**FORM, "title": "Typed <b>title</b> & more", **change}
    response = await http.post("/admin/rules/actions", data={**typed, "csrf_token": token})
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    tag = field_tag(response.text, field)
    assert 'aria-invalid="true"' in tag
    assert f'aria-describedby="f-{field}-error"' in tag or f"f-{field}-error" in tag
    error = re.search(rf'<p class="field-error" id="f-{field}-error">([^<]*)</p>', response.text)
    assert error
    assert said in error.group(1)
    if field != "title":
        assert 'value="Typed &lt;b&gt;title&lt;/b&gt; &amp; more"' in response.text
    assert f'value="{typed["reason"]}"' in response.text
    assert 'value="sales_rep" checked' in response.text
    assert await admin_rules.action_rule(seeded.db, typed["slug"]) is None


async def test_preview_shows_whom_the_rule_reaches_and_saves_nothing(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    form = {**FORM, "intent": "preview", "csrf_token": token}
    plain = await http.post("/admin/rules/actions", data=form)
    assert plain.status_code == 200
    assert "Preview: nothing is saved yet" in plain.text
    # The demo's sales reps: rep@acme and rep@globex (who also holds marketer).
    assert "It reaches 2 people now" in plain.text
    assert "<html" in plain.text
    htmx = await http.post("/admin/rules/actions", data=form, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert htmx.text.lstrip().startswith('<div id="rule-editor"')
    assert "It reaches 2 people now" in htmx.text
    narrowed = await http.post(
        "/admin/rules/actions", data={**form, "tiers": "Gold"}, headers={"HX-Request": "true"}
    )
    assert "It reaches 1 person now" in narrowed.text
    bad = await http.post(
        "/admin/rules/actions", data={**form, "value": "0"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 422
    assert bad.headers.get("x-widget")
    assert 'aria-invalid="true"' in field_tag(bad.text, "value")
    assert await admin_rules.action_rule(seeded.db, "book-qbr") is None


async def test_a_rule_is_deleted_only_after_confirmation(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    page = await http.get("/admin/rules/actions/earn-spiff")
    assert 'action="/admin/rules/actions/earn-spiff/delete"' in page.text
    assert (
        'action="/admin/rules/actions/new/delete"'
        not in (await http.get("/admin/rules/actions/new")).text
    )
    asked = await http.post("/admin/rules/actions/earn-spiff/delete", data={"csrf_token": token})
    assert asked.status_code == 200
    assert 'name="confirm" value="yes"' in asked.text
    assert await admin_rules.action_rule(seeded.db, "earn-spiff") is not None
    done = await http.post(
        "/admin/rules/actions/earn-spiff/delete", data={"csrf_token": token, "confirm": "yes"}
    )
    assert done.status_code == 303
    assert await admin_rules.action_rule(seeded.db, "earn-spiff") is None
    assert await audited(seeded, "action_rule_deleted") == ["earn-spiff"]
    assert "earn-spiff" not in await offered_to_rep(seeded)
    gone = await http.post(
        "/admin/rules/actions/earn-spiff/delete", data={"csrf_token": token, "confirm": "yes"}
    )
    assert gone.status_code == 404


async def test_badges_are_edited_added_and_deleted_in_forms(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    badge = (await admin_rules.overview(seeded.db)).badges[0]
    page = await http.get(f"/admin/rules/badges/{badge.slug}")
    assert page.status_code == 200
    assert 'name="kind"' in page.text
    new = {"csrf_token": token, "new": "1", "slug": "ten-assets", "name": "Ten assets"}
    new.update({"points": "15", "kind": "count", "event": "asset_viewed", "count": "10"})
    new["active"] = "on"
    saved = await http.post("/admin/rules/badges", data=new)
    assert saved.status_code == 303, saved.text
    stored = await admin_rules.badge_rule(seeded.db, "ten-assets")
    assert stored is not None
    assert stored.points == 15
    assert '"count": 10' in stored.definition
    wrong = await http.post("/admin/rules/badges", data={**new, "new": "", "count": "0"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in field_tag(wrong.text, "count")
    assert 'value="Ten assets"' in wrong.text
    streak = {**new, "new": "", "kind": "streak", "days": "1", "freeze_days": "9"}
    wrong_streak = await http.post("/admin/rules/badges", data=streak)
    assert wrong_streak.status_code == 422
    assert 'aria-invalid="true"' in field_tag(wrong_streak.text, "days")
    assert 'aria-invalid="true"' in field_tag(wrong_streak.text, "freeze_days")
    nameless = await http.post("/admin/rules/badges", data={**new, "new": "", "name": " "})
    assert nameless.status_code == 422
    assert "Required." in nameless.text
    assert 'aria-invalid="true"' in field_tag(nameless.text, "name")
    switched = await http.post(
        "/admin/rules/badges", data={**new, "kind": "streak", "intent": "kind"}
    )
    assert switched.status_code == 200
    assert 'name="days"' in switched.text
    deleted = await http.post(
        "/admin/rules/badges/ten-assets/delete", data={"csrf_token": token, "confirm": "yes"}
    )
    assert deleted.status_code == 303
    assert await admin_rules.badge_rule(seeded.db, "ten-assets") is None
    assert await audited(seeded, "badge_rule_saved") == ["ten-assets"]
    assert await audited(seeded, "badge_rule_deleted") == ["ten-assets"]


async def test_rule_texts_are_escaped_everywhere(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    hostile = '<script>alert("x")</script>'
    form = {**FORM, "title": hostile, "reason": f"because {hostile}", "csrf_token": token}
    assert (await http.post("/admin/rules/actions", data=form)).status_code == 303
    for path in ("/admin/rules", "/admin/rules/actions/book-qbr"):
        page = await http.get(path)
        assert hostile not in page.text
        assert "&lt;script&gt;" in page.text
    preview = await http.post("/admin/rules/actions", data={**form, "new": "", "intent": "preview"})
    assert hostile not in preview.text


async def test_a_points_mistake_is_shown_at_its_field(
    admin: tuple[httpx.AsyncClient, str],
) -> None:
    http, token = admin
    bad = await http.post(
        "/admin/rules/points", data={"csrf_token": token, "event_kind": "sign_in", "points": "x"}
    )
    assert bad.status_code == 422
    assert 'aria-invalid="true" aria-describedby="points-sign_in-error"' in bad.text
    assert 'value="x"' in bad.text


async def test_export_is_json_of_every_rule(admin: tuple[httpx.AsyncClient, str]) -> None:
    http, _ = admin
    exported = await http.get("/admin/rules/export.json")
    assert exported.status_code == 200
    body = exported.json()
    assert body["actions"]["earn-spiff"]["definition"]["link"] == "/go/incentives/spiffs"
    assert body["points"]["sign_in"] >= 0


WRITES = [
    ("/admin/rules/actions", FORM),
    ("/admin/rules/actions/earn-spiff/delete", {"confirm": "yes"}),
    ("/admin/rules/badges", {"slug": "x", "name": "x", "kind": "first", "event": "sign_in"}),
    ("/admin/rules/badges/go-getter/delete", {"confirm": "yes"}),
]


async def test_only_administrators_reach_the_editors(seeded: Hub) -> None:
    await seed_engagement(seeded.db)
    transport = httpx.ASGITransport(app=create_app(seeded.settings, seeded))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        token = await demo_sign_in(http, "cam@vendor.example")
        for path in ("/admin/rules/actions/new", "/admin/rules/actions/earn-spiff",
                     "/admin/rules/badges/new", "/admin/rules/export.json"):  # fmt: skip
            assert (await http.get(path)).status_code == 403, path
        for path, data in WRITES:
            assert (await http.post(path, data={**data, "csrf_token": token})).status_code == 403
    assert await admin_rules.action_rule(seeded.db, "earn-spiff") is not None
    assert await admin_rules.action_rule(seeded.db, "book-qbr") is None


async def test_every_change_needs_the_csrf_token(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, _ = admin
    for path, data in WRITES:
        refused = await http.post(path, data={**data, "csrf_token": "forged"})
        assert refused.status_code == 403, path
        assert (await http.post(path, data=data)).status_code == 403, path
    assert await admin_rules.action_rule(seeded.db, "earn-spiff") is not None
    assert await admin_rules.action_rule(seeded.db, "book-qbr") is None


@pytest.mark.parametrize("slug", sorted(ACTIONS))
def test_every_seeded_rule_survives_the_form_unchanged(slug: str) -> None:
    definition = dict(ACTIONS[slug])
    form = ActionForm.of(slug, definition, active=True)
    assert not form.when_json  # the form shows each seeded condition as lines
    rebuilt, problems = form.definition()
    assert problems == {}
    assert parse_action(rebuilt) == parse_action(definition)


async def test_a_turned_round_line_is_kept_as_not(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    page = await http.get("/admin/rules/actions/finish-certification")
    assert re.search(r'name="when-1-not" checked', page.text)
    form = {**FORM, "slug": "finish-certification", "new": "", "personas": "support"}
    form.update({"when-0-fact": "certification_unlocks_next_tier", "when-0-op": "truthy"})
    form.update({"when-1-fact": "certification_complete", "when-1-op": "truthy"})
    form["when-1-not"] = "on"
    saved = await http.post("/admin/rules/actions", data={**form, "csrf_token": token})
    assert saved.status_code == 303
    stored = await admin_rules.action_rule(seeded.db, "finish-certification")
    assert stored is not None
    assert stored[0]["when"] == ACTIONS["finish-certification"]["when"]


async def test_an_earned_badge_is_not_deleted(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    rep = await user_id(seeded.db, "rep@acme.example")
    async with seeded.db.transaction() as session:
        rule = await session.scalar(select(BadgeRule).where(BadgeRule.slug == "go-getter"))
        assert rule is not None
        session.add(BadgeAward(user_id=rep, rule_id=rule.id))
    refused = await http.post(
        "/admin/rules/badges/go-getter/delete", data={"csrf_token": token, "confirm": "yes"}
    )
    assert refused.status_code == 409
    assert "so it stays: switch it off instead" in refused.text
    assert await admin_rules.badge_rule(seeded.db, "go-getter") is not None
