"""Texts administrators write carry a text per locale with a fallback to the default one.

The editors take the German beside the English; the reader's language picks the text, and
a text left empty in German shows the default. The seeded rules come with German.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from hub.db.engagement import ActionRule, BadgeRule, PulseSurvey
from hub.db.types import utcnow
from hub.i18n import written_text
from hub.personas.audience import Requester
from hub.resources import Hub
from hub.services.engagement import badges, nba
from hub.services.engagement.seed import seed_engagement
from hub.services.engagement.seed_facts import DEMO_FACTS
from tests.engagement_helpers import user_id
from tests.test_admin_rule_editors import FORM

pytestmark = pytest.mark.anyio


async def offered(hub: Hub, locale: str) -> dict[str, nba.SuggestedAction]:
    rep = await user_id(hub.db, "rep@acme.example")
    found = await nba.next_best_actions(
        hub.db, Requester(rep, "sales_rep"), dict(DEMO_FACTS), now=utcnow(), limit=5, locale=locale
    )
    return {action.slug: action for action in found}


def test_a_text_falls_back_to_the_default_when_its_language_has_none() -> None:
    texts = {"de": {"name": "Erster Deal", "description": "  "}}
    assert written_text("First deal", "de", texts, "name") == "Erster Deal"
    assert written_text("First deal", "en", texts, "name") == "First deal"
    # Blank German, and a text the catalogue does not know, show as written.
    assert written_text("Closed a deal", "de", texts, "description") == "Closed a deal"
    assert written_text("Closed a deal", "de", None, "name") == "Closed a deal"


async def test_the_seeded_rules_carry_their_german(seeded: Hub) -> None:
    await seed_engagement(seeded.db)
    async with seeded.db.session() as session:
        badge = await session.scalar(select(BadgeRule).where(BadgeRule.slug == "first-deal"))
        action = await session.scalar(select(ActionRule).where(ActionRule.slug == "earn-spiff"))
        survey = await session.scalar(select(PulseSurvey).where(PulseSurvey.slug == "hub-pulse"))
    assert badge is not None
    assert action is not None
    assert survey is not None
    assert badge.texts["de"]["name"] != badge.name
    assert action.texts["de"]["title"] != action.definition["title"]
    assert "{" in action.texts["de"]["reason"]  # its figure stays a placeholder
    assert set(survey.texts["de"]) >= {"title", "relevance.prompt", "most_useful.choice.0"}
    assert survey.texts["de"]["title"] != survey.title


async def test_german_typed_beside_the_english_is_what_a_german_reader_gets(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    form = {
        **FORM,
        "title_de": "Buchen Sie Ihr Quartalsgespräch",
        "reason_de": "weil {spiffs_to_finish} SPIFs in diesem Quartal enden",
        "csrf_token": token,
    }
    saved = await http.post("/admin/rules/actions", data=form)
    assert saved.status_code == 303, saved.text
    german = (await offered(seeded, "de"))["book-qbr"]
    assert german.title == "Buchen Sie Ihr Quartalsgespräch"
    assert german.reason.startswith("weil ")
    assert "{" not in german.reason
    english = (await offered(seeded, "en"))["book-qbr"]
    assert english.title == FORM["title"]
    editor = await http.get("/admin/rules/actions/book-qbr")
    assert 'name="title_de"' in editor.text
    assert 'value="Buchen Sie Ihr Quartalsgespräch"' in editor.text
    # Emptied, the German reader sees the default text again.
    emptied = await http.post(
        "/admin/rules/actions", data={**form, "new": "", "title_de": "", "reason_de": ""}
    )
    assert emptied.status_code == 303, emptied.text
    assert (await offered(seeded, "de"))["book-qbr"].title == FORM["title"]


async def test_a_german_reason_naming_another_figure_is_refused_at_its_field(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    form = {**FORM, "reason_de": "weil {deals_this_month} fehlen", "csrf_token": token}
    refused = await http.post("/admin/rules/actions", data=form)
    assert refused.status_code == 422
    assert 'id="f-reason_de-error"' in refused.text
    assert "deals_this_month" in refused.text
    assert 'value="weil {deals_this_month} fehlen"' in refused.text  # the edit is kept
    assert "book-qbr" not in await offered(seeded, "en")


async def test_a_badge_named_in_german_in_the_editor_keeps_it_until_changed(
    admin: tuple[httpx.AsyncClient, str], seeded: Hub
) -> None:
    http, token = admin
    form = {
        "slug": "closer",
        "new": "1",
        "name": "Closer",
        "description": "Won five deals",
        "name_de": "Deal-Profi",
        "description_de": "Fünf Deals gewonnen",
        "points": "10",
        "kind": "count",
        "event": "deal_won",
        "count": "5",
        "active": "on",
        "csrf_token": token,
    }
    saved = await http.post("/admin/rules/badges", data=form)
    assert saved.status_code == 303, saved.text
    rep = await user_id(seeded.db, "rep@acme.example")
    async with seeded.db.session() as session:
        gallery = {b.slug: b for b in await badges.badge_gallery(session, rep)}
    closer = gallery["closer"]
    assert written_text(closer.name, "de", closer.texts, "name") == "Deal-Profi"
    assert written_text(closer.description, "de", closer.texts, "description") == (
        "Fünf Deals gewonnen"
    )
    assert written_text(closer.name, "en", closer.texts, "name") == "Closer"
    editor = await http.get("/admin/rules/badges/closer")
    assert 'value="Deal-Profi"' in editor.text
